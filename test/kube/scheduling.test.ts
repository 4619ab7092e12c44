/**
 * The simulated scheduler places pods that waited for a node once one fits: CoreDNS, which
 * cannot run while every node carries the cloud provider's `uninitialized` taint, is
 * scheduled when the cloud controller manager removes it — not left Pending for good.
 */
import { describe, expect, it } from 'vitest';
import { KubeCluster, type NodeHost } from '../../local/sim/kube/cluster';
import { createCa } from '../../local/sim/kube/pki';
import { parseVersion } from '../../local/sim/kube/version';

/** A cluster model on a clock of its own; `host(i)` is a machine for a node. */
async function newCluster(): Promise<{ cluster: KubeCluster; host: (i: number) => NodeHost; advance(ms: number): void }> {
  let now = Date.parse('2026-06-01T00:00:00Z');
  let n = 0;
  const env = { now: () => now, hex: (len: number) => (n++).toString(16).padStart(len, '0'), readyDelaySeconds: () => 20 };
  const cluster = new KubeCluster('10.0.0.10:6443', 'kubernetes', parseVersion('1.33.5')!, '10.244.0.0/16', env, await createCa(now));
  const host = (i: number): NodeHost => ({ instanceId: `i-${i}`, availabilityZone: 'us-east-1a', internalIp: `10.0.0.${i}`, hostname: `node-${i}` });
  return { cluster, host, advance: (ms) => void (now += ms) };
}

describe('the simulated scheduler', () => {
  it('schedules CoreDNS once the cloud controller manager initialises the nodes', async () => {
    const { cluster, host, advance } = await newCluster();
    cluster.addNode({ name: 'cp', host: host(10), kubeletVersion: parseVersion('1.33.5')!, externalCloudProvider: true }, 'control-plane');
    cluster.applyCni('cilium');
    cluster.addNode({ name: 'w', host: host(11), kubeletVersion: parseVersion('1.33.5')!, externalCloudProvider: true }, 'worker');
    const coredns = () => cluster.pods.filter((p) => p.owner === 'coredns');
    expect(coredns().map((p) => p.nodeName)).toEqual([undefined, undefined]);
    cluster.applyCloudControllerManager();
    advance(60_000);
    expect(coredns().every((p) => p.nodeName !== undefined)).toBe(true);
    // Both pods of the Deployment carry its one pod-template hash.
    expect(new Set(coredns().map((p) => p.name.split('-')[1])).size).toBe(1);
  });
});

describe('a node whose machine is gone', () => {
  it('is Ready for 40 s, then Unknown; its Deployment pods move to another node after the 5-minute toleration', async () => {
    const { cluster, host, advance } = await newCluster();
    cluster.addNode({ name: 'cp', host: host(10), kubeletVersion: parseVersion('1.33.5')!, externalCloudProvider: false }, 'control-plane');
    cluster.applyCni('cilium');
    for (const w of [11, 12]) cluster.addNode({ name: `w${w}`, host: host(w), kubeletVersion: parseVersion('1.33.5')!, externalCloudProvider: false }, 'worker');
    advance(60_000);
    const web = () => cluster.pods.filter((p) => p.owner === 'web').map((p) => p.nodeName).sort();
    expect(web()).toEqual(['w11', 'w12']);

    cluster.hostGone('i-11');
    advance(30_000);
    expect(cluster.readyCondition(cluster.node('w11')).status).toBe('True');
    advance(15_000);
    expect(cluster.readyCondition(cluster.node('w11'))).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown' });
    advance(240_000);
    cluster.runControllers();
    expect(web()).toEqual(['w11', 'w12']);
    advance(70_000);
    cluster.runControllers();
    expect(web()).toEqual(['w12', 'w12']);
    // The DaemonSet's pod stays on the node (it tolerates an unreachable node).
    expect(cluster.pods.some((p) => p.nodeName === 'w11' && p.owner === 'cilium')).toBe(true);
  });
});
