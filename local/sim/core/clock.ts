/**
 * Simulated time.
 *
 * Simulated time runs `timeScale` times faster than the wall clock, starting at the
 * wall-clock time the clock was made, so timestamps look like real ones. Every timer
 * goes through `after`, so `stop()` can cancel them all: a stopped simulator leaves
 * nothing behind in the event loop.
 *
 * Time can also jump ahead (`advance`, `POST /_sim/clock {"advanceSeconds": N}`): the
 * timers that fall inside the jump fire at once, in the order they were due and each at its
 * own simulated moment — a day of instance lifecycles, command timeouts and expiries in one
 * call — and the others are rescheduled for what is left of their wait. Never backwards.
 */
export interface SimTimer {
  cancel(): void;
}

interface Pending {
  /** Simulated epoch ms at which it fires. */
  due: number;
  fn: () => void;
  /** A periodic timer's period (ms): it fires again that long after each tick. */
  periodMs?: number;
  handle?: NodeJS.Timeout;
}

/** The longest delay setTimeout keeps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class SimClock {
  readonly timeScale: number;
  private readonly realStart = Date.now();
  private readonly simStart: number;
  /** Simulated milliseconds added by jumps. */
  private offsetMs = 0;
  private readonly timers = new Set<Pending>();
  private stopped = false;

  constructor(options: { timeScale?: number; startMs?: number } = {}) {
    const scale = options.timeScale ?? Number(process.env.HOPPER_TIME_SCALE ?? 1);
    this.timeScale = Number.isFinite(scale) && scale > 0 ? scale : 1;
    this.simStart = options.startMs ?? this.realStart;
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.simStart + this.offsetMs + (Date.now() - this.realStart) * this.timeScale;
  }

  /**
   * Simulated milliseconds added by jumps so far: what the clock of execution adds to the wall
   * clock (shared/clock.ts `executionNow`) — jumps are time passing for Hopper's leases too.
   */
  jumpedMs(): number {
    return this.offsetMs;
  }

  /** Simulated now as a Date. */
  date(): Date {
    return new Date(this.now());
  }

  /** Simulated now as an ISO 8601 string (the form AWS puts in XML). */
  iso(): string {
    return this.date().toISOString();
  }

  /** Real milliseconds that `simSeconds` of simulated time take. */
  realMs(simSeconds: number): number {
    return Math.max(0, (simSeconds * 1000) / this.timeScale);
  }

  /** Runs `fn` after `simSeconds` of simulated time; cancelled by `stop()`. */
  after(simSeconds: number, fn: () => void): SimTimer {
    if (this.stopped) return { cancel() {} };
    return this.schedule({ due: this.now() + Math.max(0, simSeconds) * 1000, fn });
  }

  private schedule(timer: Pending): SimTimer {
    this.timers.add(timer);
    this.arm(timer);
    return {
      cancel: () => {
        clearTimeout(timer.handle);
        this.timers.delete(timer);
      },
    };
  }

  private arm(timer: Pending): void {
    clearTimeout(timer.handle);
    // setTimeout holds at most 2^31 - 1 ms (24.8 days) and fires at once beyond: a far timer
    // (a certificate's year at a low time scale) waits in steps instead.
    timer.handle = setTimeout(() => this.fire(timer), Math.min(MAX_TIMEOUT_MS, this.realMs((timer.due - this.now()) / 1000)));
    timer.handle.unref?.();
  }

  private fire(timer: Pending): void {
    if (!this.timers.has(timer)) return; // cancelled, or fired by a jump
    if (this.realMs((timer.due - this.now()) / 1000) > 1000) return this.arm(timer); // a step of a far timer
    clearTimeout(timer.handle);
    if (timer.periodMs === undefined) this.timers.delete(timer);
    else {
      timer.due += timer.periodMs;
      this.arm(timer);
    }
    if (!this.stopped) timer.fn();
  }

  /**
   * Jump `simSeconds` ahead. The timers due inside the jump fire in order, each when the
   * clock reads its due time (so what it schedules counts from then, and fires too if that
   * is still inside the jump); the rest wait what is left. Returns the new now.
   */
  advance(simSeconds: number): number {
    if (!Number.isFinite(simSeconds) || simSeconds < 0) throw new RangeError(`the clock only moves forward: advanceSeconds must be a number ≥ 0, got ${simSeconds}`);
    const target = this.now() + simSeconds * 1000;
    for (;;) {
      const due = [...this.timers].filter((t) => t.due <= target).sort((a, b) => a.due - b.due);
      const next = due[0];
      if (!next) break;
      if (next.periodMs !== undefined) {
        // Periodic ticks between two one-shot events see the same world: only the last of
        // them before the next event (or the jump's end) runs, so a year's jump costs what
        // happens in it, not a tick every few seconds.
        const until = due.find((t) => t.periodMs === undefined)?.due ?? target;
        next.due += Math.max(0, Math.floor((until - next.due) / next.periodMs)) * next.periodMs;
      }
      this.offsetMs += Math.max(0, next.due - this.now());
      this.fire(next);
    }
    this.offsetMs += Math.max(0, target - this.now());
    for (const t of this.timers) this.arm(t);
    return this.now();
  }

  /**
   * Runs `fn` every `simSeconds` until cancelled or stopped. In a jump, the ticks between two
   * other events collapse into the last one (see `advance`).
   */
  every(simSeconds: number, fn: () => void): SimTimer {
    if (this.stopped) return { cancel() {} };
    const periodMs = Math.max(1, simSeconds * 1000);
    return this.schedule({ due: this.now() + periodMs, fn, periodMs });
  }

  /** Resolves after `simSeconds` of simulated time (never, once stopped). */
  sleep(simSeconds: number): Promise<void> {
    return new Promise((resolve) => this.after(simSeconds, resolve));
  }

  /** Cancels every pending timer; later `after` calls do nothing. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t.handle);
    this.timers.clear();
  }
}
