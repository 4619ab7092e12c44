/**
 * Node auto-repair: AWS takes machines away (a scheduled retirement, a spot interruption,
 * failed status checks) and Hopper keeps the cluster whole without a person — each repair an
 * operation with its steps, queued behind a busy cluster (a recorded skip, then the sweep),
 * capped so that trouble wider than a machine is not "repaired" in a loop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationView } from '../../shared/api/types';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';
import { withCrashes } from './world';

const NAME = 'fleet';
const DAY = 86_400;
let cp: TestControlPlane;

interface SimInstance {
  id: string;
  state: string;
  tags: Record<string, string>;
  privateDnsName: string;
  stateReason?: { code: string };
}
interface KubeNode {
  name: string;
  instanceId: string;
  ready: boolean;
  unschedulable?: boolean;
}

async function instances(group?: string): Promise<SimInstance[]> {
  const all = (await cp.simResources()).instances as unknown as SimInstance[];
  return all.filter((i) => i.tags['hopper:cluster'] === NAME && (group === undefined || i.tags['hopper:instance-group'] === group || i.tags['hopper:role'] === group));
}
const running = async (group: string) => (await instances(group)).filter((i) => i.state === 'running');

async function nodes(): Promise<KubeNode[]> {
  const { clusters } = (await (await fetch(`${cp.cloud}/_sim/kubernetes`)).json()) as { clusters: { clusterName: string; nodes: KubeNode[] }[] };
  return clusters.find((c) => c.clusterName === NAME)?.nodes ?? [];
}

async function operations(): Promise<OperationView[]> {
  return (await cp.request<{ operations: OperationView[] }>('GET', `/v1/clusters/${NAME}/operations`)).body.operations;
}

async function post(path: string, body: unknown = {}): Promise<unknown> {
  const res = await fetch(`${cp.cloud}${path}`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status, path).toBe(200);
  return res.json();
}

/** Waits (real time) for a repair operation of `instanceId` to appear, and returns it once ended. */
async function repairOf(instanceId: string, status?: string): Promise<OperationView> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await cp.embedded.eventBridge.idle();
    const found = (await operations()).find((o) => o.type === 'repair' && (o.input as { request?: { instanceId?: string } } | undefined)?.request?.instanceId === instanceId && (!status || o.status === status));
    if (found) return cp.waitForOperation(found.id, 180_000);
    if (Date.now() > deadline) throw new Error(`no repair operation of ${instanceId}: ${JSON.stringify((await operations()).map((o) => [o.type, o.status]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits (real time, up to a minute) until `done`; else fails with the cluster's instances and Nodes. */
async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 60_000; !(await done()); await new Promise((r) => setTimeout(r, 200))) {
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify({ instances: await instances(), nodes: await nodes() })}`);
  }
}

/** Every running worker (both groups) has a Ready Node. */
async function workersReady(): Promise<boolean> {
  const [now, workers] = [await nodes(), [...(await running('nodes')), ...(await running('spot'))]];
  return workers.every((i) => now.some((n) => n.instanceId === i.id && n.ready));
}

const sweep = async () => ((await cp.embedded.lambda.invoke('instanceHealthSweep', {})) as { findings: { action: string; instanceId?: string; reason?: string; operationId?: string }[] }).findings;

beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
  const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', {
    name: NAME,
    region: 'us-east-1',
    zones: ['us-east-1a', 'us-east-1b'],
    topology: 'public',
    instanceGroups: [
      { name: 'nodes', min: 2, max: 2 },
      { name: 'spot', min: 1, max: 1, spot: {} },
    ],
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const op = await cp.waitForOperation(res.body.operation.id, 300_000);
  expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
}, 360_000);
afterAll(() => cp?.stop());

