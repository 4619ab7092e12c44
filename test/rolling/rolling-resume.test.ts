/**
 * Day-2 rolling updates that do not go to plan, on a real 3 + 6 cluster on the simulator:
 * one stopped half-way and started again (it continues with what is left), and one held up
 * by a pod that refuses eviction (a readable failure; `forceDrain` gets through).
 */
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollingUpdate } from '../../functions/api/rolling-update';
import { ROLLING_TAG } from '../../functions/rolling/common';
import { operationInterrupted } from '../../functions/workflow/operation-interrupted';
import type { OperationRecord } from '../../shared/store';
import { apiDepsOf, buildCluster, group, postFaults, simKube, startHarness, waitExecution, type Harness } from './cluster';
import * as steps from './steps';

const NAME = 'resume';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ timeScale: 500, runnerTimeScale: 200 });
  await buildCluster(h, NAME, 6);
}, 90_000);
afterAll(() => h?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(body: Record<string, unknown>, requestId: string): Promise<OperationRecord> {
  const res = await rollingUpdate({ body, params: { name: NAME }, query: {}, headers: {}, requestId }, apiDepsOf(h), h.deps);
  expect(res.status).toBe(202);
  const id = (res.body as { operation: { id: string } }).operation.id;
  return (await h.deps.store.getOperation(id))!;
}

async function operation(id: string): Promise<OperationRecord> {
  return (await h.deps.store.getOperation(id))!;
}

/** `Batch N` steps with what each replaced. */
function batches(op: OperationRecord): Array<{ name: string; status: string; replaced: string[]; reasons: Record<string, string> }> {
  return op.steps
    .filter((s) => /^Batch \d+$/.test(s.name))
    .map((s) => {
      const d = (s.detail ?? {}) as { replaced?: string[]; reasons?: Record<string, string> };
      return { name: s.name, status: s.status, replaced: d.replaced ?? [], reasons: d.reasons ?? {} };
    });
}

/** Live (pending/running) instances of the cluster, with their tags. */
async function liveInstances(): Promise<Array<{ id: string; tags: Record<string, string> }>> {
  const out = await h.deps.clients.ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: `tag:kubernetes.io/cluster/${NAME}`, Values: ['owned'] }, { Name: 'instance-state-name', Values: ['pending', 'running'] }] }),
  );
  return (out.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .map((i) => ({ id: i.InstanceId!, tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key!, t.Value ?? ''])) }));
}

/** Samples the Ready worker count while a run goes on. */
function readySampler(): { stop(): Promise<number> } {
  let done = false;
  let min = Infinity;
  const loop = (async () => {
    while (!done) {
      const nodes = (await simKube(h)).clusters[0]?.nodes ?? [];
      min = Math.min(min, nodes.filter((n) => n.role === 'worker' && n.ready && !n.unschedulable).length);
      await sleep(20);
    }
  })();
  return {
    async stop() {
      done = true;
      await loop;
      return min;
    },
  };
}

