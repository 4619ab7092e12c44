/** Which etcd backups are kept: everything of the last day, the newest of each hour for a week, the newest of each day for 90 days. */
import { describe, expect, it } from 'vitest';
import { SWEEP_MINUTES, backupAge, backupDue, backupId, expiredBackups, takenAt } from '../../functions/backups/policy';
import { DEFAULT_BACKUP_POLICY, parseClusterSpec } from '../../shared/spec';

const NOW = new Date('2026-12-05T12:00:00Z');
/** A backup every interval for `days` days before NOW. */
function history(days: number): string[] {
  const ids: string[] = [];
  for (let t = NOW.getTime(); t > NOW.getTime() - days * 86_400_000; t -= SWEEP_MINUTES * 60_000) ids.push(backupId(new Date(t)));
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
    expect(kept.filter((t) => age(t) < 24)).toHaveLength(24 * (60 / SWEEP_MINUTES));
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

  it("keeps what a cluster's own policy says: hourly ones for a day, daily ones for two weeks", () => {
    const ids = history(30);
    const policy = { intervalMinutes: 15, keepHourlyDays: 1, keepDailyDays: 14 };
    const expired = new Set(expiredBackups(ids, NOW, policy));
    const kept = ids.filter((id) => !expired.has(id)).map((id) => (NOW.getTime() - takenAt(id)!.getTime()) / 3_600_000);
    expect(kept.filter((h) => h < 24)).toHaveLength(96);
    expect(kept.filter((h) => h >= 24).length).toBeGreaterThanOrEqual(13);
    expect(kept.filter((h) => h >= 24).length).toBeLessThanOrEqual(14);
    expect(kept.filter((h) => h >= 14 * 24)).toEqual([]);
  });
});

describe('backup interval', () => {
  const at = (iso: string) => new Date(iso);
  it('takes one when the interval has passed since the newest (within half a sweep), and none otherwise', () => {
    const hourly = { ...DEFAULT_BACKUP_POLICY, intervalMinutes: 60 };
    expect(backupDue(hourly, undefined, NOW)).toBe(true);
    expect(backupDue(hourly, at('2026-12-05T11:15:00Z'), NOW)).toBe(false);
    // A sweep a few seconds early still takes the hour's backup.
    expect(backupDue(hourly, at('2026-12-05T11:00:10Z'), NOW)).toBe(true);
    expect(backupDue(DEFAULT_BACKUP_POLICY, at('2026-12-05T11:45:00Z'), NOW)).toBe(true);
  });

  it('calls a backup overdue past twice the interval, and a cluster without one once it is that old', () => {
    const hourly = { ...DEFAULT_BACKUP_POLICY, intervalMinutes: 60 };
    expect(backupAge(hourly, at('2026-12-05T10:30:00Z'), '2026-01-01T00:00:00Z', NOW)).toEqual({ ageSeconds: 5400, overdue: false });
    expect(backupAge(hourly, at('2026-12-05T09:59:00Z'), '2026-01-01T00:00:00Z', NOW)).toEqual({ ageSeconds: 7260, overdue: true });
    expect(backupAge(hourly, undefined, '2026-12-05T11:00:00Z', NOW)).toEqual({ overdue: false });
    expect(backupAge(hourly, undefined, '2026-12-05T09:00:00Z', NOW)).toEqual({ overdue: true });
  });

  it('is set in the spec: a multiple of the sweep, and daily ones kept at least as long as hourly ones', () => {
    const base = { name: 'b', region: 'us-east-1' };
    const ok = parseClusterSpec({ ...base, backups: { intervalMinutes: 60, keepDailyDays: 30 } });
    expect(ok.ok && ok.spec.backups).toEqual({ intervalMinutes: 60, keepHourlyDays: 7, keepDailyDays: 30 });
    const bad = parseClusterSpec({ ...base, backups: { intervalMinutes: 20, keepHourlyDays: 10, keepDailyDays: 5 } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['backups.intervalMinutes']));
  });
});