describe('node auto-repair', () => {
  it('replaces a node scheduled for retirement long before the deadline: drained, replaced, its Node deleted', async () => {
    const [victim] = await running('nodes');
    const node = victim.privateDnsName.toLowerCase();
    expect((await nodes()).map((n) => n.name)).toContain(node);
    await post(`/_sim/instances/${victim.id}/retirement`, { inSeconds: 7 * DAY });

    const op = await repairOf(victim.id);
    expect(op.status, JSON.stringify(op)).toBe('Succeeded');
    expect(op.steps.map((s) => s.name)).toEqual(['Prepare', 'Plan', 'Drain', 'Replace', 'Clean up']);
    expect(op.steps.find((s) => s.name === 'Plan')?.detail).toMatchObject({ instanceId: victim.id, trouble: 'retirement', group: 'nodes', drain: true, terminate: true });
    // The instance went through its group, before AWS stopped it; the group is whole again.
    const gone = (await instances('nodes')).find((i) => i.id === victim.id);
    expect(gone?.stateReason?.code ?? 'gone').not.toBe('Server.ScheduledStop');
    expect(['shutting-down', 'terminated', undefined]).toContain(gone?.state);
    expect(await running('nodes')).toHaveLength(2);
    expect((await nodes()).map((n) => n.name)).not.toContain(node);
    const cluster = await cp.request<{ status: string }>('GET', `/v1/clusters/${NAME}`);
    expect(cluster.body.status).toBe('Ready');
  }, 240_000);

  it('drains a spot node within its two minutes of notice; AWS takes it and the group replaces it', async () => {
    const [victim] = await running('spot');
    await post(`/_sim/instances/${victim.id}/spot-interruption`);
    const op = await repairOf(victim.id);
    expect(op.status, JSON.stringify(op)).toBe('Succeeded');
    expect(op.steps.find((s) => s.name === 'Plan')?.detail).toMatchObject({ trouble: 'spot-interruption', drain: true, terminate: false });
    const after = (await instances('spot')).find((i) => i.id === victim.id);
    expect(after?.stateReason?.code ?? 'Server.SpotInstanceTermination').toBe('Server.SpotInstanceTermination');
    expect(await running('spot')).toHaveLength(1);
    expect((await nodes()).map((n) => n.instanceId)).not.toContain(victim.id);
  }, 240_000);

  it('leaves the cluster Degraded after a repair while another group still is, and clears the repaired group', async () => {
    // The spot group cannot launch (an Auto Scaling event says so): it is Degraded, and the cluster with it.
    const failed = await cp.embedded.lambda.invoke('recordInstanceEvent', {
      source: 'aws.autoscaling',
      'detail-type': 'EC2 Instance Launch Unsuccessful',
      detail: { AutoScalingGroupName: `spot.${NAME}`, StatusMessage: 'We currently do not have sufficient spot capacity in the Availability Zone you requested' },
    });
    expect(failed).toMatchObject({ recorded: true, degraded: true, group: 'spot' });
    const [victim] = await running('nodes');
    await post(`/_sim/instances/${victim.id}/retirement`, { inSeconds: 7 * DAY });
    const op = await repairOf(victim.id);
    expect(op.status, JSON.stringify(op)).toBe('Succeeded');
    const view = (await cp.request<{ status: string; message?: string; instanceGroups: { name: string; status?: { status?: string } }[] }>('GET', `/v1/clusters/${NAME}`)).body;
    const group = (name: string) => view.instanceGroups.find((g) => g.name === name)?.status?.status;
    expect(view.status).toBe('Degraded');
    expect(view.message).toContain('sufficient spot capacity');
    expect(group('spot')).toBe('Degraded');
    expect(group('nodes')).not.toBe('Degraded');
    // A validation that finds every group whole clears it. The repair ends when the group has
    // its capacity in service; its replacement's Node joins a little later.
    await until('the replacement joins', workersReady);
    const validation = await cp.request<{ operation: { id: string } }>('POST', `/v1/clusters/${NAME}/validate`);
    expect(validation.status, JSON.stringify(validation.body)).toBe(202);
    const validated = await cp.waitForOperation(validation.body.operation.id, 120_000);
    expect(validated.status).toBe('Succeeded');
    const report = validated.steps.find((s) => s.name === 'Validate')?.detail;
    expect((await cp.request<{ status: string }>('GET', `/v1/clusters/${NAME}`)).body.status, JSON.stringify(report)).toBe('Ready');
  }, 240_000);

  it('repairs once when every step with a side effect crashes after it: one drain, one replacement, one Node deletion', async () => {
    const [victim] = await running('nodes');
    const commands = async (purpose: string) => {
      const { ssm } = (await cp.simResources()) as unknown as { ssm: { commands?: Record<string, { comment?: string }> } };
      return Object.values(ssm.commands ?? {}).filter((c) => c.comment?.includes(` ${purpose} ${victim.id} `));
    };
    const op = await withCrashes('BeginWorkflow,PrepareRepair,SendRefreshJoinToken,SendDrain,TerminateOld,SendDeleteNode,FinishWorkflow', async () => {
      await post(`/_sim/instances/${victim.id}/retirement`, { inSeconds: 7 * DAY });
      return repairOf(victim.id);
    });
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    const history = cp.embedded.stepFunctions.history(op.executionArn!) as unknown as Array<{ type: string; taskFailedEventDetails?: { cause?: string } }>;
    expect(history.filter((e) => e.type === 'TaskFailed' && e.taskFailedEventDetails?.cause?.includes('injected fault')).length).toBeGreaterThanOrEqual(6);
    expect(await commands('Drain')).toHaveLength(1);
    expect(await commands('DeleteNode')).toHaveLength(1);
    // One replacement: the group is at its size, not over it.
    expect((await running('nodes')).map((i) => i.id)).not.toContain(victim.id);
    expect(await running('nodes')).toHaveLength(2);
  }, 240_000);

  it('never repairs beside another operation, nor more of a group than its budget; the sweep comes back for what is left', async () => {
    // A certificate renewal whose command AWS is slow to take (ten simulated minutes) holds the cluster meanwhile.
    await cp.faults({ slowCalls: [{ service: 'ssm', action: 'SendCommand', seconds: 600, count: 1 }] });
    const renewing = await cp.request<{ operation: { id: string } }>('POST', `/v1/clusters/${NAME}/renew-certificates`);
    expect(renewing.status).toBe(202);
    const both = await running('nodes');
    for (const i of both) await post(`/_sim/instances/${i.id}/retirement`, { inSeconds: 7 * DAY });
    for (const i of both) {
      const skipped = await repairOf(i.id);
      expect(skipped).toMatchObject({ status: 'Skipped', error: { code: 'ClusterBusy' } });
    }
    expect((await cp.waitForOperation(renewing.body.operation.id, 120_000)).status).toBe('Succeeded');

    // Both nodes of the group in trouble at once: more than a repair may act on.
    const capped = await sweep();
    expect(capped.map((f) => f.instanceId).sort()).toEqual(both.map((i) => i.id).sort());
    for (const f of capped) expect(f).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/2 of group nodes's 2 instances are in trouble/) });
    expect((await operations()).find((o) => o.id === (capped[0] as { operationId: string }).operationId)).toMatchObject({ status: 'Skipped', error: { code: 'RepairBudgetSpent' } });

    // Someone terminates one of them; the group replaces it and the other is within budget again.
    const [first, second] = both;
    await post('/_sim/faults', { crashInstances: [first.id] });
    for (let n = 0; n < 100 && (await running('nodes')).length < 2; n++) await new Promise((r) => setTimeout(r, 100));
    const [decision] = await sweep();
    expect(decision).toMatchObject({ action: 'started', instanceId: second.id });
    const op = await cp.waitForOperation(decision.operationId!, 180_000);
    expect(op.status, JSON.stringify(op)).toBe('Succeeded');
    expect((await running('nodes')).map((i) => i.id)).not.toContain(second.id);
    expect(await sweep()).toEqual([]);
  }, 300_000);

  it('a node failing its status checks: its group replaces it, the cloud controller manager deletes its Node, and nothing is left for a repair', async () => {
    const [victim] = await running('nodes');
    const node = victim.privateDnsName.toLowerCase();
    await post(`/_sim/instances/${victim.id}/status-checks`, { instance: 'failed' });
    // The group's EC2 health check takes it out of service (it is past its grace period) and launches another.
    await until('the group replaces the instance', async () => (await running('nodes')).length === 2 && !(await running('nodes')).some((i) => i.id === victim.id));
    // A terminated instance's Node goes with it (the cloud controller manager's node lifecycle), and the new one joins.
    await until('the Node is deleted and the replacement Ready', async () => {
      const [now, group] = [await nodes(), new Set((await running('nodes')).map((i) => i.id))];
      return !now.some((n) => n.name === node) && now.filter((n) => n.ready && group.has(n.instanceId)).length === 2;
    });
    // EC2 shows a terminated instance for about an hour.
    expect((await instances('nodes')).find((i) => i.id === victim.id)?.state).toMatch(/shutting-down|terminated/);
    // Nothing left for Hopper: the sweep finds no trouble, no repair ran, and the event is in the cluster's history.
    await cp.embedded.eventBridge.idle();
    expect(await sweep()).toEqual([]);
    expect((await operations()).filter((o) => o.type === 'repair' && JSON.stringify(o.input).includes(victim.id))).toEqual([]);
    const events = (await cp.request<{ events: { type: string; message: string }[] }>('GET', `/v1/clusters/${NAME}/events`)).body.events;
    expect(events.filter((e) => e.type === 'InstanceStateChange' && e.message.includes(victim.id)).map((e) => e.message).join('\n')).toMatch(/terminated/);
  }, 180_000);

  it('a lone control plane failing its status checks degrades the cluster and says why it is not replaced', async () => {
    const [controlPlane] = await running('control-plane');
    await post(`/_sim/instances/${controlPlane.id}/status-checks`, { system: 'failed' });
    expect(await sweep()).toMatchObject([{ action: 'degraded', instanceId: controlPlane.id, trouble: 'status-check' }]);
    const view = await cp.request<{ status: string; instanceGroups: Record<string, { status: string; reason: string }> }>('GET', `/v1/clusters/${NAME}`);
    expect(view.body.status).toBe('Degraded');
    expect(JSON.stringify(view.body)).toMatch(/failed status checks: a control plane that does not answer is not replaced automatically/);
    // Nothing a node repair could do: no operation was started for it.
    expect((await operations()).filter((o) => o.type === 'repair' && JSON.stringify(o.input).includes(controlPlane.id))).toEqual([]);
  }, 120_000);
});
