/**
 * The embedded Step Functions service: runs each state machine's ASL definition,
 * unchanged, with aws-local-stepfunctions, dispatching every Task to the in-process
 * function it names. The HTTP endpoint (stepfunctions.ts) is a thin layer over this.
 *
 * `patches/aws-local-stepfunctions+3.0.0.patch` (applied by npm's postinstall) makes the
 * library stop as AWS does: once a Parallel branch or a Map iteration fails, or the
 * execution is stopped, no new state starts and no waiting retry fires — a Lambda already
 * running finishes (test/runtime/failed-branches.test.ts).
 *
 * The runtime keeps time by the clock of execution (shared/clock.ts): the wall clock plus the
 * simulator's jumps. A state machine's TimeoutSeconds counts on it, so a jump past an
 * execution's timeout times it out as that much time passing in AWS would (the library's own
 * timer counts only wall time).
 */
import './polyfills';
import { randomUUID } from 'node:crypto';
import { executionNowMs } from '../../shared/clock';
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { crashAfterSideEffect } from './faults';
import type { LambdaInvoker } from './lambda';
import { stateMachineArn, LOCAL_ACCOUNT_ID, type StateMachineConfig } from './serverless-config';
import { functionOfResource, LAMBDA_INVOKE, retryIntervalOverrides, taskResources, waitTimeOverrides } from './sfn-definition';
import { HistoryBuilder, type HistoryEvent, type LibraryEvent } from './sfn-history';
import { ExecutionStore, type ExecutionRecord } from './sfn-store';

/** An error with a Step Functions error code (`__type` on the wire). */
export class SfnError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** How often (wall ms) running executions are checked against their TimeoutSeconds. */
const WATCHDOG_MS = 250;

/** Cause written on executions a restart found RUNNING. */
export const INTERRUPTED_CAUSE = 'interrupted by runtime restart';

export interface StepFunctionsOptions {
  region: string;
  stateMachines: Record<string, StateMachineConfig>;
  lambda: LambdaInvoker;
  /** Wait states and retry intervals last seconds × 1000 / timeScale ms. */
  timeScale?: number;
  /** The runtime's clock, epoch ms: the clock of execution unless given. */
  now?: () => number;
  /** Where executions are kept across restarts; in memory only when absent. */
  dataDir?: string;
  /**
   * Called once per execution a previous run left RUNNING, after it is marked ABORTED.
   * start.ts uses it to let Hopper mark the operation Interrupted and release its lock.
   */
  onInterrupted?: (execution: ExecutionRecord) => Promise<void> | void;
  /**
   * Called when an execution closes (SUCCEEDED, FAILED, ABORTED, TIMED_OUT), as AWS emits
   * its "Step Functions Execution Status Change" event.
   */
  onClosed?: (execution: ExecutionRecord) => void;
}

interface Machine {
  config: StateMachineConfig;
  arn: string;
  engine: StateMachine;
  /** Task state name → function name. */
  taskFunctions: Map<string, string | undefined>;
  tasks: Map<string, unknown>;
  waits: Record<string, number>;
  /** The definition's TimeoutSeconds, in ms. */
  timeoutMs?: number;
  createdAt: number;
}

interface Live {
  abort(): void;
  /** When the execution times out, by the runtime's clock. */
  deadline?: number;
  history: HistoryBuilder;
  done: Promise<void>;
}

/** Runs executions and answers the Step Functions API's questions about them. */
export class StepFunctionsRuntime {
  private readonly machines = new Map<string, Machine>();
  private readonly live = new Map<string, Live>();
  /** Histories of executions finished during this process's life (not persisted). */
  private readonly histories = new Map<string, HistoryEvent[]>();
  private readonly store: ExecutionStore;
  private readonly timeScale: number;
  private readonly now: () => number;
  /** Looks for executions past their TimeoutSeconds (a jump may put them there at once). */
  private readonly watchdog: NodeJS.Timeout;
  private closing = false;

  private constructor(private readonly options: StepFunctionsOptions) {
    this.timeScale = options.timeScale ?? 1;
    this.now = options.now ?? executionNowMs;
    this.watchdog = setInterval(() => this.timeOutOverdue(), WATCHDOG_MS);
    this.watchdog.unref();
    this.store = new ExecutionStore(options.dataDir);
    for (const config of Object.values(options.stateMachines)) {
      const definition = config.definition as unknown as StateMachineDefinition;
      const tasks = taskResources(config.definition);
      this.machines.set(stateMachineArn(options.region, config.name), {
        config,
        arn: stateMachineArn(options.region, config.name),
        // Validates the ASL at start: a broken definition fails `npm start`, not the first run.
        engine: new StateMachine(definition, { validationOptions: { checkArn: false } }),
        tasks,
        taskFunctions: new Map([...tasks].map(([state, resource]) => [state, functionOfResource(resource)])),
        waits: waitTimeOverrides(config.definition, this.timeScale),
        ...(typeof config.definition.TimeoutSeconds === 'number' ? { timeoutMs: config.definition.TimeoutSeconds * 1000 } : {}),
        createdAt: Date.now(),
      });
    }
  }

