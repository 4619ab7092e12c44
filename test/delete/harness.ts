/**
 * Runs statemachines/delete-cluster.asl.json, unchanged, on the embedded Step Functions
 * runtime, with every Task calling the step's own wrapper (`run`: validation, stage
 * records, error classification) over the test environment's dependencies.
 */
import * as hostRoles from '../../functions/delete/delete-host-roles';
import * as issuer from '../../functions/delete/delete-service-account-issuer';
import { readFileSync } from 'node:fs';
import * as beginWorkflow from '../../functions/workflow/begin-workflow';
import * as failWorkflow from '../../functions/workflow/fail-workflow';
import * as finishWorkflow from '../../functions/workflow/finish-workflow';
import * as discover from '../../functions/delete/discover-resources';
import * as groups from '../../functions/delete/delete-auto-scaling-groups';
import * as terminate from '../../functions/delete/terminate-instances';
import * as checkInstances from '../../functions/delete/check-instances-terminated';
import * as volumes from '../../functions/delete/delete-volumes';
import * as lbs from '../../functions/delete/delete-load-balancers';
import * as nats from '../../functions/delete/delete-nat-gateways';
import * as checkNats from '../../functions/delete/check-nat-gateways-deleted';
import * as addresses from '../../functions/delete/release-addresses';
import * as igws from '../../functions/delete/delete-internet-gateways';
import * as enis from '../../functions/delete/delete-network-interfaces';
import * as subnets from '../../functions/delete/delete-subnets';
import * as routeTables from '../../functions/delete/delete-route-tables';
import * as groupsSg from '../../functions/delete/delete-security-groups';
import * as vpc from '../../functions/delete/delete-vpc';
import * as templates from '../../functions/delete/delete-launch-templates';
import * as parameters from '../../functions/delete/delete-parameters';
import * as backups from '../../functions/delete/delete-backups';
import * as images from '../../functions/delete/delete-images';
import * as release from '../../functions/delete/release-shared';
import * as prove from '../../functions/delete/prove-deleted';
import { StepFunctionsRuntime, type ExecutionRecord } from '../../local/runtime/stepfunctions';
import { stateMachineArn } from '../../local/runtime/serverless-config';
import type { StepEnv } from '../helpers/step-env';

type Runner = (event: unknown, context: undefined, deps: StepEnv['deps']) => Promise<unknown>;

const workflow = {
  beginWorkflow: beginWorkflow.step.run,
  finishWorkflow: finishWorkflow.step.run,
  failWorkflow: failWorkflow.step.run,
};

/** The delete's steps by function name (the workflow's own three aside). */
const DELETE_STEPS = {
  discoverResources: discover.step,
  deleteAutoScalingGroups: groups.step,
  terminateInstances: terminate.step,
  checkInstancesTerminated: checkInstances.step,
  deleteVolumes: volumes.step,
  deleteLoadBalancers: lbs.step,
  deleteNatGateways: nats.step,
  checkNatGatewaysDeleted: checkNats.step,
  releaseAddresses: addresses.step,
  deleteInternetGateways: igws.step,
  deleteNetworkInterfaces: enis.step,
  deleteSubnets: subnets.step,
  deleteRouteTables: routeTables.step,
  deleteSecurityGroups: groupsSg.step,
  deleteVpc: vpc.step,
  deleteLaunchTemplates: templates.step,
  deleteParameters: parameters.step,
  deleteHostRoles: hostRoles.step,
  deleteServiceAccountIssuer: issuer.step,
  deleteBackups: backups.step,
  deleteImages: images.step,
  releaseShared: release.step,
  proveDeleted: prove.step,
};

/** The Task function names of the ASL → the step's wrapper. */
export const STEPS: Record<string, Runner> = {
  ...(workflow as Record<string, Runner>),
  ...Object.fromEntries(Object.entries(DELETE_STEPS).map(([name, step]) => [name, step.run as Runner])),
};

/** The same steps' cores, without the handler's fencing: what a pass does on its own. */
export const CORES = Object.fromEntries(
  Object.entries(DELETE_STEPS).map(([name, step]) => [name, step.core as (input: unknown, deps: StepEnv['deps']) => Promise<unknown>]),
);

const definition = JSON.parse(readFileSync(new URL('../../statemachines/delete-cluster.asl.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const NAME = 'hopper-test-delete-cluster';

export interface DeleteRunner {
  run(input: Record<string, unknown>, name?: string): Promise<ExecutionRecord>;
  /** Task names called, in order. */
  calls: string[];
  /** Called before each Task's step (tests set it to act between passes). */
  beforeCall?: (name: string) => Promise<void>;
  close(): Promise<void>;
}

export async function startDeleteRunner(env: StepEnv): Promise<DeleteRunner> {
  const calls: string[] = [];
  const hooks: { beforeCall?: (name: string) => Promise<void> } = {};
  const runtime = await StepFunctionsRuntime.create({
    region: 'us-east-1',
    timeScale: 1000,
    stateMachines: { deleteCluster: { key: 'deleteCluster', id: 'DeleteClusterStateMachine', name: NAME, definition } },
    lambda: {
      region: 'us-east-1',
      get: () => undefined,
      invoke: async (name, event) => {
        const step = STEPS[name];
        if (!step) throw new Error(`no step ${name}`);
        calls.push(name);
        await hooks.beforeCall?.(name);
        return step(event, undefined, env.deps);
      },
    },
  });
  let n = 0;
  return {
    calls,
    set beforeCall(fn: ((name: string) => Promise<void>) | undefined) {
      hooks.beforeCall = fn;
    },
    async run(input, name = `delete-${++n}-${Date.now()}`) {
      const started = runtime.start(stateMachineArn('us-east-1', NAME), name, JSON.stringify(input));
      return runtime.waitFor(started.executionArn);
    },
    close: () => runtime.close(),
  };
}

/** Store a cluster and give a delete operation its lock, as DELETE /v1/clusters/{name} does. */
export async function clusterBeingDeleted(env: StepEnv, name: string, operationId = `op-delete-${name}-${Date.now()}`): Promise<string> {
  const store = env.deps.store;
  const existing = await store.getCluster(name);
  if (!existing || existing.status === 'Deleted') {
    const created = await env.createCluster({ name, region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'] }, `op-create-${name}-${Date.now()}`);
    await store.releaseLock(name, created.operationId);
  } else if (existing.lock) {
    await store.releaseLock(name, existing.lock.operationId);
  }
  await store.beginOperation(name, { operationId, type: 'delete', owner: 'test', leaseSeconds: 3600, status: 'Deleting' });
  return operationId;
}
