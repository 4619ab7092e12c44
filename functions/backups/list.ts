/** A cluster's backups as the bucket holds them: time, revision, size and checksum, newest first. */
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { backupPrefix, takenAt } from './policy';

export interface BackupView {
  id: string;
  takenAt: string;
  /** The etcd revision the snapshot holds. */
  revision?: number;
  sizeBytes: number;
  sha256?: string;
  /** The uid of the cluster incarnation it was taken from. */
  clusterUid?: string;
  key: string;
}

/** Every backup of `cluster` (newest first); with `details`, each object's metadata too (one HeadObject each). */
export async function listBackups(s3: S3Client, bucket: string, cluster: string, options: { details?: boolean } = {}): Promise<BackupView[]> {
  const found: BackupView[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: backupPrefix(cluster), ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const id = (o.Key ?? '').slice(backupPrefix(cluster).length).replace(/\.db$/, '');
      const at = takenAt(id);
      if (at && o.Key) found.push({ id, takenAt: at.toISOString(), sizeBytes: o.Size ?? 0, key: o.Key });
    }
    token = page.NextContinuationToken;
  } while (token);
  found.sort((a, b) => b.takenAt.localeCompare(a.takenAt));
  if (options.details) {
    await Promise.all(
      found.map(async (b) => {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: b.key }));
        const meta = head.Metadata ?? {};
        if (meta.revision) b.revision = Number(meta.revision);
        if (meta.sha256) b.sha256 = meta.sha256;
        if (meta['cluster-uid']) b.clusterUid = meta['cluster-uid'];
      }),
    );
  }
  return found;
}

/**
 * The newest backup of this cluster incarnation: a name used again keeps the earlier
 * cluster's backups under the same prefix (its delete kept them), so the newest few are looked
 * into (one HeadObject each) until one is this incarnation's. Undefined when none is.
 */
export async function newestBackupOf(s3: S3Client, bucket: string, cluster: { name: string; uid: string }, looks = 5): Promise<BackupView | undefined> {
  for (const b of (await listBackups(s3, bucket, cluster.name)).slice(0, looks)) {
    const meta = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: b.key }))).Metadata ?? {};
    if (!meta['cluster-uid'] || meta['cluster-uid'] === cluster.uid) return b;
  }
  return undefined;
}