describe('a rolling update interrupted half-way, then started again', () => {
  it('continues with what is left: nothing replaced twice, the detached instances taken first, every original replaced', async () => {
    const originals = new Set((await simKube(h)).clusters[0].nodes.map((n) => n.instanceId));
    expect(originals.size).toBe(9);
    const body = { force: true, maxSurge: 2, drainTimeoutSeconds: 60 };

    // Stop the execution once the first node batch (Batch 4, after three control-plane seats)
    // has finished: right after the second node batch detached its surge.
    const run: { first?: OperationRecord } = {};
    let stopped: Promise<unknown> | undefined;
    h.overrides.set('detachSurge', async (event) => {
      const out = await steps.allSteps(h.env).detachSurge(event, undefined, h.deps);
      const op = await operation(run.first!.id);
      const b4 = op.steps.find((s) => s.name === 'Batch 4');
      if (!stopped && b4?.status === 'Succeeded') {
        stopped = h.sfn.send(new StopExecutionCommand({ executionArn: op.executionArn!, error: 'Test.Stopped', cause: 'stopped by the test half-way' }));
        await stopped;
      }
      return out;
    });
    const sampler = readySampler();
    const first = (run.first = await start(body, 'resume-1'));
    const out1 = await waitExecution(h, first.executionArn!);
    h.overrides.delete('detachSurge');
    expect(stopped, `the execution was never stopped: ${JSON.stringify({ out1, error: (await operation(first.id)).error })}`).toBeDefined();
    expect(out1.status).toBe('ABORTED');

    // The embedded runner does not emit "Step Functions Execution Status Change" events, so
    // nothing calls operationInterrupted for a stopped execution: the lock stays held.
    await sleep(300);
    const held = await h.deps.store.requireCluster(NAME);
    const delivered = held.lock?.operationId !== first.id;
    if (!delivered) {
      expect((await operation(first.id)).status).toBe('Running');
      // What the EventBridge rule in serverless.yml hands the function in AWS.
      const execution = h.server.runtime.describe(first.executionArn!);
      const result = await operationInterrupted(
        {
          version: '0',
          source: 'aws.states',
          'detail-type': 'Step Functions Execution Status Change',
          detail: { executionArn: execution.executionArn, stateMachineArn: execution.stateMachineArn, name: execution.name, status: execution.status, input: execution.input, cause: execution.cause ?? null },
        },
        h.deps,
      );
      expect(result).toEqual({ operationId: first.id, interrupted: true });
    }
    const interrupted = await operation(first.id);
    expect(interrupted.status).toBe('Interrupted');
    expect(interrupted.error?.message).toMatch(/ABORTED/);
    expect((await h.deps.store.requireCluster(NAME)).lock).toBeUndefined();

    // What the first run did: three control-plane seats and one node batch of two replaced,
    // two more nodes detached for the next batch's surge and still running.
    const done1 = batches(interrupted).filter((b) => b.status === 'Succeeded');
    expect(done1.map((b) => b.replaced.length)).toEqual([1, 1, 1, 2]);
    const replaced1 = new Set(done1.flatMap((b) => b.replaced));
    const live1 = await liveInstances();
    const detached = live1.filter((i) => i.tags[ROLLING_TAG] !== undefined && !i.tags['aws:autoscaling:groupName']).map((i) => i.id);
    expect(detached).toHaveLength(2);
    expect(detached.every((id) => originals.has(id) && !replaced1.has(id))).toBe(true);
    const newcomers = live1.map((i) => i.id).filter((id) => !originals.has(id));
    // 3 control-plane and 2 node replacements, and the two surge instances launched for the detached ones.
    expect(newcomers).toHaveLength(7);

    // Started again with the same request: it continues.
    const second = await start(body, 'resume-2');
    expect(second.id).not.toBe(first.id);
    const out2 = await waitExecution(h, second.executionArn!);
    const minReady = await sampler.stop();
    const record = await operation(second.id);
    expect(out2, JSON.stringify(record.error)).toMatchObject({ status: 'SUCCEEDED' });
    expect(record.status).toBe('Succeeded');
    // Its plan took over the first run's forced set: what that run had not replaced yet.
    const plan = record.steps.find((s) => s.name === 'Plan')?.detail as { resumedFrom?: string; remaining?: number };
    expect(plan).toMatchObject({ resumedFrom: first.id, remaining: 4 });
    const done2 = batches(record);
    // Node batches only: the detached pair first, then the last two originals.
    expect(done2.map((b) => b.replaced.length)).toEqual([2, 2]);
    expect(new Set(done2[0].replaced)).toEqual(new Set(detached));
    expect(Object.values(done2[0].reasons)).toEqual(['detached by an earlier batch', 'detached by an earlier batch']);
    const replaced2 = done2.flatMap((b) => b.replaced);
    expect(replaced2.filter((id) => replaced1.has(id) || newcomers.includes(id))).toEqual([]);
    expect(new Set([...replaced1, ...replaced2])).toEqual(originals);

    const nodes = (await simKube(h)).clusters[0].nodes;
    expect(nodes).toHaveLength(9);
    expect(nodes.filter((n) => originals.has(n.instanceId))).toEqual([]);
    // Nothing the first run launched was replaced again.
    const ids = new Set(nodes.map((n) => n.instanceId));
    expect(newcomers.filter((id) => !ids.has(id))).toEqual([]);
    expect(nodes.every((n) => n.ready && !n.unschedulable)).toBe(true);
    expect(minReady).toBeGreaterThanOrEqual(6);
    expect((await group(h, NAME)).Instances!.filter((i) => i.LifecycleState === 'InService')).toHaveLength(6);
    expect((await h.deps.store.requireCluster(NAME)).lock).toBeUndefined();
  }, 180_000);
});

