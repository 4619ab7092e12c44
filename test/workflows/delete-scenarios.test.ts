/**
 * Delete after every create scenario, end to end over the embedded control plane: after a
 * create that succeeded (single public, HA private with a bastion, brought VPC, cached image
 * reuse) and after one that failed at each stage (network, bake, control-plane init, node
 * join, validation), the simulator holds nothing the cluster owned and the record is
 * Deleted, its name free again. Also: a delete under throttling and error rates, and 409 for
 * a delete while a create holds the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationView } from '../../shared/api/types';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';
import { buildBroughtNetwork, snapshotBrought } from './brought';
import { anyTagged, clusterResources, createAndWait, deleteAndWait, haPrivateWithBastion, ownedLeft, type SimResource } from './world';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
}, 60_000);
afterAll(() => cp?.stop());

/**
 * Real time allowed for a create that runs out the validation deadline. The deadline is 75
 * passes, each a real host script in the sandbox: about 120 s on a quiet two-core machine,
 * up to two and a half times that when the other test worker is busy too.
 */
const VALIDATION_DEADLINE_MS = 420_000;

const single = (name: string, extra: Record<string, unknown> = {}) => ({ name, region: 'us-east-1', zones: ['us-east-1a'], topology: 'public', ...extra });

/** Delete, then: the delete Succeeded, nothing owned or tagged is left, the record is Deleted. */
async function deleteCleanly(name: string): Promise<OperationView> {
  const op = await deleteAndWait(cp, name);
  expect(op.status, JSON.stringify({ error: op.error, steps: op.steps })).toBe('Succeeded');
  expect(await ownedLeft(cp, name), 'owned resources left').toEqual([]);
  // Baked images are kept for reuse by design (deleteImages is off): anything else tagged is a leak.
  expect((await anyTagged(cp, name)).filter((r) => !r.startsWith('images:')), 'resources still tagged').toEqual([]);
  const record = await cp.request<{ status: string; lock?: unknown }>('GET', `/v1/clusters/${name}`);
  if (record.status === 200) {
    expect(record.body.status).toBe('Deleted');
    expect(record.body.lock).toBeUndefined();
  } else {
    expect(record.status).toBe(404);
  }
  return op;
}

/** Error counts of the simulator's delete-like actions, as `service:Action:Code`. */
async function deleteErrors(): Promise<Record<string, number>> {
  const calls = (await (await fetch(`${cp.cloud}/_sim/calls`)).json()) as Record<string, { errors?: Record<string, number> }>;
  const out: Record<string, number> = {};
  for (const [action, c] of Object.entries(calls)) {
    if (!/:(Delete|Detach|Terminate|Release|Revoke|Disassociate)/.test(action)) continue;
    for (const [code, n] of Object.entries(c.errors ?? {})) out[`${action}:${code}`] = n;
  }
  return out;
}

/**
 * A create under `faults` (reset by `clear` once it ended), then the delete — run even when
 * the create did not fail as expected, so nothing is left for later tests — then what the
 * create's operation must show: Failed at `stage`.
 */
async function failThenDelete(spec: { name: string } & Record<string, unknown>, faults: unknown, clear: unknown, stage: string): Promise<OperationView> {
  await cp.faults(faults);
  let op: OperationView;
  try {
    op = await createAndWait(cp, spec, 150_000);
  } finally {
    await cp.faults(clear);
  }
  await deleteCleanly(spec.name);
  expect(op.status, JSON.stringify(op.error)).toBe('Failed');
  expect(op.error?.step, JSON.stringify(op.error)).toBe(stage);
  return op;
}

