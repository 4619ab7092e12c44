import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginWorkflow } from '../../functions/api/operations';
import type { ApiDeps } from '../../functions/api/deps';
import { rollingUpdate } from '../../functions/api/rolling-update';
import { buildCluster, group, simKube, startHarness, waitExecution, type Harness } from './cluster';

let h: Harness;
beforeAll(async () => {
  // The runner slower than the simulated cloud: see startHarness (real bash time counts at 1000x).
  h = await startHarness({ runnerTimeScale: 400 });
}, 60_000);
afterAll(() => h?.stop());

function apiDeps(): ApiDeps {
  return { store: h.deps.store, sfn: h.sfn, ssm: h.deps.clients.ssm, parameterPrefix: '/hopper', parameterKey: h.deps.parameterKey, now: () => new Date(), stateMachineArn: (w) => (w === 'rolling-update' ? h.arn('rolling') : h.arn('upgrade')) };
}

describe('rolling update on the simulator', () => {
  it('replaces every instance of a 3 + 6 cluster with maxSurge 2, never below 6 Ready nodes, validating twice per batch, across a token lifetime', async () => {
    await buildCluster(h, 'roll', 6);
    const before = await simKube(h);
    const oldIds = new Set(before.clusters[0].nodes.map((n) => n.instanceId));
    expect(oldIds.size).toBe(9);
    const req = { body: { force: true, maxSurge: 2, drainTimeoutSeconds: 60 }, params: { name: 'roll' }, query: {}, headers: {}, requestId: 'r1' };
    // A dry run answers the plan and starts nothing (the rolling update below then takes the lock).
    const dry = await rollingUpdate({ ...req, query: { dryRun: true }, requestId: 'r0' }, apiDeps(), h.deps);
    expect(dry.status).toBe(200);
    const plan = (dry.body as { plan: { remaining: number; controlPlane: { replace: unknown[] } }; operation?: unknown }).plan;
    expect([plan.remaining, plan.controlPlane.replace.length, 'operation' in (dry.body as object)]).toEqual([9, 3, false]);
    const res = await rollingUpdate(req, apiDeps(), h.deps);
    expect(res.status).toBe(202);
    const op = (res.body as { operation: { id: string; executionArn?: string } }).operation;
    // Sample the invariant while it runs.
    let minReadyNodes = Infinity;
    let minReadyCp = Infinity;
    let done = false;
    let jumped = false;
    const sampler = (async () => {
      while (!done) {
        const k = await simKube(h);
        const nodes = k.clusters[0]?.nodes ?? [];
        // Once the first node batch has joined, three hours pass: every token minted so far has
        // expired, as in a long rollout. The later batches' nodes must still join.
        if (!jumped && nodes.filter((n) => n.role === 'worker' && n.ready && !oldIds.has(n.instanceId)).length >= 2) {
          jumped = true;
          const res = await fetch(`${h.env.simUrl}/_sim/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advanceSeconds: 3 * 3600 }) });
          expect(res.status).toBe(200);
        }
        minReadyNodes = Math.min(minReadyNodes, nodes.filter((n) => n.role === 'worker' && n.ready && !n.unschedulable).length);
        minReadyCp = Math.min(minReadyCp, nodes.filter((n) => n.role === 'control-plane' && n.ready).length);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const out = await waitExecution(h, (await h.deps.store.getOperation(op.id))!.executionArn!);
    done = true;
    await sampler;
    const record = await h.deps.store.getOperation(op.id);
    expect(out, JSON.stringify(record?.error)).toMatchObject({ status: 'SUCCEEDED' });
    expect(jumped).toBe(true);
    const after = await simKube(h);
    const nodes = after.clusters[0].nodes;
    expect(nodes).toHaveLength(9);
    expect(nodes.filter((n) => oldIds.has(n.instanceId))).toEqual([]);
    expect(nodes.every((n) => n.ready)).toBe(true);
    expect(minReadyNodes).toBeGreaterThanOrEqual(6);
    expect(minReadyCp).toBeGreaterThanOrEqual(2);
    // 3 control-plane batches, then 3 node batches of 2.
    const batches = record!.steps.filter((s) => /^Batch \d+$/.test(s.name));
    expect(batches.map((b) => (b.detail as { replaced: string[] }).replaced.length)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(record!.status).toBe('Succeeded');
    expect((await group(h, 'roll')).Instances!.filter((i) => i.LifecycleState === 'InService')).toHaveLength(6);
    // Nothing left to do: 200 with the plan, no workflow.
    const again = await rollingUpdate({ ...req, body: {}, requestId: 'r2' }, apiDeps(), h.deps);
    expect(again.status).toBe(200);
  }, 600_000);
});

export { beginWorkflow, StartExecutionCommand };
