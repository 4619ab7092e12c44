/**
 * What each state of a workflow did in one execution, read from Step Functions' execution
 * history (GetExecutionHistory's events, oldest first): how often it was entered, whether it
 * runs, succeeded, failed or waits to retry (with the error), when it started and ended, and
 * a Map's iterations. The console colours the workflow graph with it.
 *
 * Task events do not name their state: each points at the event before it in the same state
 * (`previousEventId`), back to the state's *StateEntered event. A Task whose Resource is a Lambda
 * function's ARN (as Hopper's are) writes LambdaFunctionScheduled … LambdaFunctionFailed in AWS;
 * an integration (`arn:aws:states:::lambda:invoke`) writes TaskScheduled … TaskFailed: both are
 * read alike. A state stopped because its Parallel or Map failed elsewhere (…StateAborted,
 * MapIterationAborted) ends Aborted.
 */

export type StateStatus = 'Running' | 'Retrying' | 'Succeeded' | 'Failed' | 'Aborted';

export interface StateRun {
  status: StateStatus;
  /** Times the state was entered (a polling loop enters its states again and again). */
  entered: number;
  /** Task attempts, retries included. */
  attempts: number;
  startedAt: string;
  endedAt?: string;
  /** The last failure (caught, retried or final). */
  error?: { error: string; cause: string };
  /** A Map state's iterations so far. */
  iterations?: { started: number; succeeded: number; failed: number };
}

export type ExecutionEnd = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** A GetExecutionHistory event with the fields read here (timestamps as Date or epoch ms). */
export interface HistoryEventLike {
  id: number;
  previousEventId?: number;
  timestamp: Date | number | string;
  type: string;
  stateEnteredEventDetails?: { name?: string };
  stateExitedEventDetails?: { name?: string };
  taskFailedEventDetails?: { error?: string; cause?: string };
  taskTimedOutEventDetails?: { error?: string; cause?: string };
  taskStartFailedEventDetails?: { error?: string; cause?: string };
  taskSubmitFailedEventDetails?: { error?: string; cause?: string };
  lambdaFunctionFailedEventDetails?: { error?: string; cause?: string };
  lambdaFunctionTimedOutEventDetails?: { error?: string; cause?: string };
  lambdaFunctionStartFailedEventDetails?: { error?: string; cause?: string };
  lambdaFunctionScheduleFailedEventDetails?: { error?: string; cause?: string };
  mapIterationStartedEventDetails?: { name?: string };
  mapIterationSucceededEventDetails?: { name?: string };
  mapIterationFailedEventDetails?: { name?: string };
  mapIterationAbortedEventDetails?: { name?: string };
}

/** An attempt begins (a Lambda function or an integration scheduled). */
const SCHEDULED = new Set(['TaskScheduled', 'LambdaFunctionScheduled']);
/** An attempt failed, with where its error and cause are. */
const FAILED: Record<string, (e: HistoryEventLike) => { error?: string; cause?: string } | undefined> = {
  TaskFailed: (e) => e.taskFailedEventDetails,
  TaskTimedOut: (e) => e.taskTimedOutEventDetails ?? { error: 'States.Timeout' },
  TaskStartFailed: (e) => e.taskStartFailedEventDetails,
  TaskSubmitFailed: (e) => e.taskSubmitFailedEventDetails,
  LambdaFunctionFailed: (e) => e.lambdaFunctionFailedEventDetails,
  LambdaFunctionTimedOut: (e) => e.lambdaFunctionTimedOutEventDetails ?? { error: 'States.Timeout' },
  LambdaFunctionStartFailed: (e) => e.lambdaFunctionStartFailedEventDetails,
  LambdaFunctionScheduleFailed: (e) => e.lambdaFunctionScheduleFailedEventDetails,
};

