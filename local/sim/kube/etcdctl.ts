/**
 * `etcdctl` on a control-plane host (Ubuntu's etcd-client): `snapshot save FILE` writes the
 * local member's data — every object clients made, at the cluster's current revision — to FILE
 * (JSON standing in for etcd's bbolt file), and `snapshot status FILE [-w json|table]` reads
 * one back (hash, revision, keys, size). It talks to the local member at https://127.0.0.1:2379
 * with the etcd client certificates kubeadm made; a host that is no control plane has no member
 * there to answer.
 */
import { createHash } from 'node:crypto';
import type { ShimRequest, ShimResult } from '../hosts/protocol';
import { fail, ok } from '../hosts/protocol';
import { serverFor } from './api/server';
import { flag, positionals } from './host';
import type { KubeHost } from './host';
import type { KubeRegistry } from './registry';

const FLAGS_WITH_VALUES = ['--endpoints', '--cacert', '--cert', '--key', '-w', '--write-out', '--dial-timeout', '--command-timeout'];

/** What a snapshot file holds. */
export interface EtcdSnapshot {
  format: 'hopper-sim-etcd-snapshot/1';
  cluster: string;
  clusterName: string;
  revision: number;
  takenAt: string;
  objects: Record<string, unknown[]>;
  overlays: Record<string, unknown>;
}

export function runEtcdctl(registry: KubeRegistry, host: KubeHost, req: ShimRequest): ShimResult {
  const pos = positionals(req.args, FLAGS_WITH_VALUES);
  const cmd = pos.slice(0, 2).join(' ');
  if (cmd === 'snapshot save') {
    const file = pos[2];
    if (!file) return fail('Error: snapshot save expects one argument');
    const endpoint = flag(req.args, '--endpoints') ?? '127.0.0.1:2379';
    const member = registry.membership(host.instanceId);
    const isControlPlane = member?.cluster.nodes.get(member.nodeName)?.role === 'control-plane';
    if (!member || !isControlPlane) {
      return fail(`{"level":"warn","msg":"retrying of unary invoker failed","target":"etcd-endpoints://${endpoint}","error":"rpc error: code = DeadlineExceeded desc = latest balancer error: last connection error: connection error: desc = \\"transport: Error while dialing: dial tcp 127.0.0.1:2379: connect: connection refused\\""}\nError: context deadline exceeded`);
    }
    if (!flag(req.args, '--cacert') || !flag(req.args, '--cert') || !flag(req.args, '--key')) {
      return fail('{"level":"warn","msg":"retrying of unary invoker failed","error":"rpc error: code = Unavailable desc = connection closed before server preface received"}\nError: context deadline exceeded');
    }
    const api = serverFor(registry, member.cluster);
    const stored = api?.objects.exportStored() ?? { objects: {}, overlays: {}, revision: 1 };
    const snapshot: EtcdSnapshot = {
      format: 'hopper-sim-etcd-snapshot/1',
      cluster: member.cluster.id,
      clusterName: member.cluster.clusterName,
      revision: stored.revision,
      takenAt: new Date(registry.runtime.now()).toISOString(),
      objects: stored.objects,
      overlays: stored.overlays,
    };
    const content = `${JSON.stringify(snapshot)}\n`;
    return ok(`{"level":"info","msg":"saved","path":"${file}"}\nSnapshot saved at ${file}\n`, { files: [{ path: file.startsWith('/') ? file : `${req.cwd.replace(/\/$/, '')}/${file}`, content, mode: '0600' }] });
  }
  if (cmd === 'snapshot status') {
    const file = pos[2] ?? '';
    const abs = file.startsWith('/') ? file : `${req.cwd.replace(/\/$/, '')}/${file}`;
    const content = req.files.get(abs);
    if (!content) return fail(`Error: stat ${file}: no such file or directory`);
    let snapshot: EtcdSnapshot;
    try {
      snapshot = JSON.parse(content.toString()) as EtcdSnapshot;
      if (snapshot.format !== 'hopper-sim-etcd-snapshot/1') throw new Error('format');
    } catch {
      return fail('Error: snapshot file has wrong format or is corrupted');
    }
    const status = {
      hash: parseInt(createHash('sha256').update(content).digest('hex').slice(0, 8), 16),
      revision: snapshot.revision,
      totalKey: Object.values(snapshot.objects).reduce((n, list) => n + list.length, 0),
      totalSize: content.length,
    };
    const out = flag(req.args, '-w', '--write-out');
    if (out === 'json') return ok(`${JSON.stringify(status)}\n`);
    return ok(`${status.hash.toString(16)}, ${status.revision}, ${status.totalKey}, ${status.totalSize} B\n`);
  }
  if (pos[0] === 'version') return ok('etcdctl version: 3.4.30\nAPI version: 3.4\n');
  return fail(`Error: unknown command "${pos.join(' ')}" for "etcdctl"`);
}