describe('delete after a failed create', () => {
  it('at the bake (CreateImage refused): nothing owned is left', async () => {
    const refuse = { errorRates: [{ service: 'ec2', action: 'CreateImage', code: 'InvalidParameterValue', rate: 1 }] };
    const op = await failThenDelete(single('nobake'), refuse, { errorRates: [] }, 'Image');
    expect(op.error?.message).toMatch(/CreateImage failed with InvalidParameterValue/);
  }, 200_000);

  it('at the network (CreateNatGateway refused, while the image bakes): nothing owned is left', async () => {
    const refuse = { errorRates: [{ service: 'ec2', action: 'CreateNatGateway', code: 'InvalidParameterValue', rate: 1 }] };
    const op = await failThenDelete({ name: 'nonat', region: 'us-east-1', zones: ['us-east-1a'], topology: 'private' }, refuse, { errorRates: [] }, 'Network');
    expect(op.error?.message).toMatch(/InvalidParameterValue/);
  }, 200_000);

  it('at the control-plane init (kubeadm init fails): nothing owned is left', async () => {
    const op = await failThenDelete(single('noinit'), { hosts: { kubeadmInitFailures: 1 } }, { hosts: { kubeadmInitFailures: 0 } }, 'ControlPlane');
    expect(op.error?.message).toMatch(/InitControlPlane failed on i-/);
  }, 200_000);

  // Both wait out the validation deadline (75 passes), so they run side by side. A pass costs
  // real time (Lambda invocations, the status script on the host) that the time scale
  // multiplies, so the wait is sized for two loaded cores, not for the simulated 10 minutes.
  it('at the node join (every kubeadm join fails) and at the validation (the nodes keep crashing): nothing owned is left', async () => {
    // The crashing cluster first, without join faults: its nodes join, then crash again and again.
    const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', single('crashing'));
    expect(res.status).toBe(202);
    const id = res.body.operation.id;
    let done = false;
    let crashes = 0;
    let joinFaultsOn = false;
    let nojoin: Promise<OperationView> | undefined;
    const crasher = (async () => {
      while (!done) {
        const op = await cp.request<OperationView>('GET', `/v1/operations/${id}`);
        if (!['Pending', 'Running'].includes(op.body.status)) break;
        // Crash its nodes as soon as they run, whatever the step: waiting for the Validate
        // step let a loaded machine miss the window (two passes can come before a look).
        {
          const { instances } = (await (await fetch(`${cp.cloud}/_sim/resources?kind=instances`)).json()) as { instances: SimResource[] };
          const nodes = instances.filter(
            (i) => i.tags?.['hopper:cluster'] === 'crashing' && i.tags['hopper:role'] === 'node' && (typeof i.state === 'string' ? i.state : i.state?.name) === 'running',
          );
          if (nodes.length > 0) {
            await cp.faults({ crashInstances: nodes.map((i) => i.id) });
            crashes += nodes.length;
          }
          if (!joinFaultsOn && crashes > 0) {
            // Now the other cluster, whose joins all fail (kubeadm's TLS bootstrap times out).
            joinFaultsOn = true;
            await cp.faults({ hosts: { kubeadmJoinFailures: 100_000 } });
            nojoin = createAndWait(cp, single('nojoin'), VALIDATION_DEADLINE_MS);
          }
        }
        await new Promise((r) => setTimeout(r, 400));
      }
    })();
    let crashed: OperationView;
    let joined: OperationView | undefined;
    try {
      crashed = await cp.waitForOperation(id, VALIDATION_DEADLINE_MS);
      joined = await nojoin;
    } finally {
      done = true;
      await crasher;
      // Whatever happened above, later tests must not inherit failing joins.
      await cp.faults({ hosts: { kubeadmJoinFailures: 0 } });
      await nojoin?.catch(() => undefined);
    }
    expect(crashes).toBeGreaterThan(0);
    expect(crashed.status, JSON.stringify(crashed.error)).toBe('Failed');
    expect(crashed.error?.step, JSON.stringify(crashed.error)).toBe('Validate');
    expect(joined?.status, JSON.stringify(joined?.error)).toBe('Failed');
    expect(joined?.error?.step).toBe('Validate');
    expect(joined?.error?.code).toBe('ValidationTimeout');
    expect(joined?.error?.message).toMatch(/not yet joined|did not have enough nodes/);
    await Promise.all([deleteCleanly('crashing'), deleteCleanly('nojoin')]);
  }, VALIDATION_DEADLINE_MS + 180_000);
});

describe('delete after a create that succeeded', () => {
  it('single public: nothing left, record Deleted, and the name is free again (a second create reuses the cached image)', async () => {
    const op = await createAndWait(cp, single('solo'));
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    await deleteCleanly('solo');

    const images = ((await cp.simResources()).images ?? []).length;
    const again = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', single('solo'));
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    const second = await cp.waitForOperation(again.body.operation.id, 150_000);
    expect(second.status, JSON.stringify(second.error)).toBe('Succeeded');
    // Cached image reuse: no new image, no builder.
    expect(((await cp.simResources()).images ?? []).length).toBe(images);
    expect(((await clusterResources(cp, 'solo')).instances ?? []).filter((i) => i.tags['hopper:role'] === 'image-builder')).toEqual([]);
    await deleteCleanly('solo');
  }, 300_000);

  it('HA private with a bastion: nothing left', async () => {
    const op = await createAndWait(cp, haPrivateWithBastion('ha'));
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    const res = await clusterResources(cp, 'ha');
    expect(res.natGateways).toHaveLength(3);
    expect(res.instances.filter((i) => i.tags['hopper:role'] === 'bastion')).toHaveLength(1);
    await deleteCleanly('ha');
  }, 200_000);

  it('brought VPC: the brought resources are as they were before the create, Hopper’s tags gone', async () => {
    const zones = ['us-east-1a', 'us-east-1b'];
    const net = await buildBroughtNetwork(cp, zones, '10.2');
    const before = await snapshotBrought(cp, net);
    const op = await createAndWait(cp, { name: 'byo', region: 'us-east-1', zones, vpcId: net.vpcId, networkCidr: net.networkCidr, subnets: net.subnets, natGateways: net.natGateways });
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    await deleteCleanly('byo');
    const after = await snapshotBrought(cp, net);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const id of Object.keys(before)) expect(after[id], id).toEqual(before[id]);
  }, 200_000);
});

