/**
 * `POST /v1/clusters/{name}/upgrade` end to end on the simulator: a 3 + 3 cluster at 1.33.5
 * goes to 1.34.1 (both in the simulated pkgs.k8s.io) — image bake, `kubeadm upgrade apply`
 * then `upgrade node`, new launch template versions, the nested rolling update — while a
 * sampler checks the version-skew policy every ~20 ms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upgradeCluster } from '../../functions/api/upgrade-cluster';
import type { OperationRecord } from '../../shared/store';
import { apiDepsOf, buildCluster, simKube, startHarness, waitExecution, type Harness, type SimKube } from './cluster';

const NAME = 'upg';
const FROM = '1.33.5';
const TO = '1.34.1';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ timeScale: 500, runnerTimeScale: 200 });
  await buildCluster(h, NAME, 3, FROM);
}, 90_000);
afterAll(() => h?.stop());

const minor = (v: string) => Number(/^v?1\.(\d+)\./.exec(v)?.[1] ?? NaN);
const cmp = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.replace(/^v/, '').split('.').map(Number));
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};

/** What the skew policy forbids in one snapshot of the cluster (https://kubernetes.io/releases/version-skew-policy/). */
export function skewViolations(k: SimKube): string[] {
  const c = k.clusters[0];
  if (!c) return [];
  const apis = c.nodes.map((n) => n.controlPlaneVersion).filter((v): v is string => v !== null);
  if (apis.length === 0) return [];
  const oldestApi = [...apis].sort(cmp)[0];
  const newestApi = [...apis].sort(cmp).at(-1)!;
  const out: string[] = [];
  if (minor(newestApi) - minor(oldestApi) > 1) out.push(`API servers ${oldestApi} and ${newestApi} are more than one minor apart`);
  for (const n of c.nodes) {
    if (cmp(n.kubeletVersion, oldestApi) > 0) out.push(`kubelet ${n.kubeletVersion} on ${n.name} is newer than the API server ${oldestApi}`);
    if (minor(oldestApi) - minor(n.kubeletVersion) > 3) out.push(`kubelet ${n.kubeletVersion} on ${n.name} is more than 3 minors older than ${oldestApi}`);
  }
  return out;
}

describe('upgrade 1.N → 1.N+1 on the simulator', () => {
  it(`takes a 3 + 3 cluster from ${FROM} to ${TO} without ever breaking the skew policy`, async () => {
    const before = (await simKube(h)).clusters[0];
    expect(before.nodes).toHaveLength(6);
    expect(before.nodes.every((n) => n.kubeletVersion === `v${FROM}`)).toBe(true);
    const originals = new Set(before.nodes.map((n) => n.instanceId));

    const res = await upgradeCluster({ body: { kubernetesVersion: TO }, params: { name: NAME }, query: { dryRun: false }, headers: {}, requestId: 'up-1' }, apiDepsOf(h));
    expect(res).toMatchObject({ status: 202, body: { from: FROM, to: TO } });
    const opId = (res.body as { operation: { id: string } }).operation.id;

    const violations = new Set<string>();
    let samples = 0;
    let sawMixed = false;
    let done = false;
    const sampler = (async () => {
      while (!done) {
        const k = await simKube(h);
        samples += 1;
        for (const v of skewViolations(k)) violations.add(v);
        const versions = new Set(k.clusters[0]?.nodes.map((n) => n.kubeletVersion));
        if (versions.size > 1) sawMixed = true;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const op0 = (await h.deps.store.getOperation(opId))!;
    const out = await waitExecution(h, op0.executionArn!, 300_000);
    done = true;
    await sampler;
    const op = (await h.deps.store.getOperation(opId)) as OperationRecord;
    expect(out, JSON.stringify(op.error)).toMatchObject({ status: 'SUCCEEDED' });
    expect(op.status).toBe('Succeeded');

    expect([...violations]).toEqual([]);
    expect(samples).toBeGreaterThan(50);
    expect(sawMixed).toBe(true);

    const after = (await simKube(h)).clusters[0];
    expect(after.version).toBe(`v${TO}`);
    expect(after.nodes).toHaveLength(6);
    expect(after.nodes.map((n) => n.kubeletVersion)).toEqual(after.nodes.map(() => `v${TO}`));
    const cps = after.nodes.filter((n) => n.role === 'control-plane');
    expect(cps).toHaveLength(3);
    expect(cps.map((n) => n.controlPlaneVersion)).toEqual([`v${TO}`, `v${TO}`, `v${TO}`]);
    expect(after.nodes.every((n) => n.ready && !n.unschedulable)).toBe(true);
    // The nested rolling update put every machine on the new image.
    expect(after.nodes.filter((n) => originals.has(n.instanceId))).toEqual([]);

    const record = await h.deps.store.requireCluster(NAME);
    expect(record.kubernetesVersion).toBe(TO);
    expect((record.spec as { kubernetesVersion: string }).kubernetesVersion).toBe(TO);
    expect(record.lock).toBeUndefined();
    expect(record.status).toBe('Ready');

    // The operation shows its steps: the control plane upgraded in place, then the rollout.
    const names = op.steps.map((s) => s.name);
    expect(op.steps.every((s) => s.status === 'Succeeded' && s.startedAt && s.endedAt)).toBe(true);
    expect(names.filter((n) => !/^Batch \d+$/.test(n))).toEqual(['Prepare', 'Image', 'ControlPlane', 'Roll', 'Plan']);
    expect(names.filter((n) => /^Batch \d+$/.test(n))).toHaveLength(3 + 3);
  }, 300_000);
});