describe('a pod that will not be evicted', () => {
  it('fails the rolling update after the drain deadline, naming the pod and the node; forceDrain gets through', async () => {
    const members = (await group(h, NAME)).Instances!.filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId!);
    const victim = members[0];
    const before = (await simKube(h)).clusters[0];
    const node = before.nodes.find((n) => n.instanceId === victim)!.name;
    expect(before.pods.some((p) => p.node === node && p.kind === 'deployment')).toBe(true);
    await postFaults(h, { hosts: { refuseEviction: [victim] } });
    try {
      const stuck = await start({ instanceGroups: ['nodes'], force: true, maxSurge: 1, drainTimeoutSeconds: 30 }, 'pdb-1');
      const out = await waitExecution(h, stuck.executionArn!);
      expect(out.status).toBe('FAILED');
      const failed = await operation(stuck.id);
      expect(failed.status).toBe('Failed');
      const message = failed.error?.message ?? '';
      expect(message).toContain(`drain of node ${node} (instance ${victim}) did not finish within 30s`);
      expect(message).toMatch(/left cordoned.*forceDrain/);
      expect((await h.deps.store.requireCluster(NAME)).lock).toBeUndefined();
      const after = (await simKube(h)).clusters[0];
      expect(after.nodes.find((n) => n.instanceId === victim)).toMatchObject({ unschedulable: true });
      // The pods named are the workload pods still on that node (the web pod among them).
      const named = /: pods? (\S+(?:, \S+)*) would not be evicted/.exec(message)?.[1].split(', ') ?? [];
      const stuckPods = after.pods.filter((p) => p.node === node && p.kind === 'deployment').map((p) => `${p.namespace}/${p.name}`);
      expect(named.length).toBeGreaterThan(0);
      expect(new Set(named)).toEqual(new Set(stuckPods));
      expect(named.some((p) => p.startsWith('default/web-'))).toBe(true);
      expect(batches(failed).map((b) => b.status)).toEqual(['Failed']);

      // The same, with forceDrain (the pod still refuses eviction): it is deleted instead.
      const forced = await start({ instanceGroups: ['nodes'], force: true, maxSurge: 2, drainTimeoutSeconds: 30, forceDrain: true }, 'pdb-2');
      const out2 = await waitExecution(h, forced.executionArn!);
      const record = await operation(forced.id);
      expect(out2, JSON.stringify(record.error)).toMatchObject({ status: 'SUCCEEDED' });
      const replaced = batches(record).flatMap((b) => b.replaced);
      expect(replaced[0]).toBe(victim);
      expect(new Set(replaced)).toEqual(new Set(members));
      const nodes = (await simKube(h)).clusters[0].nodes;
      expect(nodes.filter((n) => members.includes(n.instanceId))).toEqual([]);
      expect(nodes.filter((n) => n.role === 'worker' && n.ready && !n.unschedulable)).toHaveLength(6);
      expect((await h.deps.store.requireCluster(NAME)).lock).toBeUndefined();
    } finally {
      await postFaults(h, { hosts: { refuseEviction: [] } });
    }
  }, 180_000);
});

describe('a rolling update whose lease is taken over mid-run', () => {
  it('is stopped by the take-over, changes nothing afterwards, and the new operation completes', async () => {
    const members = new Set((await group(h, NAME)).Instances!.filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId!));
    const run: { old?: OperationRecord; takenOverAt?: number; starting?: Promise<OperationRecord>; next?: OperationRecord } = {};
    // As the first batch detaches its surge: the old run's lease runs out (its renewals stopped,
    // as for an execution whose end was never heard of) and a new rolling update takes over.
    h.overrides.set('detachSurge', async (event) => {
      const out = await steps.allSteps(h.env).detachSurge(event, undefined, h.deps);
      if (!run.takenOverAt && run.old && (event as { operationId: string }).operationId === run.old.id) {
        await h.deps.clients.ddb.send(
          new UpdateCommand({
            TableName: h.env.dynamo.tableName,
            Key: { pk: `CLUSTER#${NAME}`, sk: 'CLUSTER' },
            UpdateExpression: 'SET #lock.expiresAt = :past',
            ExpressionAttributeNames: { '#lock': 'lock' },
            ExpressionAttributeValues: { ':past': Date.now() - 1 },
          }),
        );
        run.takenOverAt = Date.now();
        run.starting = start({ instanceGroups: ['nodes'], force: true, maxSurge: 2, drainTimeoutSeconds: 60 }, 'takeover-2');
        run.next = await run.starting;
      }
      return out;
    });
    try {
      run.old = await start({ instanceGroups: ['nodes'], force: true, maxSurge: 1, drainTimeoutSeconds: 60 }, 'takeover-1');
      const oldEnd = await waitExecution(h, run.old.executionArn!);
      // The take-over stops the old execution before its own request returns: wait for that request.
      run.next = await run.starting;
      expect(run.next, `the take-over happened: ${JSON.stringify({ oldEnd, old: await operation(run.old.id) })}`).toBeDefined();
      expect(oldEnd).toMatchObject({ status: 'ABORTED', error: 'Hopper.LeaseExpired' });
      const old = await operation(run.old.id);
      expect(old.status).toBe('Interrupted');
      expect(old.error).toMatchObject({ code: 'LeaseExpired' });

      const nextEnd = await waitExecution(h, run.next!.executionArn!);
      const next = await operation(run.next!.id);
      expect(nextEnd, JSON.stringify(next.error)).toMatchObject({ status: 'SUCCEEDED' });
      expect(next.tookOverFrom).toMatchObject({ operationId: run.old.id });
      // After the take-over, no step of the old operation ran to completion: none started, or it refused.
      const late = h.invocations.filter((i) => i.operationId === run.old!.id && (i.endedAt ?? Infinity) > run.takenOverAt! && i.name !== 'detachSurge');
      expect(late.filter((i) => i.error !== 'SupersededError'), JSON.stringify(late)).toEqual([]);
      // Every node the group had is replaced, once: by the old run's first batch or by the new run.
      const now = new Set((await group(h, NAME)).Instances!.filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId!));
      expect([...now].filter((id) => members.has(id))).toEqual([]);
      expect(now.size).toBe(6);
      expect((await h.deps.store.requireCluster(NAME)).lock).toBeUndefined();
    } finally {
      h.overrides.delete('detachSurge');
    }
  }, 180_000);
});