  /** Create the runtime; executions a previous run left RUNNING become ABORTED first. */
  static async create(options: StepFunctionsOptions): Promise<StepFunctionsRuntime> {
    const runtime = new StepFunctionsRuntime(options);
    await runtime.recoverInterrupted();
    return runtime;
  }

  private async recoverInterrupted(): Promise<void> {
    for (const record of this.store.all()) {
      if (record.status !== 'RUNNING') continue;
      const aborted: ExecutionRecord = { ...record, status: 'ABORTED', stopDate: this.now(), error: 'States.Runtime', cause: INTERRUPTED_CAUSE };
      this.store.put(aborted);
      try {
        await this.options.onInterrupted?.(aborted);
      } catch (error) {
        // One failing hook must not keep the runtime from starting.
        console.error(`[stepfunctions] onInterrupted failed for ${record.executionArn}`, error);
      }
    }
  }

  /** Local ARNs of the state machines, by name. */
  stateMachineArns(): Record<string, string> {
    return Object.fromEntries([...this.machines.values()].map((m) => [m.config.name, m.arn]));
  }

  listStateMachines(): { arn: string; name: string; createdAt: number }[] {
    return [...this.machines.values()].map((m) => ({ arn: m.arn, name: m.config.name, createdAt: m.createdAt }));
  }

  describeStateMachine(arn: string): { arn: string; name: string; definition: string; createdAt: number } {
    const machine = this.machine(arn);
    return { arn, name: machine.config.name, definition: JSON.stringify(machine.config.definition), createdAt: machine.createdAt };
  }