interface Tally {
  entered: number;
  exited: number;
  attempts: number;
  startedAt: number;
  endedAt?: number;
  /** The last task outcome: failed (with what) or not. */
  lastFailure?: { error: string; cause: string };
  lastFailed: boolean;
  /** Stopped because its Parallel or Map failed elsewhere. */
  aborted: boolean;
  iterations?: { started: number; succeeded: number; failed: number };
}

const time = (t: Date | number | string): number => (t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t));

/** Each entered state's run, by state name, from the history events of one execution. */
export function stateRuns(events: readonly HistoryEventLike[], end: ExecutionEnd): Record<string, StateRun> {
  const stateOfEvent = new Map<number, string>();
  const tallies = new Map<string, Tally>();
  const tally = (name: string, at: number): Tally => {
    let t = tallies.get(name);
    if (!t) {
      t = { entered: 0, exited: 0, attempts: 0, startedAt: at, lastFailed: false, aborted: false };
      tallies.set(name, t);
    }
    return t;
  };
  for (const e of events) {
    const at = time(e.timestamp);
    const entered = e.type.endsWith('StateEntered') ? e.stateEnteredEventDetails?.name : undefined;
    const exited = e.type.endsWith('StateExited') ? e.stateExitedEventDetails?.name : undefined;
    const iteration = e.mapIterationStartedEventDetails?.name ?? e.mapIterationSucceededEventDetails?.name ?? e.mapIterationFailedEventDetails?.name ?? e.mapIterationAbortedEventDetails?.name;
    const name = entered ?? exited ?? iteration ?? (e.previousEventId !== undefined ? stateOfEvent.get(e.previousEventId) : undefined);
    if (!name) continue;
    stateOfEvent.set(e.id, name);
    const t = tally(name, at);
    if (entered) {
      t.entered++;
      t.lastFailed = false;
      t.aborted = false;
    } else if (exited) {
      t.exited++;
      t.endedAt = at;
    } else if (e.type.endsWith('StateAborted')) {
      // Its Parallel or Map failed elsewhere: it stops here, as if it had exited.
      t.exited = t.entered;
      t.endedAt = at;
      t.aborted = true;
    } else if (SCHEDULED.has(e.type)) {
      t.attempts++;
      t.lastFailed = false;
    } else if (FAILED[e.type]) {
      const details = FAILED[e.type](e);
      t.lastFailed = true;
      t.lastFailure = { error: details?.error ?? 'Error', cause: details?.cause ?? '' };
    } else if (e.type.startsWith('MapIteration')) {
      const it = (t.iterations ??= { started: 0, succeeded: 0, failed: 0 });
      if (e.type === 'MapIterationStarted') it.started++;
      else if (e.type === 'MapIterationSucceeded') it.succeeded++;
      else if (e.type === 'MapIterationFailed' || e.type === 'MapIterationAborted') it.failed++;
    }
  }
  const runs: Record<string, StateRun> = {};
  for (const [name, t] of tallies) {
    runs[name] = {
      status: statusOf(t, end),
      entered: t.entered,
      attempts: t.attempts,
      startedAt: new Date(t.startedAt).toISOString(),
      ...(t.endedAt !== undefined && t.exited >= t.entered ? { endedAt: new Date(t.endedAt).toISOString() } : {}),
      ...(t.lastFailure ? { error: t.lastFailure } : {}),
      ...(t.iterations ? { iterations: t.iterations } : {}),
    };
  }
  return runs;
}

function statusOf(t: Tally, end: ExecutionEnd): StateStatus {
  if (t.aborted) return 'Aborted';
  const open = t.entered > t.exited;
  if (open) {
    if (end === 'RUNNING') return t.lastFailed ? 'Retrying' : 'Running';
    // The execution ended with this state still in it: it failed here, or was stopped.
    return t.lastFailed || end === 'FAILED' || end === 'TIMED_OUT' ? 'Failed' : 'Aborted';
  }
  // Exited after a failure: a Catch took it elsewhere.
  return t.lastFailed ? 'Failed' : 'Succeeded';
}
