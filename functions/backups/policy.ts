/**
 * etcd backups: where each goes, how often, and which are kept.
 *
 * The sweep runs every SWEEP_MINUTES (kOps' etcd-manager takes one every 15 minutes) and takes
 * a snapshot of each cluster whose spec's `backups.intervalMinutes` has passed since its newest
 * one, to `<cluster>/etcd/<time>.db` in the deployment's backups bucket, with its revision,
 * SHA-256, the cluster's uid and Kubernetes version as object metadata (a restore refuses
 * another cluster's). Kept: every backup of the last day, the newest of each hour for
 * `keepHourlyDays`, the newest of each day for `keepDailyDays`; the rest are deleted (their
 * versions expire by the bucket's lifecycle).
 */
import { DEFAULT_BACKUP_POLICY, type BackupPolicy } from '../../shared/spec';

/** How often the backup sweep runs: the finest interval a cluster can ask for. */
export const SWEEP_MINUTES = 15;
/** Every backup younger than this is kept. */
const KEEP_ALL_MS = 86_400_000;

/** A cluster's backup policy: its spec's (clusters stored before there was one get the default). */
export function backupPolicyOf(spec: { backups?: BackupPolicy }): BackupPolicy {
  return spec.backups ?? DEFAULT_BACKUP_POLICY;
}

/**
 * Whether a cluster is due a backup at `slot`: its interval has passed since its newest one,
 * less half a sweep (the sweep's own timing wanders by that much).
 */
export function backupDue(policy: BackupPolicy, newest: Date | undefined, slot: Date): boolean {
  return !newest || slot.getTime() - newest.getTime() >= (policy.intervalMinutes - SWEEP_MINUTES / 2) * 60_000;
}

/** How old the newest backup is, and whether it is overdue: older than twice the interval (or, with none yet, the cluster is). */
export function backupAge(policy: BackupPolicy, newest: Date | undefined, clusterCreatedAt: string, now: Date): { ageSeconds?: number; overdue: boolean } {
  const limit = 2 * policy.intervalMinutes * 60_000;
  if (!newest) return { overdue: now.getTime() - Date.parse(clusterCreatedAt) > limit };
  const age = Math.max(0, now.getTime() - newest.getTime());
  return { ageSeconds: Math.round(age / 1000), overdue: age > limit };
}

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
export function expiredBackups(ids: readonly string[], now: Date, policy: BackupPolicy = DEFAULT_BACKUP_POLICY): string[] {
  const dated = ids.map((id) => ({ id, at: takenAt(id) })).filter((b): b is { id: string; at: Date } => b.at !== undefined).sort((a, b) => b.at.getTime() - a.at.getTime());
  const keep = new Set<string>();
  const newestOf = new Map<string, string>();
  for (const b of dated) {
    const age = now.getTime() - b.at.getTime();
    if (age < KEEP_ALL_MS) keep.add(b.id);
    const hour = `h${b.at.toISOString().slice(0, 13)}`;
    const day = `d${b.at.toISOString().slice(0, 10)}`;
    if (age < policy.keepHourlyDays * 86_400_000 && !newestOf.has(hour)) newestOf.set(hour, b.id);
    if (age < policy.keepDailyDays * 86_400_000 && !newestOf.has(day)) newestOf.set(day, b.id);
  }
  for (const id of newestOf.values()) keep.add(id);
  return dated.filter((b) => !keep.has(b.id)).map((b) => b.id);
}
