/**
 * `etcdctl` on a control-plane host (Ubuntu's etcd-client, 3.4):
 * - `snapshot save FILE` writes the local member's data — every object clients made, at the
 *   cluster's current revision — to FILE (JSON standing in for etcd's bbolt file);
 * - `snapshot status FILE [-w json|table]` reads one back (hash, revision, keys, size);
 * - `snapshot restore FILE --data-dir … --name … --initial-cluster … --initial-cluster-token …`
 *   makes a member's data directory from one, offline (`etcd-members.ts` says when it counts);
 * - `member list [-w json]` and `member remove ID`.
 * The online commands talk to the local member at https://127.0.0.1:2379 with the etcd client
 * certificates kubeadm made; a host that is no control plane, or whose member is stopped, has
 * nothing there to answer, and a member without a quorum answers nothing.
 */
import { createHash } from 'node:crypto';
import type { ShimRequest, ShimResult } from '../hosts/protocol';
import { fail, ok } from '../hosts/protocol';
import { serverFor } from './api/server';
import { flag, positionals } from './host';
import type { KubeCluster } from './cluster';
import { ETCD_MARKER, readEtcdMarker, type EtcdMarker } from './etcd';
import { hasQuorum, memberId, memberRunning, members, removeMember } from './etcd-members';
import type { KubeHost } from './host';
import type { KubeRegistry } from './registry';

const FLAGS_WITH_VALUES = ['--endpoints', '--cacert', '--cert', '--key', '-w', '--write-out', '--dial-timeout', '--command-timeout', '--data-dir', '--name', '--initial-cluster', '--initial-cluster-token', '--initial-advertise-peer-urls'];

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

/** etcd's client error when nothing answers at the endpoint. */
const refused = (endpoint: string) =>
  fail(`{"level":"warn","msg":"retrying of unary invoker failed","target":"etcd-endpoints://${endpoint}","error":"rpc error: code = DeadlineExceeded desc = latest balancer error: last connection error: connection error: desc = \\"transport: Error while dialing: dial tcp 127.0.0.1:2379: connect: connection refused\\""}\nError: context deadline exceeded`);

/**
 * The local member, reached with the etcd client certificates: its cluster and name, or the
 * error etcdctl prints (nothing listening, no certificates, no quorum behind it).
 */
function localMember(registry: KubeRegistry, host: KubeHost, req: ShimRequest): { cluster: KubeCluster; nodeName: string } | ShimResult {
  const endpoint = flag(req.args, '--endpoints') ?? '127.0.0.1:2379';
  const member = registry.membership(host.instanceId);
  const isControlPlane = member?.cluster.nodes.get(member.nodeName)?.role === 'control-plane';
  if (!member || !isControlPlane || !memberRunning(member.cluster, member.nodeName, registry)) return refused(endpoint);
  if (!flag(req.args, '--cacert') || !flag(req.args, '--cert') || !flag(req.args, '--key')) {
    return fail('{"level":"warn","msg":"retrying of unary invoker failed","error":"rpc error: code = Unavailable desc = connection closed before server preface received"}\nError: context deadline exceeded');
  }
  // A member without a quorum behind it answers nothing that needs one.
  if (!hasQuorum(member.cluster)) return fail('{"level":"warn","msg":"retrying of unary invoker failed","error":"rpc error: code = DeadlineExceeded desc = context deadline exceeded"}\nError: context deadline exceeded');
  return member;
}

const isResult = (v: unknown): v is ShimResult => typeof (v as ShimResult).exitCode === 'number';
const absolute = (req: ShimRequest, file: string) => (file.startsWith('/') ? file : `${req.cwd.replace(/\/$/, '')}/${file}`);

/** A snapshot file's content, or etcdctl's error for it. */
function readSnapshot(req: ShimRequest, file: string): { snapshot: EtcdSnapshot; content: Buffer } | ShimResult {
  const content = req.files.get(absolute(req, file));
  if (!content) return fail(`Error: stat ${file}: no such file or directory`);
  try {
    const snapshot = JSON.parse(content.toString()) as EtcdSnapshot;
    if (snapshot.format !== 'hopper-sim-etcd-snapshot/1') throw new Error('format');
    return { snapshot, content };
  } catch {
    return fail('Error: snapshot file integrity check failed. 1 errors found.\ninvalid database');
  }
}

