/**
 * Maintenance windows and upgrade targets for scheduled upgrades. Pure functions of the
 * spec's `upgradePolicy` and a time, so the edge cases (a window over midnight, the last
 * day of a week) are unit tests.
 */
import { compareVersions, latestPatch, minorOf, nextMinorVersion } from '../../shared/spec/versions';
import type { ClusterSpec, WEEKDAYS } from '../../shared/spec';

type Window = ClusterSpec['upgradePolicy']['window'];

/** `Date.getUTCDay()` (0 = Sunday) → the spec's weekday names. */
const UTC_DAY: readonly (typeof WEEKDAYS)[number][] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/**
 * The start of the window `now` falls in, or undefined outside every window. A window opens
 * on each listed day at `start` (UTC) and lasts `durationMinutes`, so one opened late on a
 * listed day may run past midnight into a day not listed.
 */
export function currentWindowStart(window: Window, now: Date): Date | undefined {
  const [hours, minutes] = window.start.split(':').map(Number);
  // The window could have opened today or (running over midnight) yesterday.
  for (const daysBack of [0, 1]) {
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysBack, hours, minutes));
    if (!window.days.includes(UTC_DAY[start.getUTCDay()])) continue;
    const end = start.getTime() + window.durationMinutes * 60_000;
    if (now.getTime() >= start.getTime() && now.getTime() < end) return start;
  }
  return undefined;
}

/**
 * The version a scheduled upgrade moves `current` to: channel `patch`, the supported patch
 * of the same minor when newer; channel `minor`, the supported patch of the next minor
 * (one minor at a time, as kubeadm requires) — or, when no next minor is supported yet, a
 * newer patch of the same minor. Undefined when nothing newer is allowed.
 */
export function upgradeTarget(current: string, channel: 'patch' | 'minor'): string | undefined {
  const newer = (v: string | undefined) => (v !== undefined && compareVersions(v, current) > 0 ? v : undefined);
  const patch = newer(latestPatch(minorOf(current)));
  if (channel === 'patch') return patch;
  return newer(nextMinorVersion(current)) ?? patch;
}
