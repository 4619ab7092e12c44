/**
 * EC2's token-bucket throttling (design.md, "Numbers from the anchors").
 *
 * Buckets refill in simulated time, like every other rate and delay here: with the cloud
 * running HOPPER_TIME_SCALE times faster, so do the workflows' waits and retries, and a
 * workload sees the request rates AWS allows per (simulated) second.
 */
export interface BucketSpec {
  capacity: number;
  /** Tokens added per simulated second. */
  refill: number;
}

export const DEFAULT_BUCKETS: Record<string, BucketSpec> = {
  'non-mutating': { capacity: 100, refill: 20 },
  mutating: { capacity: 50, refill: 5 },
  RunInstances: { capacity: 5, refill: 2 },
  CreateNatGateway: { capacity: 10, refill: 1 },
  CreateTags: { capacity: 100, refill: 10 },
};

/** The bucket an action draws from. */
export function bucketFor(action: string): string {
  if (action in DEFAULT_BUCKETS) return action;
  return /^(Describe|Get|List)/.test(action) ? 'non-mutating' : 'mutating';
}

export class Throttler {
  private buckets = new Map<string, { tokens: number; at: number }>();
  specs: Record<string, BucketSpec> = { ...DEFAULT_BUCKETS };

  /** `now`: the simulated clock, in milliseconds. */
  constructor(private readonly now: () => number = Date.now) {}

  /** Replaces some bucket specs and refills every bucket. */
  configure(specs: Record<string, Partial<BucketSpec>> = {}): void {
    for (const [k, v] of Object.entries(specs)) {
      const base = this.specs[k] ?? DEFAULT_BUCKETS.mutating;
      this.specs[k] = { capacity: v.capacity ?? base.capacity, refill: v.refill ?? base.refill };
    }
    this.buckets.clear();
  }

  /** Back to design.md's numbers, buckets full. */
  reset(): void {
    this.specs = { ...DEFAULT_BUCKETS };
    this.buckets.clear();
  }

  /** Takes a token for the action; false means throttled. */
  take(action: string): boolean {
    const key = bucketFor(action);
    const spec = this.specs[key] ?? DEFAULT_BUCKETS.mutating;
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: spec.capacity, at: now };
    b.tokens = Math.min(spec.capacity, b.tokens + ((now - b.at) / 1000) * spec.refill);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
