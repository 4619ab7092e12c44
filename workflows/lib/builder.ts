/**
 * A small typed builder for Amazon States Language, made for Hopper's workflows.
 *
 * A workflow is a list of states in order; each state goes on to the one after it unless
 * it says otherwise (`next`, `end`, a Choice's rules, Succeed, Fail), and the last one ends.
 * A Task names the step it runs (the object `defineStep` returns), so its `params` are
 * checked against the step's zod input by the compiler, its Resource is the step's function,
 * and its state name defaults to the step's name. Every Task passes `cluster` and
 * `operationId` on; every Task gets a named retry policy (`./retry.ts`); every Task, Map and
 * Parallel of the main path is caught to the workflow's one failure path.
 *
 * The output is plain JSONPath ASL: `npm run generate` writes it to `statemachines/`,
 * which is what AWS (through serverless-step-functions) and the embedded runtime run.
 */
import type * as z from 'zod';
import { retriers, type PollPolicy, type RetryPolicy } from './retry';

/** What a Task needs of a step: `defineStep`'s result. */
export interface StepRef<S extends z.ZodType = z.ZodType> {
  name: string;
  input: S;
  /** The resource kinds the step may create (see `defineStep`). */
  creates?: readonly string[];
  /** Whether the step acts on the cloud (more than reads): fenced by the cluster's lock (see `defineStep`). */
  fenced?: boolean;
}

/** A value read from the state's input at run time (`key.$` in ASL): a JSONPath or an intrinsic function. */
export class Ref {
  constructor(readonly path: string) {}
}
export const ref = (path: string): Ref => new Ref(path);

type Envelope = 'cluster' | 'operationId';
type Given<S extends z.ZodType> = Omit<z.input<S>, Envelope>;
/** A Task's parameters: the step's input fields (beside the envelope), each a literal of its type or a Ref. */
export type Params<S extends z.ZodType> = { [K in keyof Given<S>]: Given<S>[K] | Ref };

type AslState = Record<string, unknown>;
type Values = Record<string, unknown>;

/** What a state knows while it is rendered: where the main path's errors go (none inside Map and Parallel). */
interface RenderContext {
  catchTo?: string;
}

/** Where a Task sits, for the views derived from the definitions. */
export interface TaskInfo {
  state: string;
  step: StepRef;
  /** The Parameters as rendered (envelope included). */
  parameters: Values;
  resultPath: string | null | undefined;
  comment?: string;
  /** Set when the Task is a poll: retried on NotReadyError at this pace. */
  poll?: PollPolicy;
  /** The Wait before a poll, in seconds. */
  waitSeconds?: number;
  /** The Map or Parallel states it sits in, outermost first. */
  within: string[];
  /** On the failure path (runs after a step failed). */
  onFailurePath: boolean;
}

export interface Node {
  readonly name: string;
  readonly next?: string;
  readonly end?: boolean;
  /** Choice, Succeed and Fail say themselves where they go. */
  readonly terminal?: boolean;
  render(ctx: RenderContext): AslState;
  tasks(within: string[], onFailurePath: boolean): TaskInfo[];
}

export type Flow = Array<Node | Node[]>;

const ENVELOPE: Values = { 'cluster.$': '$.cluster', 'operationId.$': '$.operationId' };

/** `{a: 1, b: ref('$.x')}` → `{a: 1, "b.$": "$.x"}`. */
function renderValues(values: Values | undefined): Values {
  const out: Values = {};
  for (const [key, value] of Object.entries(values ?? {})) {
    if (value === undefined) continue;
    if (value instanceof Ref) out[`${key}.$`] = value.path;
    else out[key] = value;
  }
  return out;
}

/** The step's function: its name with a small first letter (`EnsureVpc` → `ensureVpc`). */
export function functionName(step: StepRef): string {
  return step.name[0].toLowerCase() + step.name.slice(1);
}

/** The step's file name: its name in kebab case (`EnsureVpc` → `ensure-vpc.ts`). */
export function stepFileName(step: StepRef): string {
  return `${step.name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}.ts`;
}

interface CommonOptions {
  /** The state's name, when it is not the step's (a step used more than once). */
  name?: string;
  comment?: string;
  next?: string;
  end?: boolean;
}

/** `params` may be left out only when the step needs none. */
type ParamsOption<S extends z.ZodType> = Partial<Params<S>> extends Params<S> ? { params?: Params<S> } : { params: Params<S> };

type TaskBase<S extends z.ZodType> = CommonOptions &
  ParamsOption<S> & {
    /** ResultPath; left out, the result replaces the state's input (as ASL does). */
    result?: string | null;
    resultSelector?: Values;
    /**
     * A catch of its own: for `errors` only (the rest still go to the workflow's failure path,
     * so fencing's SupersededError is never caught as a step's own failure), or, without
     * `errors`, for everything instead of the failure path (on the failure path itself).
     */
    catch?: { next: string; resultPath: string; errors?: string[] };
  };

export type TaskOptions<S extends z.ZodType> = TaskBase<S> & { retry?: RetryPolicy };

