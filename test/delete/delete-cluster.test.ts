/**
 * The delete-cluster workflow on the simulator, run whole (the ASL on the embedded runtime,
 * each Task calling its step): it leaks nothing, never deletes what the cluster does not own,
 * works from any state and twice, and copes with throttling and DependencyViolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ec2 from '@aws-sdk/client-ec2';
import { MAX_ROUNDS } from '../../functions/delete/prove-deleted';
import { createEni } from '../../local/sim/ec2/network-interfaces';
import { clusterTagKey } from '../../shared/tags';
import { startStepEnv, type StepEnv } from '../helpers/step-env';
import { allResources, buildBroughtNetwork, buildFootprint, buildOtherCluster, hasElb, postFaults, stillTagged } from './footprint';
import { clusterBeingDeleted, CORES, startDeleteRunner, STEPS, type DeleteRunner } from './harness';

let env: StepEnv;
let runner: DeleteRunner;
let elb = false;

beforeAll(async () => {
  env = await startStepEnv({ timeScale: 1000 });
  runner = await startDeleteRunner(env);
  elb = await hasElb(env);
  if (!elb) console.warn('the simulator serves no ELBv2 yet: footprints without load balancers');
});
afterAll(async () => {
  await runner?.close();
  await env?.stop();
});

async function expectDeleted(name: string, operationId: string) {
  const record = await env.deps.store.getCluster(name);
  expect(record?.status).toBe('Deleted');
  expect(record?.lock).toBeUndefined();
  expect((await env.deps.store.getOperation(operationId))?.status).toBe('Succeeded');
  expect(await env.deps.store.listResources(name)).toEqual([]);
}

describe('delete-cluster', () => {
  it('deletes a whole footprint, recorded or only tagged, and leaves nothing tagged for the cluster', async () => {
    const name = 'full';
    const operationId = await clusterBeingDeleted(env, name);
    const footprint = await buildFootprint(env, name, { elb });
    const other = await buildOtherCluster(env, 'neighbour');
    expect((await stillTagged(env, name)).length).toBeGreaterThan(15);

    const execution = await runner.run({ cluster: name, operationId });
    expect(execution.status, execution.cause).toBe('SUCCEEDED');

    expect(await stillTagged(env, name)).toEqual([]);
    const ids = new Set((await allResources(env)).filter((r) => !(r.kind === 'instances' && r.state === 'terminated') && r.state !== 'deleted').map((r) => r.id));
    for (const id of [footprint.vpcId, ...footprint.subnetIds, ...footprint.securityGroupIds, ...footprint.untracked, ...footprint.loadBalancerArns]) expect(ids.has(id), id).toBe(false);
    // Another cluster's resources are never touched.
    for (const id of other) expect(ids.has(id), id).toBe(true);
    const neighbour = (await allResources(env)).find((r) => r.id === other[0]);
    expect(neighbour?.tags?.[clusterTagKey('neighbour')]).toBe('owned');
    // Nothing left in Parameter Store under the cluster's path.
    expect([...JSON.stringify(await env.resources()).matchAll(/\/hopper\/full\//g)]).toHaveLength(0);
    await expectDeleted(name, operationId);
    const op = await env.deps.store.getOperation(operationId);
    expect(op?.steps.map((s) => [s.name, s.status])).toEqual(
      expect.arrayContaining([['Discover', 'Succeeded'], ['Compute', 'Succeeded'], ['Vpc', 'Succeeded'], ['Release', 'Succeeded']]),
    );
  });

  it('leaves a brought VPC, subnets, internet gateway and NAT gateway as they were, minus Hopper’s tags', async () => {
    const brought = await buildBroughtNetwork(env);
    const before = new Map((await allResources(env)).map((r) => [r.id, r]));
    const name = 'byo';
    const operationId = await clusterBeingDeleted(env, name);
    const footprint = await buildFootprint(env, name, { brought });
    expect((await allResources(env)).find((r) => r.id === brought.vpcId)?.tags?.[clusterTagKey(name)]).toBe('shared');

    const execution = await runner.run({ cluster: name, operationId });
    expect(execution.status, execution.cause).toBe('SUCCEEDED');

    const after = new Map((await allResources(env)).map((r) => [r.id, r]));
    for (const id of [brought.vpcId, ...brought.subnetIds, brought.natGatewayId, brought.internetGatewayId]) {
      const was = before.get(id)!;
      const now = after.get(id);
      expect(now, id).toBeDefined();
      // Same tags as before the cluster (its `shared` tag gone), same state.
      expect(now?.tags, id).toEqual(was.tags);
      expect(now?.state, id).toEqual(was.state);
    }
    // The brought subnets are back on their VPC's main route table; Hopper's own groups and tables are gone.
    for (const id of footprint.securityGroupIds) expect(after.has(id), id).toBe(false);
    expect(await stillTagged(env, name)).toEqual([]);
    await expectDeleted(name, operationId);
  });

  it('finishes for a cluster that never got a resource', async () => {
    const operationId = await clusterBeingDeleted(env, 'empty');
    const execution = await runner.run({ cluster: 'empty', operationId });
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    await expectDeleted('empty', operationId);
  });

  it('resumes a delete that failed half-way, and running every pass again afterwards is harmless', async () => {
    const name = 'half';
    const first = await clusterBeingDeleted(env, name);
    await buildFootprint(env, name, { elb });
    // A terminal error half-way (after compute, NAT and gateways are gone).
    await postFaults(env, { failNext: [{ service: 'ec2', action: 'DeleteVpc', code: 'UnauthorizedOperation', count: 1 }] });
    const failed = await runner.run({ cluster: name, operationId: first });
    expect(failed.status).toBe('FAILED');
    const record = await env.deps.store.getCluster(name);
    expect(record?.status).toBe('Failed');
    expect(record?.lock).toBeUndefined();
    expect((await env.deps.store.getOperation(first))?.error?.step).toBe('Vpc');
    expect((await stillTagged(env, name)).some((r) => r.startsWith('vpcs:'))).toBe(true);

    // Delete again: a new operation, from what is left.
    const second = await clusterBeingDeleted(env, name);
    const resumed = await runner.run({ cluster: name, operationId: second });
    expect(resumed.status, resumed.cause).toBe('SUCCEEDED');
    expect(await stillTagged(env, name)).toEqual([]);
    await expectDeleted(name, second);

    // Every pass once more on the empty footprint: NotFound is success, nothing is touched.
    const deps = env.deps;
    const base = { cluster: name, operationId: second };
    const set = (await CORES.discoverResources({ ...base, deleteImages: true }, deps)) as Record<string, unknown>;
    expect(Object.entries(set).filter(([k, v]) => k !== 'skipped' && Array.isArray(v) && v.length)).toEqual([]);
    const passes = ['deleteAutoScalingGroups', 'terminateInstances', 'checkInstancesTerminated', 'deleteLoadBalancers', 'deleteNatGateways', 'checkNatGatewaysDeleted',
      'releaseAddresses', 'deleteInternetGateways', 'deleteNetworkInterfaces', 'deleteSubnets', 'deleteRouteTables', 'deleteSecurityGroups', 'deleteVpc',
      'deleteLaunchTemplates', 'deleteParameters', 'deleteImages', 'releaseShared'];
    for (const step of passes) await CORES[step]({ ...base, ...set }, deps);
    // Through their handlers, the passes of the finished operation refuse before touching anything.
    for (const step of passes) {
      await expect(STEPS[step]({ ...base, ...set }, undefined, deps), step).rejects.toThrow(/refused to run: cluster half no longer exists/);
    }
  });

  it('completes under throttling and DependencyViolation retries', async () => {
    const name = 'busy';
    const operationId = await clusterBeingDeleted(env, name);
    await buildFootprint(env, name, { elb });
    await postFaults(env, {
      throttling: true,
      // Buckets refill per simulated second: this is ~5 calls per real second at the test's time scale.
      buckets: { mutating: { capacity: 8, refill: 5 / env.sim.state.clock.timeScale } },
      failNext: [
        { service: 'ec2', action: 'DeleteSubnet', code: 'DependencyViolation', count: 3 },
        { service: 'ec2', action: 'DeleteSecurityGroup', code: 'DependencyViolation', count: 2 },
        { service: 'ec2', action: 'DeleteVpc', code: 'DependencyViolation', count: 2 },
        { service: 'ec2', action: 'DetachInternetGateway', code: 'DependencyViolation', count: 1 },
      ],
    });
    try {
      const execution = await runner.run({ cluster: name, operationId });
      expect(execution.status, execution.cause).toBe('SUCCEEDED');
    } finally {
      await postFaults(env, { throttling: false });
    }
    const calls = (await (await fetch(`${env.simUrl}/_sim/calls`)).json()) as Record<string, { errors: Record<string, number> }>;
    expect(calls['ec2:DeleteSubnet']?.errors.DependencyViolation).toBeGreaterThanOrEqual(3);
    const throttled = Object.values(calls).reduce((n, c) => n + (c.errors.RequestLimitExceeded ?? 0), 0);
    expect(throttled).toBeGreaterThan(0);
    expect(await stillTagged(env, name)).toEqual([]);
    await expectDeleted(name, operationId);
  });

  it('ends with proof: what appears after Discover is found by a fresh scan and removed by another round', async () => {
    const name = 'late';
    const operationId = await clusterBeingDeleted(env, name);
    await buildFootprint(env, name, { elb });
    // As a step of a superseded operation might have: an Elastic IP tagged for the cluster, after the passes ran.
    let late: string | undefined;
    runner.beforeCall = async (step) => {
      if (step !== 'releaseShared' || late) return;
      const out = await env.deps.clients.ec2.send(
        new ec2.AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: [{ Key: clusterTagKey(name), Value: 'owned' }] }] }),
      );
      late = out.AllocationId;
    };
    const from = runner.calls.length;
    try {
      const done = await runner.run({ cluster: name, operationId });
      expect(done.status, done.cause).toBe('SUCCEEDED');
    } finally {
      runner.beforeCall = undefined;
    }
    expect(late).toBeDefined();
    expect(runner.calls.slice(from).filter((c) => c === 'proveDeleted')).toHaveLength(2);
    expect(await stillTagged(env, name)).toEqual([]);
    await expectDeleted(name, operationId);
  });

  it('fails, after its last round, listing what is left and why', async () => {
    const name = 'stuck';
    const operationId = await clusterBeingDeleted(env, name);
    const footprint = await buildFootprint(env, name, { elb });
    // A network interface no pass may touch (it carries no cluster tag) keeps a subnet in use.
    const eni = createEni(env.sim.state, env.sim.state.subnets.get(footprint.subnetIds[0])!, { description: 'someone else' });
    const base = { cluster: name, operationId, deleteImages: false };
    await expect(CORES.proveDeleted({ ...base, round: 0 }, env.deps)).resolves.toMatchObject({ done: false, round: 1 });
    const last = CORES.proveDeleted({ ...base, round: MAX_ROUNDS - 1 }, env.deps);
    await expect(last).rejects.toThrow(/the delete left \d+ resource\(s\) after 3 rounds:\n {2}- /);
    const message = String(((await last.catch((e: unknown) => e)) as Error).message);
    const subnet = new RegExp(`subnet ${footprint.subnetIds[0]} \\(in use by [^)]*network interface ${eni.id} "someone else"`);
    expect(message).toMatch(subnet);
    await env.deps.clients.ec2.send(new ec2.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.id }));
    const done = await runner.run({ cluster: name, operationId });
    expect(done.status, done.cause).toBe('SUCCEEDED');
  });
});
