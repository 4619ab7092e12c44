/**
 * Where a simulated cluster's etcd keeps its data: a file per member under the data directory
 * (`<dataDir>/member/snap/db`, etcd's own bbolt file), naming the cluster and member it
 * belongs to. The cluster's objects live as long as some disk holds such a file — a live
 * host's root, or an EBS volume (mounted or not); when the last one goes (its instance
 * terminated with the data on the root volume, the volume deleted or formatted), the
 * cluster and every object in it are gone, as on AWS.
 */
import type { ProducedFile } from '../hosts/protocol';

/** kubeadm's default `etcd.local.dataDir`. */
export const DEFAULT_ETCD_DATA_DIR = '/var/lib/etcd';
/** The member's database, relative to the data directory. */
export const ETCD_MARKER = 'member/snap/db';

export interface EtcdMarker {
  /** The cluster's id (`KubeCluster.id`). */
  cluster: string;
  /** The member (node) that wrote it. */
  member: string;
  /**
   * Which etcd cluster the data is of: absent for the one `kubeadm init` made, the
   * `--initial-cluster-token` of a `snapshot restore` for one made from a snapshot (members
   * of different ones refuse each other: "cluster ID mismatch").
   */
  lineage?: string;
  /** Written by `etcdctl snapshot restore`: the members it was restored for, and what the snapshot held. */
  restore?: {
    members: string[];
    /** Each member's peer URL as `--initial-cluster` listed it: members find each other only there. */
    peers?: Record<string, string>;
    snapshot: { objects: Record<string, unknown[]>; overlays: Record<string, unknown>; revision: number };
  };
}

/**
 * The member database a control plane's etcd writes when it starts: on the host's disk at
 * once where the host can (etcd writes it, not kubeadm's output: a disk check in between must
 * find it), else as one of the command's files.
 */
export function etcdMemberFile(host: { write?(path: string, content: string): void }, dataDir: string, marker: EtcdMarker): ProducedFile[] {
  const path = `${dataDir.replace(/\/+$/, '')}/${ETCD_MARKER}`;
  const content = `${JSON.stringify(marker)}\n`;
  if (host.write) {
    host.write(path, content);
    return [];
  }
  return [{ path, content, mode: '0600', createDirs: true }];
}

/** The member database found in `dataDir` on a host, if any (`read` gives '' for a missing file). */
export function readEtcdMarker(read: (path: string) => string, dataDir: string): EtcdMarker | undefined {
  const text = read(`${dataDir.replace(/\/+$/, '')}/${ETCD_MARKER}`);
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<EtcdMarker>;
    if (typeof parsed.cluster !== 'string' || typeof parsed.member !== 'string') return undefined;
    return { cluster: parsed.cluster, member: parsed.member, ...(parsed.lineage ? { lineage: parsed.lineage } : {}), ...(parsed.restore ? { restore: parsed.restore } : {}) };
  } catch {
    return undefined;
  }
}

/** kubeadm's preflight check name for a directory (`/var/lib/etcd/data` → `DirAvailable--var-lib-etcd-data`). */
export const dirAvailableCheck = (dir: string) => `DirAvailable-${dir.replace(/\/+$/, '').replace(/\//g, '-')}`;
