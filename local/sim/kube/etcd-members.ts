/**
 * A stacked etcd's members, and what follows from them for the API servers beside them.
 *
 * Each control plane runs etcd and kube-apiserver as static pods: the kubelet runs what is in
 * /etc/kubernetes/manifests, so moving `etcd.yaml` out stops that member and putting it back
 * starts it — reading its data directory then, not before (a data directory swapped under a
 * running member changes nothing until it restarts). Which etcd cluster a member's data is of
 * (its lineage: the one `kubeadm init` made, or one `etcdctl snapshot restore` made with its
 * own `--initial-cluster-token`) decides whom it can form a quorum with.
 *
 * - A restored lineage takes over once more than half of the members it was restored for run
 *   on its data: the cluster's objects are then the snapshot's (`ApiObjects.importStored`).
 * - An API server answers only while its manifest is in place, its local member runs on the
 *   cluster's current lineage and that lineage has a quorum of running members.
 *
 * What is evaluated is read from the hosts' disks when someone looks (kubectl, a connection
 * to port 6443, crictl, etcdctl, kubeadm join): without host files (the model's unit tests)
 * every member counts as running.
 */
import { serverFor } from './api/server';
import type { KubeCluster } from './cluster';
import { ETCD_MARKER, readEtcdMarker, type EtcdMarker } from './etcd';
import type { KubeRegistry } from './registry';

export const MANIFESTS = '/etc/kubernetes/manifests';
export const ETCD_MANIFEST = `${MANIFESTS}/etcd.yaml`;
export const API_SERVER_MANIFEST = `${MANIFESTS}/kube-apiserver.yaml`;

interface EtcdState {
  /**
   * The members etcd knows (`member list`), by name, with the instance each runs on and the id
   * etcd gave it when it was added (a member removed and added again gets a new one).
   */
  members: Map<string, { id: string; instanceId: string; peerUrl: string }>;
  /** Members added so far: what makes each new member's id its own. */
  added: number;
  /** The lineage whose data the cluster's objects are ('' for the one kubeadm init made). */
  lineage: string;
  /** Members whose etcd runs, with the lineage of the data it started from. */
  running: Map<string, string>;
  /** The registry the cluster is in (its API server's objects change with a restore). */
  registry?: KubeRegistry;
}

const states = new WeakMap<KubeCluster, EtcdState>();

function stateOf(cluster: KubeCluster): EtcdState {
  let s = states.get(cluster);
  if (!s) states.set(cluster, (s = { members: new Map(), lineage: '', running: new Map(), added: 0 }));
  return s;
}

