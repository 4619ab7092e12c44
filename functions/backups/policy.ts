/**
 * etcd backups: where each goes, how often, and which are kept.
 *
 * A snapshot every BACKUP_INTERVAL_MINUTES (kOps' etcd-manager takes one every 15 minutes),
 * to `<cluster>/etcd/<time>.db` in the deployment's backups bucket, with its revision, SHA-256
 * and the cluster's uid as object metadata (a restore refuses another cluster's). Kept: every
 * backup of the last day, the newest of each hour for KEEP_HOURLY_DAYS, the newest of each day
 * for KEEP_DAILY_DAYS; the rest are deleted (their versions expire by the bucket's lifecycle).
 */
export const BACKUP_INTERVAL_MINUTES = 15;
export const KEEP_HOURLY_DAYS = 7;
export const KEEP_DAILY_DAYS = 90;
/** Every backup younger than this is kept. */
const KEEP_ALL_MS = 86_400_000;

/** The bucket the deployment keeps backups in (serverless/resources.yml BackupsBucket). */
export function backupsBucket(): string {
  const bucket = process.env.HOPPER_BACKUPS_BUCKET;
  if (!bucket) throw new Error('HOPPER_BACKUPS_BUCKET is not set: the stack has no backups bucket');
  return bucket;
}

/** The bucket's prefix of a cluster's backups. */
export const backupPrefix = (cluster: string) => `${cluster}/etcd/`;

/** `2026-12-05T01-45-00Z`: sortable, and a valid key and id. */
export function backupId(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
}

export const backupKey = (cluster: string, id: string) => `${backupPrefix(cluster)}${id}.db`;

/** When a backup was taken, from its id; undefined for a key that is not one of ours. */
export function takenAt(id: string): Date | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z$/.exec(id);
  return m ? new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`) : undefined;
}

/** The ids to delete among `ids` (backup ids of one cluster) at `now`, by the retention rule. */
export function expiredBackups(ids: readonly string[], now: Date): string[] {
  const dated = ids.map((id) => ({ id, at: takenAt(id) })).filter((b): b is { id: string; at: Date } => b.at !== undefined).sort((a, b) => b.at.getTime() - a.at.getTime());
  const keep = new Set<string>();
  const newestOf = new Map<string, string>();
  for (const b of dated) {
    const age = now.getTime() - b.at.getTime();
    if (age < KEEP_ALL_MS) keep.add(b.id);
    const hour = `h${b.at.toISOString().slice(0, 13)}`;
    const day = `d${b.at.toISOString().slice(0, 10)}`;
    if (age < KEEP_HOURLY_DAYS * 86_400_000 && !newestOf.has(hour)) newestOf.set(hour, b.id);
    if (age < KEEP_DAILY_DAYS * 86_400_000 && !newestOf.has(day)) newestOf.set(day, b.id);
  }
  for (const id of newestOf.values()) keep.add(id);
  return dated.filter((b) => !keep.has(b.id)).map((b) => b.id);
}