  /**
   * StartExecution. As in AWS, the same name with the same input while that execution is
   * RUNNING returns it again; a different input, or a closed execution, is ExecutionAlreadyExists.
   */
  start(stateMachineArnValue: string, name: string | undefined, input: string | undefined): ExecutionRecord {
    const machine = this.machine(stateMachineArnValue);
    const executionName = name ?? randomUUID();
    if (!/^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/.test(executionName)) throw new SfnError('InvalidName', `Invalid execution name: ${executionName}`);
    const inputText = input ?? '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(inputText);
    } catch {
      throw new SfnError('InvalidExecutionInput', 'Invalid execution input: not JSON');
    }
    const executionArn = `arn:aws:states:${this.options.region}:${LOCAL_ACCOUNT_ID}:execution:${machine.config.name}:${executionName}`;
    const existing = this.store.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === inputText) return existing;
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      stateMachineName: machine.config.name,
      name: executionName,
      input: inputText,
      status: 'RUNNING',
      startDate: this.now(),
      transitions: 0,
    };
    this.store.put(record);
    this.run(machine, record, parsed);
    return record;
  }

  private run(machine: Machine, record: ExecutionRecord, input: unknown): void {
    // The errors of each Task state's consecutive failures, for the retry backoff.
    const failures = new Map<string, string[]>();
    const history = new HistoryBuilder((state) => describeResource(machine.tasks.get(state)), this.now);
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [state, fn] of machine.taskFunctions) {
      handlers[state] = async (taskInput) => {
        try {
          const result = await this.invokeTask(machine.tasks.get(state), fn, taskInput);
          failures.delete(state);
          return result;
        } catch (error) {
          const taskError = toTaskError(error);
          failures.set(state, [...(failures.get(state) ?? []), taskError.name]);
          throw taskError;
        }
      };
    }
    const execution = machine.engine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: machine.waits,
        retryIntervalOverrides: retryIntervalOverrides(machine.config.definition, this.timeScale, (s) => failures.get(s) ?? []),
      },
      context: {
        Execution: { Id: record.executionArn, Name: record.name, RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/local` },
        StateMachine: { Id: machine.arn, Name: machine.config.name },
      },
    });
    const consume = (async () => {
      for await (const event of execution.eventLogs) {
        history.add(event as unknown as LibraryEvent);
        record.transitions = history.transitions;
      }
    })();
    const settle = execution.result.then(
      (output) => ({ status: 'SUCCEEDED' as const, output: JSON.stringify(output ?? null) }),
      (error: unknown) => failureOf(error),
    );
    const done = Promise.all([settle, consume.catch(() => undefined)]).then(([outcome]) => {
      this.live.delete(record.executionArn);
      this.histories.set(record.executionArn, history.events);
      // Shutting down: leave the record RUNNING on disk so the next start reports it interrupted.
      if (this.closing) return;
      const current = this.store.get(record.executionArn) ?? record;
      if (current.status !== 'RUNNING') return; // StopExecution already closed it
      const closed = { ...current, ...outcome, transitions: history.transitions, stopDate: this.now() };
      this.store.put(closed);
      this.options.onClosed?.(closed);
    });
    this.live.set(record.executionArn, {
      abort: execution.abort,
      history,
      done,
      ...(machine.timeoutMs === undefined ? {} : { deadline: record.startDate + machine.timeoutMs }),
    });
  }

  /** Time out every running execution whose TimeoutSeconds has passed, as Step Functions does. */
  private timeOutOverdue(): void {
    const now = this.now();
    for (const [arn, live] of this.live) {
      if (live.deadline === undefined || live.deadline > now) continue;
      const record = this.store.get(arn);
      if (!record || record.status !== 'RUNNING') continue;
      this.closeExecution(record, 'TIMED_OUT', 'States.Timeout', 'The execution ran past its TimeoutSeconds');
    }
  }

  /** Close a running execution from outside (StopExecution, a timeout) and stop its states. */
  private closeExecution(record: ExecutionRecord, status: 'ABORTED' | 'TIMED_OUT', error?: string, cause?: string): ExecutionRecord {
    const closed: ExecutionRecord = { ...record, status, stopDate: this.now(), error, cause };
    this.store.put(closed);
    const live = this.live.get(record.executionArn);
    if (live) {
      live.history.timedOut = status === 'TIMED_OUT';
      live.abort();
    }
    this.options.onClosed?.(closed);
    return closed;
  }

  /** Call the Task's function; the optimised `lambda:invoke` integration wraps the result as AWS does. */
  private async invokeTask(resource: unknown, fn: string | undefined, input: unknown): Promise<unknown> {
    if (resource === LAMBDA_INVOKE) {
      const params = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
      const target = functionOfResource(params.FunctionName);
      if (!target) throw new SfnError('States.Runtime', `lambda:invoke without a known FunctionName`);
      const payload = await this.options.lambda.invoke(target, params.Payload ?? {});
      return { ExecutedVersion: '$LATEST', Payload: jsonValue(payload), StatusCode: 200 };
    }
    if (!fn) throw new SfnError('States.Runtime', `Task resource ${JSON.stringify(resource)} is not a Lambda function`);
    const output = jsonValue(await this.options.lambda.invoke(fn, input));
    crashAfterSideEffect(fn, input);
    return output;
  }

  describe(executionArn: string): ExecutionRecord {
    const record = this.store.get(executionArn);
    if (!record) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    const live = this.live.get(executionArn);
    return live ? { ...record, transitions: live.history.transitions } : record;
  }

  /** State transitions of an execution so far, for benchmarks. */
  transitions(executionArn: string): number {
    return this.describe(executionArn).transitions;
  }

  /** StopExecution: abort a running execution; a closed one is left as it is. */
  stop(executionArn: string, error?: string, cause?: string): ExecutionRecord {
    const record = this.describe(executionArn);
    if (record.status !== 'RUNNING') return record;
    return this.closeExecution(record, 'ABORTED', error, cause);
  }

  list(stateMachineArnValue: string, statusFilter?: string): ExecutionRecord[] {
    this.machine(stateMachineArnValue);
    return this.store
      .all()
      .filter((r) => r.stateMachineArn === stateMachineArnValue && (!statusFilter || r.status === statusFilter))
      .map((r) => this.describe(r.executionArn))
      .sort((a, b) => b.startDate - a.startDate);
  }

  /** History events; executions from before a restart have none (histories are not persisted). */
  history(executionArn: string): HistoryEvent[] {
    this.describe(executionArn);
    return this.live.get(executionArn)?.history.events ?? this.histories.get(executionArn) ?? [];
  }

  /** Wait until an execution is no longer RUNNING (tests and benchmarks). */
  async waitFor(executionArn: string): Promise<ExecutionRecord> {
    await this.live.get(executionArn)?.done;
    return this.describe(executionArn);
  }

  /** Abort every running execution without recording it, so a restart sees them interrupted. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    const running = [...this.live.values()];
    for (const live of running) live.abort();
    await Promise.all(running.map((live) => live.done));
  }

  private machine(arn: string): Machine {
    const machine = this.machines.get(arn);
    if (!machine) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }
}

/**
 * A handler's error as Lambda reports it to Step Functions: the error name is the
 * `errorType` (what Retry/Catch `ErrorEquals` match), and the library copies the message
 * into the Catch output's `Cause`, so the message IS the Lambda error payload JSON.
 */
export function toTaskError(error: unknown): Error {
  if (error instanceof SfnError) return error;
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  const trace = error instanceof Error && error.stack ? error.stack.split('\n') : [];
  const taskError = new Error(JSON.stringify({ errorType, errorMessage, trace }));
  taskError.name = errorType;
  return taskError;
}

function failureOf(error: unknown): Pick<ExecutionRecord, 'status' | 'error' | 'cause'> {
  if (error instanceof ExecutionError) {
    const cause = error.cause as Error & { cause?: unknown };
    const text = cause.cause === undefined ? cause.message : typeof cause.cause === 'string' ? cause.cause : JSON.stringify(cause.cause);
    return { status: 'FAILED', error: cause.name, cause: text };
  }
  if (error instanceof Error && error.name === 'ExecutionTimeoutError') return { status: 'TIMED_OUT', error: 'States.Timeout' };
  if (error instanceof Error && error.name === 'ExecutionAbortedError') return { status: 'ABORTED' };
  return { status: 'FAILED', error: 'States.Runtime', cause: error instanceof Error ? error.message : String(error) };
}

/** What Lambda would return: JSON, with undefined as null. */
function jsonValue(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

function describeResource(resource: unknown): string {
  return typeof resource === 'string' ? resource : JSON.stringify(resource ?? null);
}
