import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../local/runtime/schedule';

const at = (iso: string) => Date.parse(iso);

describe('parseSchedule', () => {
  it('fires rate() schedules at their interval, divided by the time scale', () => {
    expect(parseSchedule('rate(5 minutes)').next(0)).toBe(300_000);
    expect(parseSchedule('rate(1 hour)', 60).next(0)).toBe(60_000);
    // Never faster than once a second.
    expect(parseSchedule('rate(1 minute)', 1000).next(0)).toBe(1000);
  });

  it.each([
    ['cron(0/15 * * * ? *)', '2026-03-10T10:07:30Z', '2026-03-10T10:15:00Z'],
    ['cron(0 3 * * ? *)', '2026-03-10T10:07:00Z', '2026-03-11T03:00:00Z'],
    ['cron(30 8 ? * MON-FRI *)', '2026-03-13T09:00:00Z', '2026-03-16T08:30:00Z'],
    ['cron(0 0 1 JAN ? *)', '2026-03-10T00:00:00Z', '2027-01-01T00:00:00Z'],
  ])('%s after %s fires at %s', (expression, after, expected) => {
    expect(new Date(parseSchedule(expression).next(at(after))).toISOString()).toBe(new Date(expected).toISOString());
  });

  it.each(['rate(5 minute)', 'rate(0 minutes)', 'cron(0 12 * * ?)', 'cron(0 12 L * ? *)', 'every 5 minutes'])('rejects %s', (expression) => {
    expect(() => parseSchedule(expression)).toThrow();
  });
});
