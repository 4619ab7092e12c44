/**
 * In-process Lambda: import a function's handler module once and call it with an event
 * and a Lambda-like context. Used by the HTTP API, the Step Functions runner and the
 * EventBridge rules and schedules.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { withEnvironment } from './invocation-env';
import { LOCAL_ACCOUNT_ID, type FunctionConfig } from './serverless-config';

/** The parts of the Lambda context object Hopper's handlers (and middy, Powertools) read. */
export interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
  done(): void;
  fail(): void;
  succeed(): void;
}

type Handler = (event: unknown, context: LambdaContext) => unknown;

/** Invokes functions by name; one instance per runtime. */
export interface LambdaInvoker {
  /** Call `name` with `event`; resolves to the handler's result, rejects with its error. */
  invoke(name: string, event: unknown): Promise<unknown>;
  /** The function's configuration, or undefined. */
  get(name: string): FunctionConfig | undefined;
  readonly region: string;
  /** Invocations running now (0 for invokers that do not count). */
  inFlight?(): number;
}

/**
 * Apply the union of every function's environment to `process.env`, once, at start.
 *
 * process.env is global, so per-invocation environments cannot be isolated in one
 * process. Locally that is acceptable: Hopper's functions share provider.environment and
 * differ at most by extra keys (a state machine ARN here, a prefix there); no two functions
 * give the same key different values (a conflict is reported) so each handler sees every
 * value it would see in Lambda. Keys the user already set are kept (endpoints, credentials).
 */
export function applyFunctionEnvironment(
  functions: Record<string, FunctionConfig>,
  env: NodeJS.ProcessEnv = process.env,
  set: (name: string, value: string) => void = (name, value) => (env[name] = value),
): Record<string, string> {
  const union: Record<string, string> = {};
  for (const fn of Object.values(functions)) {
    for (const [key, value] of Object.entries(fn.environment)) {
      if (key in union && union[key] !== value) {
        // Not fatal: the runtime still serves every other function correctly.
        console.warn(`[runtime] functions disagree on ${key} (${union[key]} vs ${value}); ${fn.name} sees the first`);
        continue;
      }
      union[key] = value;
    }
  }
  for (const [key, value] of Object.entries(union)) {
    // NODE_OPTIONS is for the Lambda runtime; setting it here would only affect child processes.
    if (env[key] === undefined && key !== 'NODE_OPTIONS') set(key, value);
  }
  return union;
}

export interface InvokerOptions {
  /**
   * A function's own environment variables for each invocation, over the shared ones: its
   * role's credentials (local/runtime/iam.ts), as Lambda gives each function its own.
   */
  environmentOf?: (name: string) => Readonly<Record<string, string>> | undefined;
  /**
   * Called as an invocation starts while no other runs (before its handler): start.ts lets
   * the clock of execution take the simulator's jumps then, between handlers, never under one.
   */
  onFirstInFlight?: () => void;
}

/** Create an invoker over the loaded functions. Handler modules are imported lazily, once. */
export function createLambdaInvoker(functions: Record<string, FunctionConfig>, region: string, options: InvokerOptions = {}): LambdaInvoker {
  const modules = new Map<string, Promise<Handler>>();

  const load = (fn: FunctionConfig): Promise<Handler> => {
    let handler = modules.get(fn.name);
    if (!handler) {
      handler = import(pathToFileURL(fn.handlerFile).href).then((mod: Record<string, unknown>) => {
        const exported = mod[fn.exportName];
        if (typeof exported !== 'function') throw new Error(`${fn.handlerFile} exports no function "${fn.exportName}"`);
        return exported as Handler;
      });
      // A failed import (syntax error while someone edits) should be retried next time.
      handler.catch(() => modules.delete(fn.name));
      modules.set(fn.name, handler);
    }
    return handler;
  };

  let running = 0;
  return {
    region,
    get: (name) => functions[name],
    inFlight: () => running,
    async invoke(name, event) {
      const fn = functions[name];
      if (!fn) throw new Error(`No function named ${name}`);
      if (running === 0) options.onFirstInFlight?.();
      running++;
      try {
        const handler = await load(fn);
        const context = lambdaContext(fn, region);
        // Callback-style handlers are not used by Hopper (middy is async): no callback argument.
        const own = options.environmentOf?.(name);
        const run = () => handler(structuredCloneJson(event), context);
        return await (own ? withEnvironment(own, run) : run());
      } finally {
        running--;
      }
    },
  };
}

function lambdaContext(fn: FunctionConfig, region: string): LambdaContext {
  const deadline = Date.now() + fn.timeout * 1000;
  const noop = () => undefined;
  return {
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${fn.name}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `local/${new Date().toISOString().slice(0, 10)}/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: noop,
    fail: noop,
    succeed: noop,
  };
}

/** Lambda serialises events as JSON: a handler must not be able to mutate its caller's object. */
function structuredCloneJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
