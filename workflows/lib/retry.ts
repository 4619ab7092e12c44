/**
 * The retry policies, named once. Every Task gets one of them; nothing else in a workflow
 * definition spells out a `Retry` list. The error names are Hopper's contract, thrown by
 * `functions/lib/step.ts`:
 * - NotYetVisibleError: AWS answered NotFound for an id it just created (EC2's eventual
 *   consistency); asked again about a second later, growing 1.5× to 5 s, 20 times.
 * - TransientAwsError, VersionConflictError, DependencyPendingError and the Lambda service
 *   errors: jittered exponential backoff, 2 s doubling to 60 s, 15 attempts — the remedy
 *   for throttling, and under it many workflows sharing an account do not stall each other.
 * - NotReadyError: a check step's "not yet"; its policy is the poll's (`poll()`).
 */
export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

const LAMBDA_SERVICE_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

const notYetVisible: Retrier = { ErrorEquals: ['NotYetVisibleError'], IntervalSeconds: 1, MaxAttempts: 20, BackoffRate: 1.5, MaxDelaySeconds: 5 };

function transient(errors: string[]): Retrier {
  return { ErrorEquals: errors, IntervalSeconds: 2, MaxAttempts: 15, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' };
}

/** How a check step polls: every `every` seconds (growing by `backoff` up to `maxDelay`), `attempts` times. */
export interface PollPolicy {
  every: number;
  attempts: number;
  backoff?: number;
  maxDelay?: number;
}

/**
 * - `standard`: the two retriers above, DependencyPendingError among the transient errors.
 * - `dependencies` (delete): a resource still in use (DependencyViolation) is waited for
 *   patiently — every 15 s for 10 minutes — as deleting in order makes it go away.
 * - a PollPolicy: standard plus NotReadyError at the poll's pace.
 */
export type RetryPolicy = 'standard' | 'dependencies' | PollPolicy;

export function retriers(policy: RetryPolicy): Retrier[] {
  if (policy === 'standard') {
    return [notYetVisible, transient(['TransientAwsError', 'VersionConflictError', 'DependencyPendingError', ...LAMBDA_SERVICE_ERRORS, 'States.Timeout'])];
  }
  if (policy === 'dependencies') {
    return [
      notYetVisible,
      transient(['TransientAwsError', 'VersionConflictError', ...LAMBDA_SERVICE_ERRORS, 'States.Timeout']),
      { ErrorEquals: ['DependencyPendingError'], IntervalSeconds: 15, MaxAttempts: 40, BackoffRate: 1 },
    ];
  }
  const poll: Retrier = { ErrorEquals: ['NotReadyError'], IntervalSeconds: policy.every, MaxAttempts: policy.attempts, BackoffRate: policy.backoff ?? 1 };
  if (policy.maxDelay !== undefined) poll.MaxDelaySeconds = policy.maxDelay;
  return [...retriers('standard'), poll];
}

/** The longest a poll can wait, in seconds (its deadline), from its policy. */
export function pollDeadlineSeconds(policy: PollPolicy): number {
  let total = 0;
  let interval = policy.every;
  for (let i = 0; i < policy.attempts; i++) {
    total += interval;
    interval = Math.min(interval * (policy.backoff ?? 1), policy.maxDelay ?? Infinity);
  }
  return total;
}
