/**
 * The whole bake-image state machine, unchanged, on the embedded Step Functions runner and
 * the cloud simulator: started by resolveImage through the Step Functions API, followed by
 * checkBake, as create-cluster does.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SFNClient } from '@aws-sdk/client-sfn';
import { startStepFunctions, type StepFunctionsServer } from '../../local/runtime/stepfunctions';
import { stateMachineArn } from '../../local/runtime/serverless-config';
import type { LambdaInvoker } from '../../local/runtime/lambda';
import { startStepEnv, type StepEnv } from '../helpers/step-env';
import * as checkCommandStep from '../../functions/commands/check-command';
import * as checkInstancesOnlineStep from '../../functions/commands/check-instances-online';
import * as checkBuilderStoppedStep from '../../functions/image/check-builder-stopped';
import * as checkImageStep from '../../functions/image/check-image';
import * as createImageStep from '../../functions/image/create-image';
import * as findBakedImageStep from '../../functions/image/find-baked-image';
import * as installPackagesStep from '../../functions/image/install-packages';
import * as launchBuilderStep from '../../functions/image/launch-builder';
import * as resolveBaseImageStep from '../../functions/image/resolve-base-image';
import * as stopBuilderStep from '../../functions/image/stop-builder';
import * as terminateBuilderStep from '../../functions/image/terminate-builder';
import { checkBake } from '../../functions/image/check-bake';
import { resolveImage } from '../../functions/image/resolve-image';
import type { StepDeps } from '../../functions/lib/deps';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import { clusterWithNetwork, seedFstab, simList, untilReady } from './helpers';

const TIME_SCALE = 1000;
/** See bake-steps.test.ts: the simulated archive's newest 1.31 patch. */
const BAKE_VERSION = '1.31.4';
const MACHINE = 'hopper-test-bake-image';

type Run = (event: unknown, context: undefined, deps: StepDeps) => Promise<unknown>;

let env: StepEnv;
let server: StepFunctionsServer;
let deps: StepDeps;
/** Steps the test makes fail, by function name. */
const sabotage = new Map<string, Error>();

beforeAll(async () => {
  env = await startStepEnv({ timeScale: TIME_SCALE });
  const steps: Record<string, Run> = {
    findBakedImage: findBakedImageStep.runStep,
    resolveBaseImage: resolveBaseImageStep.runStep,
    launchBuilder: launchBuilderStep.runStep,
    checkInstancesOnline: checkInstancesOnlineStep.runStep,
    installPackages: async (event, context, d) => {
      // The simulator's hosts lack /etc/fstab, which the bake edits (see helpers.ts).
      await seedFstab(env, (event as { instanceId: string }).instanceId);
      return installPackagesStep.runStep(event, context, d);
    },
    checkCommand: checkCommandStep.runStep,
    stopBuilder: stopBuilderStep.runStep,
    checkBuilderStopped: checkBuilderStoppedStep.runStep,
    createImage: createImageStep.runStep,
    checkImage: checkImageStep.runStep,
    terminateBuilder: terminateBuilderStep.runStep,
  };
  const lambda: LambdaInvoker = {
    region: 'us-east-1',
    get: () => undefined,
    async invoke(name, event) {
      const injected = sabotage.get(name);
      if (injected) throw injected;
      const run = steps[name];
      if (!run) throw new Error(`no step ${name}`);
      return run(event, undefined, env.deps);
    },
  };
  const definition = JSON.parse(readFileSync(new URL('../../statemachines/bake-image.asl.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  server = await startStepFunctions({
    port: 0,
    region: 'us-east-1',
    stateMachines: { bakeImage: { key: 'bakeImage', id: 'BakeImageStateMachine', name: MACHINE, definition } },
    lambda,
    timeScale: TIME_SCALE,
  });
  const sfn = new SFNClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  deps = { ...env.deps, clients: { ...env.deps.clients, sfn } };
  process.env.BAKE_IMAGE_STATE_MACHINE_ARN = stateMachineArn('us-east-1', MACHINE);
});
afterAll(async () => {
  deps?.clients.sfn.destroy();
  await server?.close();
  await env?.stop();
});

describe('bake-image on the embedded runner', () => {
  it('bakes an image that resolveImage then reuses, and terminates its builder', async () => {
    const net = await clusterWithNetwork(env, 'wholebake');
    const input = { cluster: net.cluster, operationId: net.operationId, vpcId: net.vpcId, subnets: net.subnets, kubernetesVersion: BAKE_VERSION };
    const started = await resolveImage(input, deps);
    expect(started).toEqual({ bakeExecutionArn: expect.stringContaining(`:execution:${MACHINE}:bake-1-31-4-amd64-us-east-1-r1-`) });
    const arn = (started as { bakeExecutionArn: string }).bakeExecutionArn;
    // Retried while the bake runs: the same execution, no second bake.
    expect(await resolveImage(input, deps)).toEqual(started);

    await expect(checkBake({ bakeExecutionArn: arn }, deps)).rejects.toBeInstanceOf(NotReadyError);
    const { imageId } = await untilReady(() => checkBake({ bakeExecutionArn: arn }, deps), 60_000, 50);
    expect(imageId).toMatch(/^ami-/);

    const builders = (await simList(env, 'instances')).filter((i) => i.tags?.['hopper:role'] === 'image-builder' && i.tags?.['hopper:cluster'] === net.cluster);
    expect(builders).toHaveLength(1);
    expect(builders[0].state).toMatch(/shutting-down|terminated/);
    expect(await resolveImage(input, deps)).toEqual({ imageId });
  });

  it('terminates the builder when a step fails, and checkBake reports the step\'s error', async () => {
    const net = await clusterWithNetwork(env, 'failbake', { architecture: 'arm64' });
    sabotage.set('installPackages', new StepFailedError('InstallPackages failed on the builder: apt-get: mirror unreachable'));
    try {
      const started = (await resolveImage({ cluster: net.cluster, operationId: net.operationId, vpcId: net.vpcId, subnets: net.subnets, kubernetesVersion: BAKE_VERSION }, deps)) as { bakeExecutionArn: string };
      const error = await untilReady(() => checkBake(started, deps), 60_000, 50).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StepFailedError);
      expect((error as Error).message).toMatch(/^image bake bake-1-31-4-arm64-us-east-1-r1-.* failed: StepFailedError: InstallPackages failed on the builder: apt-get: mirror unreachable$/);
    } finally {
      sabotage.clear();
    }
    const builders = (await simList(env, 'instances')).filter((i) => i.tags?.['hopper:role'] === 'image-builder' && i.tags?.['hopper:cluster'] === net.cluster);
    expect(builders).toHaveLength(1);
    expect(builders[0].state).toMatch(/shutting-down|terminated/);
    // No image was made for the failed bake.
    expect((await simList(env, 'images')).filter((i) => i.tags?.['hopper:baked-by'] === net.cluster)).toEqual([]);
  });
});