export function runEtcdctl(registry: KubeRegistry, host: KubeHost, req: ShimRequest): ShimResult {
  const pos = positionals(req.args, FLAGS_WITH_VALUES);
  const cmd = pos.slice(0, 2).join(' ');
  if (cmd === 'snapshot save') {
    const file = pos[2];
    if (!file) return fail('Error: snapshot save expects one argument');
    const member = localMember(registry, host, req);
    if (isResult(member)) return member;
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
    return ok(`{"level":"info","msg":"saved","path":"${file}"}\nSnapshot saved at ${file}\n`, { files: [{ path: absolute(req, file), content, mode: '0600' }] });
  }
  if (cmd === 'snapshot restore') return restore(registry, host, req, pos[2]);
  if (cmd === 'member list') {
    const member = localMember(registry, host, req);
    if (isResult(member)) return member;
    const rows = members(member.cluster).map((m) => ({ ID: m.id, name: m.name, peerURLs: [m.peerUrl], clientURLs: m.started ? [m.peerUrl.replace(/:2380$/, ':2379')] : [], started: m.started }));
    const out = flag(req.args, '-w', '--write-out');
    if (out === 'json') return ok(`${JSON.stringify({ header: { cluster_id: memberId(member.cluster.id) }, members: rows })}\n`);
    return ok(rows.map((r) => `${r.ID}, ${r.started ? 'started' : 'unstarted'}, ${r.name}, ${r.peerURLs.join(',')}, ${r.clientURLs.join(',')}, false\n`).join(''));
  }
  if (cmd === 'member remove') {
    const id = pos[2];
    if (!id) return fail('Error: member ID is not provided');
    const member = localMember(registry, host, req);
    if (isResult(member)) return member;
    const found = members(member.cluster).find((m) => m.id === id);
    if (!found) return fail(`{"level":"warn","msg":"retrying of unary invoker failed","error":"rpc error: code = NotFound desc = etcdserver: member not found"}\nError: etcdserver: member not found`);
    removeMember(member.cluster, found.name);
    return ok(`Member ${id} removed from cluster ${memberId(member.cluster.id)}\n`);
  }
  if (cmd === 'snapshot status') {
    const read = readSnapshot(req, pos[2] ?? '');
    if (isResult(read)) return read;
    const { snapshot, content } = read;
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

/**
 * `etcdctl snapshot restore FILE --data-dir DIR --name NAME --initial-cluster N=URL,…
 * --initial-cluster-token TOKEN --initial-advertise-peer-urls URL`: a new member's data
 * directory holding the snapshot, of a new etcd cluster (its lineage is the token) made of the
 * members listed. Offline: it needs no running etcd, and refuses a directory that exists.
 */
function restore(registry: KubeRegistry, host: KubeHost, req: ShimRequest, file: string | undefined): ShimResult {
  if (!file) return fail('Error: snapshot restore requires exactly one argument');
  const read = readSnapshot(req, file);
  if (isResult(read)) return read;
  const name = flag(req.args, '--name') ?? 'default';
  const dataDir = absolute(req, flag(req.args, '--data-dir') ?? `${name}.etcd`).replace(/\/+$/, '');
  const initialFlag = flag(req.args, '--initial-cluster') ?? 'default=http://localhost:2380';
  const peers = Object.fromEntries(initialFlag.split(',').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  const initial = Object.keys(peers);
  const token = flag(req.args, '--initial-cluster-token') ?? 'etcd-cluster';
  if (!initial.includes(name)) return fail(`Error: couldn't find local name "${name}" in the initial cluster configuration`);
  const advertised = flag(req.args, '--initial-advertise-peer-urls') ?? 'http://localhost:2380';
  if (peers[name] !== advertised) {
    return fail(`Error: --initial-cluster has ${name}=${peers[name]} but missing from --initial-advertise-peer-urls=${advertised} ("${advertised}"(resolved from "${advertised}"))`);
  }
  if (!host.read || !host.write) return fail('Error: the data directory cannot be written');
  if (readEtcdMarker(host.read.bind(host), dataDir)) return fail(`Error: data-dir "${dataDir}" exists`);
  const { snapshot } = read;
  const owner = registry.membership(host.instanceId)?.cluster.id ?? snapshot.cluster;
  const marker: EtcdMarker = {
    cluster: owner,
    member: name,
    lineage: token,
    restore: { members: initial, peers, snapshot: { objects: snapshot.objects, overlays: snapshot.overlays, revision: snapshot.revision } },
  };
  host.write(`${dataDir}/${ETCD_MARKER}`, `${JSON.stringify(marker)}\n`);
  const log = (msg: string, extra: Record<string, unknown>) => JSON.stringify({ level: 'info', ts: new Date(registry.runtime.now()).toISOString(), caller: 'snapshot/v3_snapshot.go:296', msg, ...extra });
  return ok(
    [
      log('restoring snapshot', { path: file, 'wal-dir': `${dataDir}/member/wal`, 'data-dir': dataDir, 'snap-dir': `${dataDir}/member/snap` }),
      ...initial.map((m) => log('added member', { 'cluster-id': memberId(token), 'local-member-id': '0', 'added-peer-id': memberId(m), 'added-peer-name': m })),
      log('restored snapshot', { path: file, 'wal-dir': `${dataDir}/member/wal`, 'data-dir': dataDir, 'snap-dir': `${dataDir}/member/snap` }),
    ].join('\n') + '\n',
  );
}
