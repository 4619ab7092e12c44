/**
 * One workflow run, measured: start it over the API, wait for it, and collect its simulated
 * time, state transitions, Lambda invocations and AWS API calls.
 */
import type { AcceptedView, OperationView } from '../../shared/api/types';
import {
  diffCalls,
  diffInvocations,
  errorCount,
  simCalls,
  totalCalls,
  waitForOperation,
  type BenchControlPlane,
  type CallCounters,
} from './control-plane';

export interface OperationRun {
  label: string;
  cluster: string;
  operationId?: string;
  /** Succeeded, Failed, Hung, Rejected (the API refused to start it). */
  outcome: 'Succeeded' | 'Failed' | 'Hung' | 'Rejected';
  error?: string;
  failedStep?: string;
  /** Wall ms of the execution (Step Functions start → stop), else of the polling. */
  wallMs: number;
  /** wallMs × time scale, in seconds. */
  simSeconds: number;
  /** State transitions of the workflow's execution (as AWS bills them). */
  transitions?: number;
  /** Transitions of executions it started (the image bake). */
  childTransitions: number;
  /** Lambda invocations by the workflows (the API's own functions excluded). */
  lambdaInvocations: number;
  invocationsByFunction: Record<string, number>;
  awsCalls: number;
  callsByAction: CallCounters;
  requestLimitExceeded: number;
  /** Failed task attempts in the workflow's execution, polls (NotReadyError) excluded. */
  taskRetries: number;
  steps?: OperationView['steps'];
  /** Each operation step's duration (its recorded start → end, wall × time scale), simulated s. */
  stepSimSeconds: Record<string, number>;
}

/** Start an operation with `start` (an API call answering 202 {operation}) and measure it to its end. */
export async function runOperation(
  cp: BenchControlPlane,
  label: string,
  cluster: string,
  start: () => Promise<{ status: number; body: unknown }>,
  options: { deadlineMs: number; stallMs?: number; pollMs?: number },
): Promise<OperationRun> {
  const callsBefore = await simCalls(cp);
  const invBefore = new Map(cp.invocations);
  const executionsBefore = new Set(allExecutions(cp).map((e) => e.executionArn));
  const t0 = Date.now();
  const res = await start();
  const base = { label, cluster, childTransitions: 0, lambdaInvocations: 0, invocationsByFunction: {}, awsCalls: 0, callsByAction: {}, requestLimitExceeded: 0, taskRetries: 0, stepSimSeconds: {} };
  if (res.status !== 202) {
    return { ...base, outcome: 'Rejected', error: `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`, wallMs: Date.now() - t0, simSeconds: 0 };
  }
  const accepted = res.body as AcceptedView;
  const id = accepted.operation.id;
  const waited = await waitForOperation(cp, id, { pollMs: 250, ...options });
  const op = waited.operation;
  const callsAfter = await simCalls(cp);
  const calls = diffCalls(callsBefore, callsAfter);
  const invocations = diffInvocations(invBefore, cp.invocations);
  const workflowInvocations = Object.fromEntries(Object.entries(invocations).filter(([name]) => !name.startsWith('api')));
  let wallMs = waited.wallMs;
  let transitions: number | undefined;
  const arn = op?.executionArn ?? accepted.operation.executionArn;
  if (arn) {
    try {
      const record = cp.embedded.stepFunctions.describe(arn);
      transitions = record.transitions;
      if (record.stopDate && waited.kind === 'done') wallMs = record.stopDate - record.startDate;
    } catch {
      // not known to the runtime
    }
  }
  const children = allExecutions(cp).filter((e) => !executionsBefore.has(e.executionArn) && e.executionArn !== arn && e.startDate >= t0);
  const outcome: OperationRun['outcome'] = waited.kind === 'hung' ? 'Hung' : op?.status === 'Succeeded' ? 'Succeeded' : 'Failed';
  return {
    ...base,
    operationId: id,
    outcome,
    error: waited.kind === 'hung' ? waited.reason : op?.error ? `${op.error.code}: ${op.error.message}`.slice(0, 400) : undefined,
    failedStep: op?.error?.step,
    wallMs,
    simSeconds: (wallMs * cp.timeScale) / 1000,
    transitions,
    childTransitions: children.filter((c) => c.stateMachineName.includes('bake')).reduce((n, c) => n + c.transitions, 0),
    lambdaInvocations: Object.values(workflowInvocations).reduce((n, v) => n + v, 0),
    invocationsByFunction: workflowInvocations,
    awsCalls: totalCalls(calls),
    callsByAction: calls,
    requestLimitExceeded: errorCount(calls, 'RequestLimitExceeded'),
    taskRetries: arn ? taskRetries(cp, arn) : 0,
    steps: op?.steps,
    stepSimSeconds: Object.fromEntries(
      (op?.steps ?? [])
        .filter((st) => st.startedAt && st.endedAt)
        .map((st) => [st.name, Math.round(((Date.parse(st.endedAt!) - Date.parse(st.startedAt!)) * cp.timeScale) / 1000)]),
    ),
  };
}

/** Every execution of every state machine the runtime knows. */
export function allExecutions(cp: BenchControlPlane) {
  const sfn = cp.embedded.stepFunctions;
  return Object.values(sfn.stateMachineArns()).flatMap((arn) => sfn.list(arn));
}

/** The state machine whose name contains `fragment` (e.g. `delete-cluster`), if wired. */
export function stateMachineNamed(cp: BenchControlPlane, fragment: string): string | undefined {
  return Object.values(cp.embedded.config.stateMachines).find((m) => m.name.includes(fragment))?.name;
}

/** `ec2 12 (RunInstances 3, …)` per service. */
export function callsByService(calls: CallCounters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, c] of Object.entries(calls)) {
    const service = key.split(':')[0];
    out[service] = (out[service] ?? 0) + c.calls;
  }
  return out;
}

/**
 * Task attempts that failed with an error other than `NotReadyError` (which is how the
 * workflows poll: a Retry on NotReadyError), from an execution's history: each was retried
 * by the state's `Retry` or ended in its `Catch`.
 */
export function taskRetries(cp: BenchControlPlane, executionArn: string): number {
  try {
    return cp.embedded.stepFunctions
      .history(executionArn)
      .filter((e) => e.type === 'TaskFailed' && (e.taskFailedEventDetails as { error?: string } | undefined)?.error !== 'NotReadyError').length;
  } catch {
    return 0;
  }
}
