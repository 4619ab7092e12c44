import { SimError } from './errors';
import type { Rng } from './rng';
import { Throttler, type BucketSpec } from './throttle';

/** An error injected at a rate into every call of an action. */
export interface ErrorRateFault {
  /** `ec2`, `autoscaling`, `elbv2`, `ssm`; any service when absent. */
  service?: string;
  action: string;
  code: string;
  rate: number;
  message?: string;
  status?: number;
}

/** An error injected into the next `count` calls of an action. */
export interface FailNextFault {
  service?: string;
  action: string;
  code: string;
  count: number;
  message?: string;
  status?: number;
}

/**
 * A slow action: every call of it waits `seconds` of simulated time BEFORE it takes effect
 * (a request AWS is slow to process), so a caller can still be in the middle of it while
 * the rest of the world moves on. `count` limits it to the next N calls.
 */
export interface SlowCallFault {
  service?: string;
  action: string;
  seconds: number;
  count?: number;
}

/**
 * Everything injectable, as the JSON body of `POST /_sim/faults` sets it.
 * `hosts` is the hosts engineer's space (kubeadm failures…): the simulator stores
 * whatever is posted there and never reads it.
 */
export interface FaultState {
  throttling: boolean;
  buckets?: Record<string, Partial<BucketSpec>>;
  eventualConsistency: { enabled: boolean; windowSeconds: number };
  errorRates: ErrorRateFault[];
  failNext: FailNextFault[];
  slowCalls: SlowCallFault[];
  zonesOutOfCapacity: string[];
  /**
   * Zones that are impaired (`POST /_sim/zones/<zone>/impairment`): their instances stop
   * answering and fail their reachability checks, and launches there fail for capacity.
   */
  impairedZones: string[];
  hosts: Record<string, unknown>;
}

export function defaultFaults(): FaultState {
  return {
    throttling: false,
    eventualConsistency: { enabled: true, windowSeconds: 1 },
    errorRates: [],
    failNext: [],
    slowCalls: [],
    zonesOutOfCapacity: [],
    impairedZones: [],
    hosts: {},
  };
}

/** Holds the fault settings and decides, per call, whether to fail it. */
export class Faults {
  state: FaultState = defaultFaults();
  readonly throttler: Throttler;

  /** `now`: the simulated clock (ms), which the throttling buckets refill by. */
  constructor(
    private readonly rng: Rng,
    now: () => number = Date.now,
  ) {
    this.throttler = new Throttler(now);
  }

  /** Throws the error a call should fail with, if any (throttling first, as AWS does). */
  check(service: string, action: string): void {
    const matches = (f: { service?: string; action: string }) =>
      (!f.service || f.service === service) && (f.action === action || f.action === '*');
    if (this.state.throttling && service === 'ec2' && !this.throttler.take(action)) {
      throw new SimError('RequestLimitExceeded', 'Request limit exceeded.', 503);
    }
    const next = this.state.failNext.find((f) => matches(f) && f.count > 0);
    if (next) {
      next.count -= 1;
      this.state.failNext = this.state.failNext.filter((f) => f.count > 0);
      throw new SimError(next.code, next.message ?? `Injected fault: ${next.code}`, next.status ?? statusFor(next.code));
    }
    for (const f of this.state.errorRates) {
      if (matches(f) && this.rng.next() < f.rate) {
        throw new SimError(f.code, f.message ?? `Injected fault: ${f.code}`, f.status ?? statusFor(f.code));
      }
    }
  }

  /** Simulated seconds a call of this action waits before it takes effect (0: none). */
  delay(service: string, action: string): number {
    const slow = this.state.slowCalls.find((f) => (!f.service || f.service === service) && f.action === action && (f.count === undefined || f.count > 0));
    if (!slow) return 0;
    if (slow.count !== undefined) {
      slow.count -= 1;
      this.state.slowCalls = this.state.slowCalls.filter((f) => f.count === undefined || f.count > 0);
    }
    return slow.seconds;
  }

  /**
   * Applies a `POST /_sim/faults` body. Lists are replaced when given; `failNext`
   * entries are appended (so two posts queue up failures); `crash` is handled by
   * the caller because it acts on resources.
   */
  apply(body: Partial<FaultState> & { addFailNext?: FailNextFault[] }): void {
    const s = this.state;
    if (body.throttling !== undefined) s.throttling = !!body.throttling;
    if (body.buckets) {
      s.buckets = { ...s.buckets, ...body.buckets };
      this.throttler.configure(body.buckets);
    } else if (body.throttling !== undefined) {
      this.throttler.configure({});
    }
    if (body.eventualConsistency) s.eventualConsistency = { ...s.eventualConsistency, ...body.eventualConsistency };
    if (body.errorRates) s.errorRates = body.errorRates;
    if (body.failNext) s.failNext = [...s.failNext, ...body.failNext];
    if (body.slowCalls) s.slowCalls = body.slowCalls;
    if (body.zonesOutOfCapacity) s.zonesOutOfCapacity = body.zonesOutOfCapacity;
    if (body.hosts) s.hosts = { ...s.hosts, ...body.hosts };
  }

  reset(): void {
    this.state = defaultFaults();
    this.throttler.reset();
  }
}

function statusFor(code: string): number {
  if (code === 'RequestLimitExceeded' || code === 'Throttling' || code === 'ServiceUnavailable') return 503;
  if (code === 'InternalError' || code === 'InternalFailure') return 500;
  return 400;
}