function catchBlock(ctx: RenderContext, own?: { next: string; resultPath: string; errors?: string[] }): AslState {
  const failurePath = ctx.catchTo ? [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: ctx.catchTo }] : [];
  if (own && !own.errors) return { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: own.resultPath, Next: own.next }] };
  if (own) return { Catch: [{ ErrorEquals: own.errors, ResultPath: own.resultPath, Next: own.next }, ...failurePath] };
  return failurePath.length ? { Catch: failurePath } : {};
}

function taskNode<S extends z.ZodType>(step: StepRef<S>, options: TaskOptions<S>, extra: { poll?: PollPolicy; waitSeconds?: number } = {}): Node {
  const name = options.name ?? step.name;
  const parameters = { ...ENVELOPE, ...renderValues((options as { params?: Values }).params) };
  const policy: RetryPolicy = extra.poll ?? options.retry ?? 'standard';
  return {
    name,
    next: options.next,
    end: options.end,
    render: (ctx) => ({
      Type: 'Task',
      ...(options.comment ? { Comment: options.comment } : {}),
      Resource: { 'Fn::GetAtt': [functionName(step), 'Arn'] },
      Parameters: parameters,
      ...(options.resultSelector ? { ResultSelector: renderValues(options.resultSelector) } : {}),
      ...(options.result !== undefined ? { ResultPath: options.result } : {}),
      Retry: retriers(policy),
      ...catchBlock(ctx, options.catch),
    }),
    tasks: (within, onFailurePath) => [
      { state: name, step, parameters, resultPath: options.result, comment: options.comment, within, onFailurePath, ...extra },
    ],
  };
}

/** A Task that runs `step`. */
export function task<S extends z.ZodType>(step: StepRef<S>, options: TaskOptions<S>): Node {
  return taskNode(step, options);
}

export type PollOptions<S extends z.ZodType> = TaskBase<S> & {
  /** Seconds between checks (the first after `every`, or after `wait`). */
  every: number;
  /** Seconds after which the poll gives up (constant pace: `deadline / every` checks)… */
  deadline?: number;
  /** …or the number of checks, for a pace that grows by `backoff` up to `maxDelay`. */
  attempts?: number;
  backoff?: number;
  maxDelay?: number;
  /** A Wait of this many seconds first (the thing's typical latency), so the first check is likely the last. */
  wait?: number;
  /** The Wait's name; `WaitFor<name without Check>` when not given. */
  waitName?: string;
  /** Why the Wait and the pace are what they are (the Wait's Comment). */
  waitComment?: string;
};

/**
 * A check step retried while it throws NotReadyError: the ASL way of waiting (no step
 * sleeps). With `wait`, a Wait state of the typical latency comes first.
 */
export function poll<S extends z.ZodType>(step: StepRef<S>, options: PollOptions<S>): Node[] {
  const name = options.name ?? step.name;
  if ((options.deadline === undefined) === (options.attempts === undefined)) throw new Error(`${name}: a poll takes a deadline or a number of attempts`);
  const attempts = options.attempts ?? options.deadline! / options.every;
  if (!Number.isInteger(attempts)) throw new Error(`${name}: deadline ${options.deadline} s is not a whole number of ${options.every} s checks`);
  const policy: PollPolicy = { every: options.every, attempts, backoff: options.backoff, maxDelay: options.maxDelay };
  const check = taskNode(step, options as TaskOptions<S>, { poll: policy, waitSeconds: options.wait });
  if (options.wait === undefined) return [check];
  return [wait(options.waitName ?? `WaitFor${name.replace(/^Check/, '')}`, options.wait, { next: name, comment: options.waitComment }), check];
}

export function wait(name: string, seconds: number, options: { next?: string; comment?: string } = {}): Node {
  return {
    name,
    next: options.next,
    render: () => ({ Type: 'Wait', ...(options.comment ? { Comment: options.comment } : {}), Seconds: seconds }),
    tasks: () => [],
  };
}

export function pass(name: string, options: CommonOptions & { result?: unknown; params?: Values; resultPath?: string | null } = {}): Node {
  return {
    name,
    next: options.next,
    end: options.end,
    render: () => ({
      Type: 'Pass',
      ...(options.comment ? { Comment: options.comment } : {}),
      ...(options.result !== undefined ? { Result: options.result } : {}),
      ...(options.params ? { Parameters: renderValues(options.params) } : {}),
      ...(options.resultPath !== undefined ? { ResultPath: options.resultPath } : {}),
    }),
    tasks: () => [],
  };
}

/** An ASL Choice rule (Variable + comparison, or And/Or/Not), with its Next. */
export type ChoiceRule = Record<string, unknown> & { Next: string };

export function choice(name: string, rules: ChoiceRule[], otherwise: string, options: { comment?: string } = {}): Node {
  return {
    name,
    terminal: true,
    render: () => ({ Type: 'Choice', ...(options.comment ? { Comment: options.comment } : {}), Choices: rules, Default: otherwise }),
    tasks: () => [],
  };
}

