import { Rng } from './rng';
import { DEFAULT_LATENCIES, type LatencySpec } from '../../../shared/latency-model';

export { DEFAULT_LATENCIES, type LatencySpec };

/**
 * Draws latencies: mostly near the typical value, sometimes towards the ends of the
 * range (a triangular distribution), deterministic for a given seed.
 */
export class LatencyModel {
  private readonly specs: Record<string, LatencySpec>;

  constructor(
    private readonly rng: Rng,
    overrides: Record<string, Partial<LatencySpec>> = {},
  ) {
    this.specs = { ...DEFAULT_LATENCIES };
    for (const [k, v] of Object.entries(overrides)) this.set(k, v);
  }

  /** Overrides one latency (tests use it to make a state change instant or slow). */
  set(key: string, spec: Partial<LatencySpec>): void {
    const base = this.specs[key] ?? { typical: 1, min: 1, max: 1 };
    const typical = spec.typical ?? base.typical;
    this.specs[key] = {
      typical,
      min: spec.min ?? Math.min(base.min, typical),
      max: spec.max ?? Math.max(base.max, typical),
    };
  }

  /** The spec for a key (1 s when unknown). */
  spec(key: string): LatencySpec {
    return this.specs[key] ?? { typical: 1, min: 1, max: 1 };
  }

  /** A sampled latency in simulated seconds. */
  sample(key: string): number {
    const { typical, min, max } = this.spec(key);
    if (max <= min) return typical;
    // Triangular(min, typical, max) by inverse transform.
    const u = this.rng.next();
    const c = (typical - min) / (max - min);
    return u < c
      ? min + Math.sqrt(u * (max - min) * (typical - min))
      : max - Math.sqrt((1 - u) * (max - min) * (max - typical));
  }

  /** All specs, for the inspection routes. */
  all(): Record<string, LatencySpec> {
    return { ...this.specs };
  }
}
