/**
 * How the workflows wait out AWS: a NotFound for an id EC2 just handed out (eventual
 * consistency) is retried about a second apart, not under the throttling backoff, which cost
 * a create tens of seconds at every network step; throttling keeps its jittered backoff.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../functions/lib/step';
import { NotYetVisibleError, TransientAwsError } from '../../shared/errors';

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}

const DIR = join(__dirname, '../../statemachines');

/** Every Task's Retry list in every state machine, with the state's name. */
function taskRetries(): { file: string; state: string; retry: Retrier[] }[] {
  const out: { file: string; state: string; retry: Retrier[] }[] = [];
  const walk = (file: string, states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') out.push({ file, state: name, retry: (state.Retry as Retrier[] | undefined) ?? [] });
      const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
      if (processor) walk(file, processor.States);
      for (const branch of (state.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []) walk(file, branch.States);
    }
  };
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.asl.json'))) {
    walk(file, (JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { States: Record<string, Record<string, unknown>> }).States);
  }
  return out;
}

/** Seconds a retrier waits in all before giving up (no jitter). */
function budget(r: Retrier): number {
  let total = 0;
  for (let attempt = 0; attempt < (r.MaxAttempts ?? 3); attempt++) {
    total += Math.min((r.IntervalSeconds ?? 1) * Math.pow(r.BackoffRate ?? 2, attempt), r.MaxDelaySeconds ?? Infinity);
  }
  return total;
}

describe('retry policy', () => {
  it('classifies a NotFound as not yet visible and throttling as transient', () => {
    const notFound = Object.assign(new Error("The vpc ID 'vpc-1' does not exist"), { name: 'InvalidVpcID.NotFound' });
    const throttled = Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' });
    expect(classify(notFound, 'EnsureVpc')).toBeInstanceOf(NotYetVisibleError);
    expect(classify(throttled, 'EnsureVpc')).toBeInstanceOf(TransientAwsError);
  });

  it('retries NotYetVisibleError first, about a second apart, for over a minute, in every task that retries AWS errors', () => {
    const tasks = taskRetries().filter((t) => t.retry.some((r) => r.ErrorEquals.includes('TransientAwsError')));
    expect(tasks.length).toBeGreaterThan(50);
    const wrong = tasks.filter((t) => {
      const first = t.retry[0];
      return !first.ErrorEquals.includes('NotYetVisibleError') || (first.IntervalSeconds ?? 1) > 1 || (first.MaxDelaySeconds ?? Infinity) > 5 || budget(first) < 60;
    });
    expect(wrong.map((t) => `${t.file}#${t.state}`)).toEqual([]);
  });

  it('keeps the jittered, capped exponential backoff for throttling', () => {
    for (const t of taskRetries()) {
      const transient = t.retry.find((r) => r.ErrorEquals.includes('TransientAwsError'));
      if (!transient) continue;
      expect(transient, `${t.file}#${t.state}`).toMatchObject({ JitterStrategy: 'FULL', BackoffRate: 2, MaxDelaySeconds: 60 });
    }
  });
});
