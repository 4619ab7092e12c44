/**
 * What the embedded runner derives from an ASL definition without changing it: which
 * function each Task state calls, and scaled Wait and Retry timings.
 *
 * aws-local-stepfunctions keys all its overrides by STATE NAME (not by resource), and
 * passes them unchanged to the state machines it spawns for Map and Parallel states, so
 * one flat map per definition covers nested states too (ASL requires state names to be
 * unique across the whole definition, nested ones included).
 */

type State = Record<string, unknown> & { Type?: string };
type Definition = { States?: Record<string, State> };

/** Visit every state, including those inside Map (Iterator/ItemProcessor) and Parallel branches. */
export function walkStates(definition: Definition, visit: (name: string, state: State) => void): void {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    visit(name, state);
    const processor = (state.ItemProcessor ?? state.Iterator) as Definition | undefined;
    if (processor) walkStates(processor, visit);
    for (const branch of (state.Branches ?? []) as Definition[]) walkStates(branch, visit);
  }
}

/** The optimised Lambda integration: the function is named in Parameters.FunctionName. */
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/**
 * Function name of a Task resource: `{"Fn::GetAtt": [fn, "Arn"]}` (Hopper's form), a
 * Lambda ARN, or a bare name. Undefined for anything else (other service integrations).
 */
export function functionOfResource(resource: unknown): string | undefined {
  if (resource !== null && typeof resource === 'object') {
    const getAtt = (resource as Record<string, unknown>)['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return String(getAtt[0]);
    if (typeof getAtt === 'string') return getAtt.split('.')[0];
    return undefined;
  }
  if (typeof resource !== 'string') return undefined;
  const arn = /^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(resource);
  if (arn) return arn[1];
  return resource.startsWith('arn:') ? undefined : resource;
}

/** Task state name → resource, for every Task state of the definition. */
export function taskResources(definition: Definition): Map<string, unknown> {
  const tasks = new Map<string, unknown>();
  walkStates(definition, (name, state) => {
    if (state.Type === 'Task') tasks.set(name, state.Resource);
  });
  return tasks;
}

/** Milliseconds for a number of ASL seconds under a time scale. */
export function scaledMs(seconds: number, timeScale: number): number {
  return (seconds * 1000) / timeScale;
}

/**
 * `waitTimeOverrides`: every Wait state with a fixed `Seconds`, scaled. Wait states using
 * `SecondsPath`, `Timestamp` or `TimestampPath` are not listed: the library reads overrides
 * before it evaluates the path, and an override is a constant, so those wait in real time.
 */
export function waitTimeOverrides(definition: Definition, timeScale: number): Record<string, number> {
  const waits: Record<string, number> = {};
  walkStates(definition, (name, state) => {
    if (state.Type === 'Wait' && typeof state.Seconds === 'number') waits[name] = scaledMs(state.Seconds, timeScale);
  });
  return waits;
}

/** Names of Wait states whose duration cannot be scaled (see {@link waitTimeOverrides}). */
export function unscaledWaits(definition: Definition): string[] {
  const names: string[] = [];
  walkStates(definition, (name, state) => {
    if (state.Type === 'Wait' && typeof state.Seconds !== 'number') names.push(name);
  });
  return names;
}

interface Retrier {
  ErrorEquals?: string[];
  IntervalSeconds?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}

/**
 * `retryIntervalOverrides` for one execution, as a live object: the library reads
 * `overrides[stateName][retrierIndex]` each time a state fails, and accepts one constant
 * per retrier, which would lose the exponential backoff. So the object computes the value
 * when read, from `failures(stateName)` — the errors of the consecutive failures the runner
 * has seen for that Task state. As in AWS, each retrier counts only the failures it
 * matched (a poller's many NotReadyErrors do not stretch the backoff of one Lambda error):
 * IntervalSeconds × BackoffRate^(attempt−1), capped by MaxDelaySeconds, with FULL jitter,
 * then scaled. (Map/Parallel states with Retry, whose failures the runner does not see, get
 * the first interval each time.)
 */
export function retryIntervalOverrides(
  definition: Definition,
  timeScale: number,
  failures: (stateName: string) => string[],
): Record<string, number[]> {
  const retriers = new Map<string, Retrier[]>();
  walkStates(definition, (name, state) => {
    if (Array.isArray(state.Retry)) retriers.set(name, state.Retry as Retrier[]);
  });
  return new Proxy({} as Record<string, number[]>, {
    get(_target, key) {
      if (typeof key !== 'string') return undefined;
      const list = retriers.get(key);
      if (!list) return undefined;
      // Which retrier each failure fell to: the first whose ErrorEquals names it (or States.ALL).
      const matched = failures(key).map((error) => list.findIndex((r) => (r.ErrorEquals ?? []).some((e) => e === error || e === 'States.ALL')));
      return list.map((r, index) => {
        const attempt = Math.max(0, matched.filter((m) => m === index).length - 1);
        let seconds = (r.IntervalSeconds ?? 1) * Math.pow(r.BackoffRate ?? 2, attempt);
        if (r.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, r.MaxDelaySeconds);
        if (r.JitterStrategy === 'FULL') seconds = Math.random() * seconds;
        return scaledMs(seconds, timeScale);
      });
    },
  });
}
