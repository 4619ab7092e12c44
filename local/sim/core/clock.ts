/**
 * Simulated time.
 *
 * Simulated time runs `timeScale` times faster than the wall clock, starting at the
 * wall-clock time the clock was made, so timestamps look like real ones. Every timer
 * goes through `after`, so `stop()` can cancel them all: a stopped simulator leaves
 * nothing behind in the event loop.
 */
export interface SimTimer {
  cancel(): void;
}

export class SimClock {
  readonly timeScale: number;
  private readonly realStart = Date.now();
  private readonly simStart: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(options: { timeScale?: number; startMs?: number } = {}) {
    const scale = options.timeScale ?? Number(process.env.HOPPER_TIME_SCALE ?? 1);
    this.timeScale = Number.isFinite(scale) && scale > 0 ? scale : 1;
    this.simStart = options.startMs ?? this.realStart;
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.simStart + (Date.now() - this.realStart) * this.timeScale;
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
    const handle = setTimeout(() => {
      this.timers.delete(handle);
      if (!this.stopped) fn();
    }, this.realMs(simSeconds));
    handle.unref?.();
    this.timers.add(handle);
    return {
      cancel: () => {
        clearTimeout(handle);
        this.timers.delete(handle);
      },
    };
  }

  /** Runs `fn` every `simSeconds` until cancelled or stopped. */
  every(simSeconds: number, fn: () => void): SimTimer {
    let current: SimTimer;
    const tick = () => {
      current = this.after(simSeconds, () => {
        fn();
        tick();
      });
    };
    tick();
    return { cancel: () => current.cancel() };
  }

  /** Resolves after `simSeconds` of simulated time (never, once stopped). */
  sleep(simSeconds: number): Promise<void> {
    return new Promise((resolve) => this.after(simSeconds, resolve));
  }

  /** Cancels every pending timer; later `after` calls do nothing. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
