/**
 * A real cluster on the cloud simulator for the rolling-update and upgrade tests, built
 * with the create steps in create-cluster's order: network, a baked image (bake-image on
 * the embedded runner), three control-plane instances (kubeadm init, add-ons, joins over
 * SSM), a node group whose instances join through their user data. The rolling-update,
 * upgrade-cluster and bake-image state machines run unchanged on the embedded Step
 * Functions runner, their Task resources mapped onto the step cores.
 */
import { readFileSync } from 'node:fs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { startStepFunctions, type StepFunctionsServer } from '../../local/runtime/stepfunctions';
import { stateMachineArn } from '../../local/runtime/serverless-config';
import type { LambdaInvoker } from '../../local/runtime/lambda';
import { startStepEnv, type StepEnv } from '../helpers/step-env';
import { clusterWithNetwork, seedFstab, untilReady } from '../image/helpers';
import type { StepDeps } from '../../functions/lib/deps';
import { defineStep } from '../../functions/lib/step';
import * as img from './steps';

export const TIME_SCALE = 1000;
/** The simulated pkgs.k8s.io has 1.31 up to 1.31.4 and 1.32 up to 1.32.1 (see test/image). */
export const FROM_VERSION = '1.31.4';
export const TO_VERSION = '1.32.1';

export interface Harness {
  env: StepEnv;
  deps: StepDeps;
  server: StepFunctionsServer;
  sfn: SFNClient;
  arn(machine: 'rolling' | 'upgrade'): string;
  /** Steps the test replaces (by function name). */
  overrides: Map<string, (event: unknown) => Promise<unknown>>;
  /** Every step the runner invoked: function, operation, real start and end (ms), the error's name if it threw. */
  invocations: Invocation[];
  stop(): Promise<void>;
}

export interface Invocation {
  name: string;
  operationId?: string;
  startedAt: number;
  endedAt?: number;
  error?: string;
}

const MACHINES = { rolling: 'hopper-test-rolling-update', upgrade: 'hopper-test-upgrade-cluster', bake: 'hopper-test-bake-image' };

/**
 * `timeScale`: how much faster than the wall clock the simulated cloud runs (TIME_SCALE unless
 * given). `runnerTimeScale`: the same for the runner's Wait and Retry intervals (timeScale
 * unless given). The hosts run real bash, whose wall-clock time the simulator counts at
 * `timeScale`: on a busy machine a validation script can take a few hundred simulated seconds
 * at 500, more than the state machines poll for. A slower runner keeps the polls' budgets
 * larger than that without slowing the simulated cloud.
 */