/** etcd's member id for a name: 16 hex digits, stable. */
export function memberId(name: string): string {
  let h = 0xcbf29ce484222325n;
  for (const ch of name) h = BigInt.asUintN(64, (h ^ BigInt(ch.charCodeAt(0))) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/**
 * A control plane's member started (kubeadm init or a control-plane join): on the cluster's
 * current data. A member etcd already has at this peer URL is the one that starts (kubeadm's
 * member add takes etcd's "Peer URLs already exists" as the member being there), keeping its id.
 */
export function addMember(registry: KubeRegistry, cluster: KubeCluster, name: string, instanceId: string, address: string): void {
  const s = stateOf(cluster);
  s.registry = registry;
  const peerUrl = `https://${address}:2380`;
  const existing = memberAt(cluster, peerUrl);
  if (existing && existing.name !== name) s.members.delete(existing.name);
  const id = existing?.id ?? memberId(`${cluster.id}/${name}/${++s.added}`);
  s.members.set(name, { id, instanceId, peerUrl });
  s.running.set(name, s.lineage);
}

/** The member etcd knows at a peer URL, if any. */
export function memberAt(cluster: KubeCluster, peerUrl: string): { id: string; name: string } | undefined {
  for (const [name, m] of stateOf(cluster).members) if (m.peerUrl === peerUrl) return { id: m.id, name };
  return undefined;
}

/**
 * `kubeadm init` over a lone member's data (its volume on a new instance): etcd starts as a
 * cluster of that one member again (`--force-new-cluster`, as kubeadm's restore does).
 */
export function resetMembers(cluster: KubeCluster): void {
  const s = stateOf(cluster);
  s.members.clear();
  s.running.clear();
}

/** The member's container stopped (`crictl stopp`): the kubelet starts it again, and it reads its data directory anew. */
export function restartMember(cluster: KubeCluster, name: string): void {
  stateOf(cluster).running.delete(name);
  settle(cluster);
}

/** `kubeadm reset` on a control plane or `etcdctl member remove`: the member leaves etcd. */
export function removeMember(cluster: KubeCluster, name: string): boolean {
  const s = stateOf(cluster);
  s.running.delete(name);
  return s.members.delete(name);
}

export function members(cluster: KubeCluster): { id: string; name: string; instanceId: string; peerUrl: string; started: boolean }[] {
  settle(cluster);
  const s = stateOf(cluster);
  // A member is added here only as its etcd starts (kubeadm init, a control-plane join), so each
  // has started once: `member list` says "started" for a member whose etcd is down now, as etcd does.
  return [...s.members].map(([name, m]) => ({ id: m.id, name, instanceId: m.instanceId, peerUrl: m.peerUrl, started: true }));
}

/** The current lineage ('' before any restore). */
export function lineageOf(cluster: KubeCluster): string {
  return stateOf(cluster).lineage;
}

type Read = (instanceId: string, path: string) => string | undefined;

/**
 * Brings the members' state up to what the hosts' disks say: a member whose manifest is gone
 * stopped; one whose manifest is back started from the data it finds; a restored lineage with
 * a quorum takes the cluster over.
 */
export function settle(cluster: KubeCluster, registry?: KubeRegistry): void {
  const read = cluster.readHostFile;
  if (!read) return;
  const s = stateOf(cluster);
  const markers = new Map<string, EtcdMarker | undefined>();
  for (const [name, m] of s.members) {
    const manifest = read(m.instanceId, ETCD_MANIFEST);
    // A host that does not answer (or is gone) leaves its member as it was: unreachable, not restarted.
    if (manifest === undefined) continue;
    if (!manifest) {
      s.running.delete(name);
      continue;
    }
    const marker = readEtcdMarker((p) => read(m.instanceId, p) ?? '', cluster.etcdDataDir);
    markers.set(name, marker);
    // No data: etcd would make a new, empty member of nothing — it does not serve this cluster.
    if (!s.running.has(name) && marker) s.running.set(name, marker.lineage ?? '');
  }
  // A restored lineage with a quorum of running members takes over.
  const byLineage = new Map<string, string[]>();
  for (const [name, lineage] of s.running) if (lineage !== s.lineage && reachable(read, s, name)) byLineage.set(lineage, [...(byLineage.get(lineage) ?? []), name]);
  for (const [lineage, names] of byLineage) {
    const restore = names.map((n) => markers.get(n)).find((mk) => mk?.lineage === lineage && mk.restore)?.restore;
    // Members reach each other only at the peer URLs the restore listed: one listed elsewhere is alone.
    const reachable = names.filter((n) => !restore?.peers || restore.peers[n] === s.members.get(n)?.peerUrl);
    if (!restore || reachable.length <= restore.members.length / 2) continue;
    const reg = registry ?? s.registry;
    const api = reg ? serverFor(reg, cluster) : undefined;
    api?.objects.importStored(restore.snapshot as Parameters<typeof api.objects.importStored>[0]);
    s.lineage = lineage;
    // The restored cluster's members are those it was restored for.
    for (const name of [...s.members.keys()]) if (!restore.members.includes(name)) s.members.delete(name);
    break;
  }
}

function reachable(read: Read, s: EtcdState, name: string): boolean {
  const m = s.members.get(name);
  return m !== undefined && read(m.instanceId, ETCD_MANIFEST) !== undefined;
}

/** Whether the current lineage has a quorum of running, reachable members. */
export function hasQuorum(cluster: KubeCluster): boolean {
  const read = cluster.readHostFile;
  if (!read) return true;
  const s = stateOf(cluster);
  if (s.members.size === 0) return true;
  const up = [...s.members.keys()].filter((n) => s.running.get(n) === s.lineage && reachable(read, s, n)).length;
  return up > s.members.size / 2;
}

/** Whether the API server on this control plane answers now. */
export function apiServerAnswers(cluster: KubeCluster, nodeName: string, instanceId: string, registry?: KubeRegistry): boolean {
  const read = cluster.readHostFile;
  if (!read) return true;
  settle(cluster, registry);
  const s = stateOf(cluster);
  if (!read(instanceId, API_SERVER_MANIFEST)) return false;
  return s.running.get(nodeName) === s.lineage && hasQuorum(cluster);
}

/** Whether any control plane's API server answers (what a client behind the load balancer needs). */
export function anyApiServerAnswers(cluster: KubeCluster, registry?: KubeRegistry): boolean {
  if (!cluster.readHostFile) return true;
  return [...cluster.nodes.values()].some((n) => n.role === 'control-plane' && n.hostGoneAt === undefined && apiServerAnswers(cluster, n.name, n.instanceId, registry));
}

/** Whether the etcd member on this node runs (its manifest in place, its data found). */
export function memberRunning(cluster: KubeCluster, nodeName: string, registry?: KubeRegistry): boolean {
  if (!cluster.readHostFile) return true;
  settle(cluster, registry);
  return stateOf(cluster).running.has(nodeName);
}

/**
 * The members that do not answer at their client URL now (their host gone or not answering,
 * their manifest moved out, or on other data): what kubeadm join's check-etcd phase finds
 * (it dials every member etcd lists).
 */
export function silentMembers(cluster: KubeCluster, registry?: KubeRegistry): { name: string; peerUrl: string }[] {
  const read = cluster.readHostFile;
  if (!read) return [];
  settle(cluster, registry);
  const s = stateOf(cluster);
  return [...s.members]
    .filter(([name, m]) => !read(m.instanceId, ETCD_MANIFEST) || s.running.get(name) !== s.lineage)
    .map(([name, m]) => ({ name, peerUrl: m.peerUrl }));
}

export { ETCD_MARKER };