describe('delete under adversity', () => {
  it('completes with throttling on and DependencyViolation / 5xx error rates on the delete actions', async () => {
    const op = await createAndWait(cp, single('rough'));
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    const errorsBefore = await deleteErrors();
    await cp.faults({
      throttling: true,
      errorRates: [
        { service: 'ec2', action: 'DeleteSubnet', code: 'DependencyViolation', rate: 0.3 },
        { service: 'ec2', action: 'DeleteSecurityGroup', code: 'DependencyViolation', rate: 0.3 },
        { service: 'ec2', action: 'DeleteVpc', code: 'DependencyViolation', rate: 0.3 },
        { service: 'ec2', action: 'DetachInternetGateway', code: 'DependencyViolation', rate: 0.3 },
      ],
      // And, for certain, two DependencyViolations and one 5xx on these, whichever calls they hit first.
      failNext: [
        { service: 'ec2', action: 'DeleteSubnet', code: 'DependencyViolation', count: 2 },
        { service: 'ec2', action: 'DeleteSecurityGroup', code: 'DependencyViolation', count: 2 },
        { service: 'ec2', action: 'DeleteVpc', code: 'DependencyViolation', count: 2 },
        { service: 'ec2', action: 'DetachInternetGateway', code: 'DependencyViolation', count: 2 },
        { service: 'ec2', action: 'TerminateInstances', code: 'InternalError', count: 1 },
        { service: 'ec2', action: 'DeleteRouteTable', code: 'InternalError', count: 1 },
        { service: 'ec2', action: 'DeleteLaunchTemplate', code: 'ServiceUnavailable', count: 1 },
        { service: 'autoscaling', action: 'DeleteAutoScalingGroup', code: 'InternalFailure', count: 1, status: 500 },
      ],
    });
    try {
      await deleteCleanly('rough');
      expect(((await (await fetch(`${cp.cloud}/_sim/faults`)).json()) as { failNext: unknown[] }).failNext, 'every injected 5xx was hit').toEqual([]);
    } finally {
      await cp.faults({ throttling: false, errorRates: [] });
    }
    // The faults did bite during this delete.
    const errorsAfter = await deleteErrors();
    const injected = Object.keys(errorsAfter).filter((k) => errorsAfter[k] > (errorsBefore[k] ?? 0));
    expect(injected.filter((k) => k.endsWith('DependencyViolation')).length, injected.join(', ')).toBe(4);
    expect(injected.filter((k) => /InternalError|InternalFailure|ServiceUnavailable/.test(k)).length, injected.join(', ')).toBe(4);
  }, 300_000);

  it('answers 409 to a delete while a create holds the cluster', async () => {
    const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', single('held'));
    expect(res.status).toBe(202);
    const del = await cp.request<{ error: { code: string; message: string } }>('DELETE', '/v1/clusters/held');
    expect(del.status, JSON.stringify(del.body)).toBe(409);
    expect(del.body.error.message).toMatch(/create|held|operation/i);
    const op = await cp.waitForOperation(res.body.operation.id, 150_000);
    // Once the create has ended, the lock is free and the delete goes through.
    await deleteCleanly('held');
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
  }, 200_000);
});

describe('afterwards', () => {
  // A workflow still running after its delete (a bake started by a create that failed
  // elsewhere, say) could make resources after the delete's scan: none may appear later.
  it('nothing has appeared since for any cluster deleted above', async () => {
    await new Promise((r) => setTimeout(r, 2000));
    for (const name of ['nobake', 'nonat', 'noinit', 'crashing', 'nojoin', 'solo', 'ha', 'byo', 'rough', 'held']) {
      expect((await anyTagged(cp, name)).filter((r) => !r.startsWith('images:')), name).toEqual([]);
    }
  }, 30_000);
});
