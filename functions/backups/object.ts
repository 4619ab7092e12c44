/**
 * One backup, as a restore names and checks it: the id a user gives (or the object's key),
 * and what the object's metadata says of it — whose it is, its revision and its SHA-256.
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode } from '../../shared/aws/errors';
import { listBackups } from './list';
import { backupKey, takenAt } from './policy';

export interface BackupObject {
  id: string;
  key: string;
  sizeBytes: number;
  revision?: number;
  sha256?: string;
  /** The uid of the cluster incarnation it was taken from. */
  clusterUid?: string;
  /** The Kubernetes version the control plane ran when it was taken. */
  kubernetesVersion?: string;
}

/**
 * The cluster and backup id a reference names: an id (`2026-12-05T01-45-00Z`, of `cluster`) or
 * a key (`<cluster>/etcd/<id>.db`, possibly another cluster's); undefined when it is neither.
 */
export function parseBackupRef(ref: string, cluster: string): { cluster: string; id: string } | undefined {
  const key = /^([a-z0-9][-a-z0-9]*)\/etcd\/([^/]+)\.db$/.exec(ref);
  const named = key ? { cluster: key[1], id: key[2] } : { cluster, id: ref };
  return takenAt(named.id) ? named : undefined;
}

/** The backup `id` of `cluster` with its metadata; undefined when the bucket has no such object. */
export async function headBackup(s3: S3Client, bucket: string, cluster: string, id: string): Promise<BackupObject | undefined> {
  const key = backupKey(cluster, id);
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const meta = head.Metadata ?? {};
    return {
      id,
      key,
      sizeBytes: head.ContentLength ?? 0,
      ...(meta.revision ? { revision: Number(meta.revision) } : {}),
      ...(meta.sha256 ? { sha256: meta.sha256 } : {}),
      ...(meta['cluster-uid'] ? { clusterUid: meta['cluster-uid'] } : {}),
      ...(meta['kubernetes-version'] ? { kubernetesVersion: meta['kubernetes-version'] } : {}),
    };
  } catch (err) {
    if (['NotFound', 'NoSuchKey', '404'].includes(awsErrorCode(err) ?? '')) return undefined;
    throw err;
  }
}

/** Why a cluster made before etcd volumes cannot be restored: its etcd data is elsewhere on each instance. */
export const NO_ETCD_VOLUMES = 'its control plane keeps etcd on its root volumes (it was made before etcd volumes): a restore works on the etcd volumes Hopper manages; replace its control plane first (a forced rolling update of the control plane gives every seat its volume)';

/** Why a cluster incarnation may not be restored from this backup, or undefined when it may. */
export function restoreRefusal(backup: BackupObject, cluster: { name: string; uid: string; kubernetesVersion?: string; spec: { kubernetesVersion: string } }): string | undefined {
  if (backup.clusterUid !== undefined && backup.clusterUid !== cluster.uid) {
    return `backup ${backup.id} was taken from an earlier cluster named ${cluster.name} (uid ${backup.clusterUid}), not from this one (uid ${cluster.uid}): a cluster is restored from its own backups only`;
  }
  if (!backup.clusterUid) return `backup ${backup.id} does not say which cluster it was taken from (no cluster-uid metadata): it cannot be checked, so it is not restored`;
  if (!backup.sha256 || !/^[0-9a-f]{64}$/.test(backup.sha256)) return `backup ${backup.id} has no SHA-256 recorded: its contents cannot be verified, so it is not restored`;
  // etcd holds kubeadm's ClusterConfiguration: another minor version's would go back (or ahead) a version under the running control plane.
  const running = cluster.kubernetesVersion ?? cluster.spec.kubernetesVersion;
  if (backup.kubernetesVersion && minorOf(backup.kubernetesVersion) !== minorOf(running)) {
    return `backup ${backup.id} was taken when the control plane ran Kubernetes ${backup.kubernetesVersion}; it runs ${running} now: restore a backup taken at ${minorOf(running)}`;
  }
  return undefined;
}

const minorOf = (version: string) => version.replace(/^v/, '').split('.').slice(0, 2).join('.');

/**
 * The newest backup a cluster incarnation may be restored from without a person choosing it
 * (its only control plane lost with its etcd volume): the newest few are looked into, one
 * HeadObject each, and the first that restoreRefusal lets through is it. Undefined when none is.
 */
export async function newestRestorableBackup(
  s3: S3Client,
  bucket: string,
  cluster: { name: string; uid: string; kubernetesVersion?: string; spec: { kubernetesVersion: string } },
  looks = 5,
): Promise<(BackupObject & { takenAt: string; sha256: string }) | undefined> {
  for (const listed of (await listBackups(s3, bucket, cluster.name)).slice(0, looks)) {
    const backup = await headBackup(s3, bucket, cluster.name, listed.id);
    if (backup?.sha256 && !restoreRefusal(backup, cluster)) return { ...backup, sha256: backup.sha256, takenAt: listed.takenAt };
  }
  return undefined;
}