export function succeed(name: string): Node {
  return { name, terminal: true, render: () => ({ Type: 'Succeed' }), tasks: () => [] };
}

export function fail(name: string, options: ({ error: string; cause: string } | { errorPath: string; causePath: string }) & { comment?: string }): Node {
  const fields = 'error' in options ? { Error: options.error, Cause: options.cause } : { ErrorPath: options.errorPath, CausePath: options.causePath };
  const comment = options.comment ? { Comment: options.comment } : {};
  return { name, terminal: true, render: () => ({ Type: 'Fail', ...comment, ...fields }), tasks: () => [] };
}

/**
 * A Map or a Parallel: its own fields between the Comment and the ResultPath, then the Catch
 * (its inner flows catch nothing: the container does), and the Tasks of its inner flows.
 */
function container(
  type: 'Map' | 'Parallel',
  name: string,
  options: CommonOptions & { result?: string | null },
  fields: () => AslState,
  flows: Flow[],
): Node {
  return {
    name,
    next: options.next,
    end: options.end,
    render: (ctx) => ({
      Type: type,
      ...(options.comment ? { Comment: options.comment } : {}),
      ...fields(),
      ...(options.result !== undefined ? { ResultPath: options.result } : {}),
      ...catchBlock(ctx),
    }),
    tasks: (within, onFailurePath) => flows.flatMap((flow) => flowTasks(flow, [...within, name], onFailurePath)),
  };
}

/** A Map over `items`, each iteration running `states` with `selector` (plus the envelope) as input. */
export function map(
  name: string,
  options: CommonOptions & { items: string; selector: Values; maxConcurrency?: number; result?: string | null; states: Flow },
): Node {
  const fields = () => ({
    ItemsPath: options.items,
    ...(options.maxConcurrency !== undefined ? { MaxConcurrency: options.maxConcurrency } : {}),
    ItemSelector: { ...ENVELOPE, ...renderValues(options.selector) },
    ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...renderFlow(options.states, {}) },
  });
  return container('Map', name, options, fields, [options.states]);
}

/** Branches run at once; the result is the list of their outputs (shaped by `resultSelector`). */
export function parallel(
  name: string,
  options: CommonOptions & { branches: Flow[]; resultSelector?: Values; result?: string | null },
): Node {
  const fields = () => ({
    Branches: options.branches.map((branch) => renderFlow(branch, {})),
    ...(options.resultSelector ? { ResultSelector: renderValues(options.resultSelector) } : {}),
  });
  return container('Parallel', name, options, fields, options.branches);
}

function renderStates(flow: Flow, ctx: RenderContext): Record<string, AslState> {
  const nodes = flow.flat();
  const states: Record<string, AslState> = {};
  nodes.forEach((node, i) => {
    if (states[node.name]) throw new Error(`two states are named ${node.name}`);
    const state = node.render(ctx);
    if (!node.terminal) {
      const following = nodes[i + 1];
      if (node.next) state.Next = node.next;
      else if (node.end || !following) state.End = true;
      else state.Next = following.name;
    }
    states[node.name] = state;
  });
  return states;
}

function renderFlow(flow: Flow, ctx: RenderContext): { StartAt: string; States: Record<string, AslState> } {
  const first = flow.flat()[0];
  if (!first) throw new Error('a flow needs at least one state');
  return { StartAt: first.name, States: renderStates(flow, ctx) };
}

function flowTasks(flow: Flow, within: string[], onFailurePath: boolean): TaskInfo[] {
  return flow.flat().flatMap((node) => node.tasks(within, onFailurePath));
}

export interface WorkflowDefinition {
  /** The file under statemachines/ (without `.asl.json`) and the workflow's name. */
  name: string;
  comment: string;
  /** The execution's TimeoutSeconds (shared/workflow-limits.ts: below the operation's lease). */
  timeoutSeconds: number;
  states: Flow;
  /** Where every failure of the main path goes (Catch `States.ALL` → its first state, the error at `$.failure`). */
  onFailure: Flow;
}

export interface Workflow extends WorkflowDefinition {
  /** The state machine definition, as written to statemachines/<name>.asl.json. */
  asl(): { Comment: string; StartAt: string; TimeoutSeconds: number; States: Record<string, AslState> };
  /** Every Task, in definition order, nested ones included. */
  tasks(): TaskInfo[];
}

export function workflow(definition: WorkflowDefinition): Workflow {
  const failureStart = definition.onFailure.flat()[0]?.name;
  return {
    ...definition,
    asl: () => {
      const main = renderFlow(definition.states, { catchTo: failureStart });
      const failure = renderStates(definition.onFailure, {});
      for (const name of Object.keys(failure)) if (main.States[name]) throw new Error(`${definition.name}: two states are named ${name}`);
      return { Comment: definition.comment, StartAt: main.StartAt, TimeoutSeconds: definition.timeoutSeconds, States: { ...main.States, ...failure } };
    },
    tasks: () => [...flowTasks(definition.states, [], false), ...flowTasks(definition.onFailure, [], true)],
  };
}
