/**
 * Control planes joining at the same time. kubeadm adds a joining etcd member as a learner and
 * promotes it only once its etcd runs from the static pod manifest, so a join never takes the
 * quorum away from the members already serving: a second join (or any client behind the load
 * balancer) finds an API server that answers even while the first join's files are still being
 * written. Checked on the Kubernetes model alone, where "not yet written" can be held still.
 */
import { describe, expect, it } from 'vitest';
import type { KubeHost } from '../../local/sim/kube/host';
import { runKubeadm } from '../../local/sim/kube/kubeadm';
import { anyApiServerAnswers } from '../../local/sim/kube/etcd-members';
import { KubeRegistry } from '../../local/sim/kube/registry';
import type { ShimRequest, ShimResult } from '../../local/sim/hosts/protocol';

const ENDPOINT = 'demo-api-0123456789abcdef.elb.us-east-1.amazonaws.com:6443';

/** A host whose disk is a map; what a command's output would write is left to the caller. */
function host(i: number, disks: Map<string, Map<string, string>>): KubeHost {
  const instanceId = `i-0000000000000000${i}`;
  const disk = new Map<string, string>();
  disks.set(instanceId, disk);
  return {
    instanceId,
    availabilityZone: 'us-east-1a',
    internalIp: `10.0.0.${10 + i}`,
    hostname: `cp-${i}`,
    packageVersion: (name) => (['kubeadm', 'kubelet', 'kubectl'].includes(name) ? '1.33.5-1.1' : undefined),
    serviceActive: () => true,
    sysctl: () => '1',
    read: (path) => disk.get(path) ?? '',
    write: (path, content) => void disk.set(path, content),
  };
}

const request = (args: string[]): ShimRequest => ({ cmd: 'kubeadm', args, cwd: '/root', files: new Map(), env: {} });

/** Writes a command's output files on the host, as the shim on the instance does when the command returns. */
function applyFiles(h: KubeHost, result: ShimResult): void {
  for (const f of result.files ?? []) h.write!(f.path, String(f.content));
}

describe('control planes joining in parallel', () => {
  it('keep a quorum: the API answers while a joined member’s files are not yet written', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z');
    let n = 0;
    const disks = new Map<string, Map<string, string>>();
    const registry = new KubeRegistry({
      now: () => now,
      hex: (len) => (n++).toString(16).padStart(len, '0').slice(-len),
      readyDelaySeconds: () => 20,
      sleep: async (s) => void (now += s * 1000),
      latency: () => 1,
      faults: () => ({}),
      readHostFile: (instanceId, path) => disks.get(instanceId)?.get(path) ?? '',
    });
    const [first, second, third] = [1, 2, 3].map((i) => host(i, disks));

    const init = await runKubeadm(registry, first, request(['init', '--control-plane-endpoint', ENDPOINT, '--upload-certs']));
    expect(init.exitCode, init.stderr).toBe(0);
    applyFiles(first, init);
    const cluster = registry.find(ENDPOINT)!;
    expect(anyApiServerAnswers(cluster, registry)).toBe(true);

    const token = /--token (\S+)/.exec(String(init.stdout))![1];
    const key = /--certificate-key (\S+)/.exec(String(init.stdout))![1];
    const join = ['join', ENDPOINT, '--token', token, '--discovery-token-ca-cert-hash', cluster.caCertHash, '--control-plane', '--certificate-key', key];

    // The second control plane has joined; the shim on it has not written the output yet.
    const joined = await runKubeadm(registry, second, request(join));
    expect(joined.exitCode, joined.stderr).toBe(0);
    expect(anyApiServerAnswers(cluster, registry)).toBe(true);

    // The third, joining meanwhile, finds the cluster behind the endpoint and joins too.
    const alsoJoined = await runKubeadm(registry, third, request(join));
    expect(alsoJoined.exitCode, alsoJoined.stderr).toBe(0);
    applyFiles(second, joined);
    applyFiles(third, alsoJoined);
    expect([...cluster.nodes.values()].filter((node) => node.role === 'control-plane')).toHaveLength(3);
    expect(anyApiServerAnswers(cluster, registry)).toBe(true);
  });
});
