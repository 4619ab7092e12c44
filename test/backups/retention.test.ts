/** Which etcd backups are kept: everything of the last day, the newest of each hour for a week, the newest of each day for 90 days. */
import { describe, expect, it } from 'vitest';
import { BACKUP_INTERVAL_MINUTES, backupId, expiredBackups, takenAt } from '../../functions/backups/policy';

const NOW = new Date('2026-12-05T12:00:00Z');
/** A backup every interval for `days` days before NOW. */
function history(days: number): string[] {
  const ids: string[] = [];
  for (let t = NOW.getTime(); t > NOW.getTime() - days * 86_400_000; t -= BACKUP_INTERVAL_MINUTES * 60_000) ids.push(backupId(new Date(t)));
  return ids;
}

describe('backup retention', () => {
  it('names backups by their time, sortably, and reads the time back', () => {
    expect(backupId(new Date('2026-12-05T01:45:00.123Z'))).toBe('2026-12-05T01-45-00Z');
    expect(takenAt('2026-12-05T01-45-00Z')?.toISOString()).toBe('2026-12-05T01:45:00.000Z');
    expect(takenAt('not-a-backup')).toBeUndefined();
  });

  it('keeps every backup of the last day, one an hour for a week, one a day for 90 days', () => {
    const ids = history(120);
    const expired = new Set(expiredBackups(ids, NOW));
    const kept = ids.filter((id) => !expired.has(id)).map((id) => takenAt(id)!.getTime());
    const age = (t: number) => (NOW.getTime() - t) / 3_600_000;
    // The last day: every one (96 at 15 minutes).
    expect(kept.filter((t) => age(t) < 24)).toHaveLength(24 * (60 / BACKUP_INTERVAL_MINUTES));
    // Day 1 to 7: one per hour.
    expect(kept.filter((t) => age(t) >= 24 && age(t) < 7 * 24)).toHaveLength(6 * 24);
    // Day 7 to 90: one per day (the hour's newest of the day boundary counts once).
    const daily = kept.filter((t) => age(t) >= 7 * 24 && age(t) < 90 * 24);
    expect(daily.length).toBeGreaterThanOrEqual(82);
    expect(daily.length).toBeLessThanOrEqual(84);
    // Nothing older than 90 days.
    expect(kept.filter((t) => age(t) >= 90 * 24)).toEqual([]);
    // Run again on what is left: nothing more goes.
    expect(expiredBackups(ids.filter((id) => !expired.has(id)), NOW)).toEqual([]);
  });

  it('ignores keys that are not backups', () => {
    expect(expiredBackups(['README', 'x.db'], NOW)).toEqual([]);
  });
});