export async function startHarness(options: { timeScale?: number; runnerTimeScale?: number } = {}): Promise<Harness> {
  const timeScale = options.timeScale ?? TIME_SCALE;
  const env = await startStepEnv({ timeScale });
  const overrides = new Map<string, (event: unknown) => Promise<unknown>>();
  const invocations: Invocation[] = [];
  let deps: StepDeps = env.deps;
  const steps = img.allSteps(env);
  const lambda: LambdaInvoker = {
    region: 'us-east-1',
    get: () => undefined,
    async invoke(name, event) {
      const call: Invocation = { name, operationId: (event as { operationId?: string } | undefined)?.operationId, startedAt: Date.now() };
      invocations.push(call);
      try {
        const o = overrides.get(name);
        if (o) return await o(event);
        const run = steps[name];
        if (!run) throw new Error(`no step ${name}`);
        return await run(event, undefined, deps);
      } catch (error) {
        call.error = (error as Error).name;
        throw error;
      } finally {
        call.endedAt = Date.now();
      }
    },
  };
  const def = (file: string) => JSON.parse(readFileSync(new URL(`../../statemachines/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
  const server = await startStepFunctions({
    port: 0,
    region: 'us-east-1',
    stateMachines: {
      rollingUpdate: { key: 'rollingUpdate', id: 'RollingUpdateStateMachine', name: MACHINES.rolling, definition: def('rolling-update.asl.json') },
      upgradeCluster: { key: 'upgradeCluster', id: 'UpgradeClusterStateMachine', name: MACHINES.upgrade, definition: def('upgrade-cluster.asl.json') },
      bakeImage: { key: 'bakeImage', id: 'BakeImageStateMachine', name: MACHINES.bake, definition: def('bake-image.asl.json') },
    },
    lambda,
    timeScale: options.runnerTimeScale ?? timeScale,
  });
  const sfn = new SFNClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  deps = { ...env.deps, clients: { ...env.deps.clients, sfn } };
  process.env.BAKE_IMAGE_STATE_MACHINE_ARN = stateMachineArn('us-east-1', MACHINES.bake);
  process.env.ROLLING_UPDATE_STATE_MACHINE_ARN = stateMachineArn('us-east-1', MACHINES.rolling);
  process.env.UPGRADE_CLUSTER_STATE_MACHINE_ARN = stateMachineArn('us-east-1', MACHINES.upgrade);
  return {
    env,
    get deps() {
      return deps;
    },
    server,
    sfn,
    arn: (m) => stateMachineArn('us-east-1', m === 'rolling' ? MACHINES.rolling : MACHINES.upgrade),
    overrides,
    invocations,
    async stop() {
      sfn.destroy();
      await server.close();
      await env.stop();
    },
  } as Harness;
}

export { clusterWithNetwork, defineStep, seedFstab, untilReady };

import * as asg from '@aws-sdk/client-auto-scaling';
import { launchControlPlane } from '../../functions/control-plane/launch-control-plane';
import { initControlPlane } from '../../functions/control-plane/init-control-plane';
import { installAddons } from '../../functions/control-plane/install-addons';
import { joinControlPlane } from '../../functions/control-plane/join-control-plane';
import { checkCommand } from '../../functions/commands/check-command';
import { checkInstancesOnline } from '../../functions/commands/check-instances-online';
import { ensureLaunchTemplate } from '../../functions/nodes/launch-templates';
import { ensureAutoScalingGroup } from '../../functions/nodes/auto-scaling-groups';
import { ensureSecurityGroups } from '../../functions/network/ensure-security-groups';
import { resolveImage } from '../../functions/image/resolve-image';
import { checkBake } from '../../functions/image/check-bake';
import { validateCluster } from '../../functions/validate/validate-cluster';
import { checkValidation } from '../../functions/validate/check-validation';
import { NotReadyError } from '../../shared/errors';
import { groupResourceName } from '../../shared/tags';

/** Build `name`: 3 control-plane instances and `nodes` nodes at `version` (FROM_VERSION); the create operation finished. */
export async function buildCluster(h: Harness, name: string, nodes: number, version = FROM_VERSION): Promise<{ imageId: string }> {
  const deps = h.deps;
  const net = await clusterWithNetwork(h.env, name, { zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], controlPlane: { count: 3 }, instanceGroups: [{ name: 'nodes', min: nodes, max: nodes + 4, machineType: 't3.medium' }] });
  // The archive's version (the spec only names supported patches): as the running version too.
  await deps.store.mutateCluster(name, (r) => ({ spec: { ...r.spec, kubernetesVersion: version }, kubernetesVersion: version }));
  const base = { cluster: name, operationId: net.operationId };
  const securityGroups = await ensureSecurityGroups({ cluster: name, vpcId: net.vpcId }, deps);
  const started = await resolveImage({ ...base, vpcId: net.vpcId, subnets: net.subnets }, deps);
  const imageId = 'imageId' in started ? started.imageId : (await untilReady(() => checkBake(started, deps), 120_000, 50)).imageId;
  const cp = await launchControlPlane({ cluster: name, imageId, subnets: net.subnets, securityGroups, apiLoadBalancer: { state: 'active', dnsName: `${name}-api.elb.us-east-1.amazonaws.com` } }, deps);
  await untilReady(() => checkInstancesOnline({ instanceIds: cp.instanceIds }, deps), 60_000);
  const run = async (sent: Promise<{ commandId: string; instanceId: string }>, step: string) => {
    const c = await sent;
    return untilReady(() => checkCommand({ ...c, step }, deps), 120_000, 25);
  };
  await run(initControlPlane({ ...base, instanceId: cp.first, apiEndpoint: cp.apiEndpoint }, deps), 'InitControlPlane');
  await run(installAddons({ ...base, instanceId: cp.first }, deps), 'InstallAddons');
  for (const other of cp.others) await run(joinControlPlane({ ...base, instanceId: other }, deps), 'JoinControlPlane');
  const launchTemplate = await ensureLaunchTemplate({ cluster: name, group: 'nodes', imageId, securityGroups }, deps);
  await ensureAutoScalingGroup({ cluster: name, group: 'nodes', subnets: net.subnets, launchTemplate }, deps);
  await waitValid(h, name, 2);
  await deps.store.finishOperation(net.operationId, { status: 'Succeeded' });
  await deps.store.releaseLock(name, net.operationId);
  await deps.store.mutateCluster(name, () => ({ status: 'Ready' }));
  return { imageId };
}

/** Validate until `passes` passes in a row (what the state machines' loop does). */
export async function waitValid(h: Harness, name: string, passes: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let count = 0;
  let last: unknown;
  while (count < passes) {
    if (Date.now() > deadline) throw new Error(`cluster ${name} did not validate: ${JSON.stringify(last)}`);
    const op = (await h.deps.store.requireCluster(name)).lock?.operationId ?? 'test';
    const resources = await h.deps.store.listResources(name);
    const ids = resources.filter((r) => r.type === 'instance' && r.attrs?.role === 'control-plane').map((r) => r.id);
    const endpoint = String(resources.find((r) => r.attrs?.apiEndpoint)?.attrs?.apiEndpoint ?? '');
    const command = await validateCluster({ cluster: name, operationId: op, controlPlane: { instanceIds: ids, first: ids[0], others: ids.slice(1), apiEndpoint: endpoint } }, h.deps);
    const result = await untilReady(() => checkValidation({ cluster: name, command, passes: count }, h.deps), 30_000, 25);
    last = result.failures;
    count = result.passes;
    if (count < passes) await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kubernetes as the simulator has it (`GET /_sim/kubernetes`). */
export interface SimKube {
  clusters: Array<{
    endpoint: string;
    version: string;
    nodes: Array<{ name: string; role: string; instanceId: string; ready: boolean; unschedulable: boolean; kubeletVersion: string; controlPlaneVersion: string | null }>;
    pods: Array<{ namespace: string; name: string; node: string | null; kind: string }>;
  }>;
}
export async function simKube(h: Harness): Promise<SimKube> {
  return (await (await fetch(`${h.env.simUrl}/_sim/kubernetes`)).json()) as SimKube;
}

/** The group's Auto Scaling group. */
export async function group(h: Harness, name: string): Promise<asg.AutoScalingGroup> {
  return (await h.deps.clients.autoscaling.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupResourceName(name, 'nodes')] }))).AutoScalingGroups![0];
}

export { NotReadyError };

import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { ApiDeps } from '../../functions/api/deps';

/** What the API handlers need, over the harness (its store, runner and state machines). */
export function apiDepsOf(h: Harness): ApiDeps {
  return { store: h.deps.store, sfn: h.sfn, ssm: h.deps.clients.ssm, parameterPrefix: '/hopper', parameterKey: h.deps.parameterKey, now: () => new Date(), stateMachineArn: (w) => (w === 'rolling-update' ? h.arn('rolling') : h.arn('upgrade')) };
}

/** Poll an execution until it leaves RUNNING. */
export async function waitExecution(h: Harness, arn: string, timeoutMs = 240_000): Promise<{ status: string; error?: string; cause?: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = await h.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    if (e.status !== 'RUNNING') return { status: e.status!, error: e.error, cause: e.cause };
    if (Date.now() > deadline) throw new Error(`execution ${arn} still running`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `POST /_sim/faults`. */
export async function postFaults(h: Harness, body: unknown): Promise<void> {
  const res = await fetch(`${h.env.simUrl}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST /_sim/faults: ${res.status} ${await res.text()}`);
}
