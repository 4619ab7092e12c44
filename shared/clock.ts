/**
 * The world's time, as the cloud keeps it: what Hopper judges the cloud's things by — how old a
 * backup is, which slot a scheduled run is for. In AWS it is the wall clock. In the embedded
 * runtime (`npm start`, the tests) the cloud simulator's clock runs faster (its time scale) and
 * jumps (`POST /_sim/clock`): the runtime points this clock at it, so that a backup taken "two
 * hours ago" by the simulator's clock is two hours old to Hopper too.
 *
 * Deliberately not the clock of execution (`executionNow()` below).
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
 * The clock of execution: what Hopper's own timing goes by — the store's leases and fencing
 * tickets, operation and event timestamps (and so the events' TTL), back-offs, and in the
 * embedded runtime the state machines' TimeoutSeconds. In AWS it is the wall clock.
 *
 * In the embedded runtime it is the wall clock plus the simulator's jumps, never its time
 * scale: handlers and the hosts' scripts take real time that the scale does not shorten, so a
 * lease counted in scaled time would run out under a step that is merely slow, and fencing
 * would let a superseded step act. A jump, though, is time passing for everyone: three hours
 * jumped are three hours on a lease, and on a running execution's TimeoutSeconds (which the
 * lease outlasts, shared/workflow-limits.ts) — as when three hours pass in AWS. The runtime
 * takes each jump between handlers, never under a running one (local/runtime/execution-clock.ts).
 */
let executionSource: () => number = Date.now;

/** Now, by the clock of execution. */
export function executionNow(): Date {
  return new Date(executionSource());
}

/** Epoch milliseconds by the clock of execution. */
export function executionNowMs(): number {
  return executionSource();
}

/** Where `executionNow()` reads the time from; `undefined` puts the wall clock back. */
export function useExecutionClock(read: (() => number) | undefined): void {
  executionSource = read ?? Date.now;
}

/** What a simulator's clock says (`GET /_sim/clock`). */
export interface SimulatorClockReading {
  /** Simulated now, epoch milliseconds. */
  epochMs: number;
  /** Milliseconds its jumps have added so far. */
  jumpedMs: number;
}

/**
 * A simulator reached over HTTP, followed between looks. `world`: the simulated time at the
 * last look plus the wall time since, scaled, never going backwards. `jumped`: what its jumps
 * had added at the last look. Looked at again every `everyMs`, so a jump shows within that.
 * `stop` ends the looking.
 */
export function followedClock(
  look: () => Promise<SimulatorClockReading>,
  timeScale: number,
  everyMs = 250,
): { world: () => number; jumped: () => number; ready: Promise<void>; stop: () => void } {
  let base = Date.now();
  let wallAtBase = Date.now();
  let jumped = 0;
  const sync = async () => {
    const wall = Date.now();
    const reading = await look();
    base = reading.epochMs;
    jumped = Math.max(jumped, reading.jumpedMs);
    wallAtBase = wall;
  };
  const ready = sync();
  const timer = setInterval(() => void sync().catch(() => undefined), everyMs);
  timer.unref();
  let lastWorld = 0;
  const world = () => (lastWorld = Math.max(lastWorld, base + (Date.now() - wallAtBase) * timeScale));
  return { world, jumped: () => jumped, ready, stop: () => clearInterval(timer) };
}
