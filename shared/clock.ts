/**
 * The world's time, as the cloud keeps it: what Hopper judges the cloud's things by — how old a
 * backup is, which slot a scheduled run is for. In AWS it is the wall clock. In the embedded
 * runtime (`npm start`, the tests) the cloud simulator's clock runs faster (its time scale) and
 * jumps (`POST /_sim/clock`): the runtime points this clock at it, so that a backup taken "two
 * hours ago" by the simulator's clock is two hours old to Hopper too.
 *
 * Deliberately not the clock of execution (`deps.now()`, the store's leases and fencing
 * tickets, operation timestamps): those bound how long a Lambda may still act, and in the
 * embedded runtime handlers run in real time, uninterruptible — a lease in simulated time would
 * run out under a step that is merely slow, and fencing would let a superseded step act.
 */

let source: () => number = Date.now;

/** Now, by the world's clock. */
export function worldNow(): Date {
  return new Date(source());
}

/** Where `worldNow()` reads the time from (epoch milliseconds); `undefined` puts the wall clock back. */
export function useWorldClock(read: (() => number) | undefined): void {
  source = read ?? Date.now;
}

/**
 * A clock that follows a simulator reached over HTTP (`GET /_sim/clock`) between looks: the
 * simulated time at the last look plus the wall time since, scaled, never going backwards.
 * Looked at again every `everyMs`, so a jump shows within that. `stop` ends the looking.
 */
export function followedClock(look: () => Promise<number>, timeScale: number, everyMs = 250): { read: () => number; ready: Promise<void>; stop: () => void } {
  let base = Date.now();
  let wallAtBase = Date.now();
  const sync = async () => {
    const wall = Date.now();
    base = await look();
    wallAtBase = wall;
  };
  const ready = sync();
  const timer = setInterval(() => void sync().catch(() => undefined), everyMs);
  timer.unref();
  let last = 0;
  const read = () => (last = Math.max(last, base + (Date.now() - wallAtBase) * timeScale));
  return { read, ready, stop: () => clearInterval(timer) };
}
