/**
 * `npm start`: Hopper's embedded control plane on 127.0.0.1 — the same handlers and
 * state machines as in AWS, wired from serverless.yml, over an embedded DynamoDB, an
 * embedded Step Functions runner, local EventBridge and the cloud simulator.
 *
 * `startEmbedded()` is exported so tests run the whole thing in-process.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startEmbeddedDynamo } from './dynamo';
import { startTtlSweeper } from './dynamo-ttl';
import { jumpsBetweenHandlers, type ExecutionClock } from './runtime/execution-clock';
import { startDynamoGuard } from './runtime/dynamo-iam';
import { startEventBridge, type EventBridgeServer } from './runtime/eventbridge';
import { deployIam, simulatorCallers, simulatorJudge, stackEventBuses, type CredentialVariables } from './runtime/iam';
import { startHttpApi } from './runtime/http-api';
import { deployBuckets, stackBuckets } from './runtime/buckets';
import { applyFunctionEnvironment, createLambdaInvoker, type LambdaInvoker } from './runtime/lambda';
import { LOCAL_ACCOUNT_ID, loadServerlessConfig, type ServerlessConfig } from './runtime/serverless-config';
import { startStepFunctions, type ExecutionRecord, type StepFunctionsRuntime } from './runtime/stepfunctions';
import { hostSandbox } from './sim/hosts/sandbox';
import { startCloudSimulator } from './sim/server';
import { authorizeExternal } from './sim/iam/evaluate';
import { followedClock, useExecutionClock, useWorldClock, type SimulatorClockReading } from '../shared/clock';
import { TIME_TO_LIVE } from '../shared/store/table';

/** Endpoint variables the embedded runtime sets for the simulated cloud services. */
const CLOUD_ENDPOINT_VARS = ['AWS_ENDPOINT_URL_EC2', 'AWS_ENDPOINT_URL_AUTO_SCALING', 'AWS_ENDPOINT_URL_SSM', 'AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2', 'AWS_ENDPOINT_URL_IAM', 'AWS_ENDPOINT_URL_S3'];

/**
 * The Hopper function a restart calls for each execution it found RUNNING, so the
 * operation is marked Interrupted and the cluster lock released. Until that function
 * exists in serverless.yml, the runtime only logs the interruption.
 */
export const INTERRUPTED_EXECUTION_FUNCTION = 'operationInterrupted';

export interface EmbeddedOptions {
  /** HTTP API port (PORT, else 3000). 0 picks a free port. */
  port?: number;
  /** Cloud simulator port (HOPPER_CLOUD_PORT, else 4566). */
  cloudPort?: number;
  /** Ports of the internal endpoints; free ports by default. */
  stepFunctionsPort?: number;
  eventBridgePort?: number;
  dynamoPort?: number;
  /** HOPPER_DATA_DIR: DynamoDB, executions and simulator state survive restarts. */
  dataDir?: string;
  /** HOPPER_TIME_SCALE. */
  timeScale?: number;
  /** HOPPER_SCHEDULES != 'off'. */
  schedules?: boolean;
  /** serverless.yml to wire (Hopper's own by default). */
  configFile?: string;
  stage?: string;
  region?: string;
  /** The environment to read and to set endpoints in; `process.env` by default (handlers read it). */
  env?: NodeJS.ProcessEnv;
  /** Replaces the default interrupted-execution hook (see INTERRUPTED_EXECUTION_FUNCTION). */
  onInterrupted?: (execution: ExecutionRecord) => Promise<void> | void;
  /** Print nothing. */
  quiet?: boolean;
}

export interface Embedded {
  urls: { api: string; stepFunctions: string; eventBridge: string; dynamodb: string; cloud?: string };
  config: ServerlessConfig;
  lambda: LambdaInvoker;
  stepFunctions: StepFunctionsRuntime;
  eventBridge: EventBridgeServer;
  /** Delete the table's expired items now, as DynamoDB's TTL does in its own time (the runtime also sweeps every half minute). */
  sweepExpiredItems(): Promise<number>;
  /** Stops every server this call started, in reverse order. */
  stop(): Promise<void>;
}

/** Start everything; on a failure part-way, what already started is stopped again. */
export async function startEmbedded(options: EmbeddedOptions = {}): Promise<Embedded> {
  const env = options.env ?? process.env;
  const stops: (() => Promise<void>)[] = [];
  // Variables we set are restored on stop, so a second in-process start (tests) sees the user's own.
  const saved = new Map<string, string | undefined>();
  const set = (name: string, value: string) => {
    if (!saved.has(name)) saved.set(name, env[name]);
    env[name] = value;
  };
  stops.push(async () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
  });
  const stop = async () => {
    for (const fn of stops.splice(0).reverse()) await fn().catch((error: unknown) => console.error('[start] stop failed', error));
  };
  try {
    const timeScale = options.timeScale ?? numberOr(env.HOPPER_TIME_SCALE, 1);
    const dataDir = options.dataDir ?? (env.HOPPER_DATA_DIR || undefined);
    const config = loadServerlessConfig(options.configFile ?? fileURLToPath(new URL('../serverless.yml', import.meta.url)), {
      stage: options.stage ?? env.HOPPER_STAGE,
      region: options.region ?? env.AWS_REGION,
      env,
    });
    if (!options.quiet) for (const warning of new Set(config.warnings)) console.warn(`[start] serverless.yml: ${warning}`);
    if (!env.AWS_REGION) set('AWS_REGION', config.region);
    if (!env.HOPPER_TIME_SCALE) set('HOPPER_TIME_SCALE', String(timeScale));
    if (!env.AWS_ACCESS_KEY_ID) {
      // Local endpoints accept any signature; real credentials, when set, are kept.
      set('AWS_ACCESS_KEY_ID', 'local');
      set('AWS_SECRET_ACCESS_KEY', 'local');
    }
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const union = applyFunctionEnvironment(config.functions, env, set);

    const dynamo = await startEmbeddedDynamo({
      tableName: union.HOPPER_TABLE ?? env.HOPPER_TABLE ?? 'hopper',
      port: options.dynamoPort ?? 0,
      path: dataDir ? ensureDir(join(dataDir, 'dynamodb')) : undefined,
    });
    stops.push(() => dynamo.stop());
    // dynalite has no TTL: expired items (events after 90 days) are swept by the clock of execution.
    const ttl = startTtlSweeper({ ddb: dynamo.ddb, tableName: dynamo.tableName, attribute: TIME_TO_LIVE.AttributeName });
    stops.push(() => ttl.stop());
    // Functions reach dynalite through IAM, as they reach DynamoDB in AWS (the simulator judges, once known).
    const dynamoGuard = await startDynamoGuard({ target: dynamo.endpoint, serve: dynamo.serve, region: config.region });
    stops.push(() => dynamoGuard.stop());
    if (!env.AWS_ENDPOINT_URL_DYNAMODB) set('AWS_ENDPOINT_URL_DYNAMODB', dynamoGuard.endpoint);

    let cloud: string | undefined;
    /** The simulator's judge in this process: asked directly, not over HTTP (it answers every DynamoDB request a function makes). */
    let localJudge: typeof dynamoGuard.judge;
    /** The Hopper simulator in use (ours or one started on its own): it judges IAM, EventBridge's calls too. */
    let simulator: string | undefined;
    let credentials = new Map<string, CredentialVariables>();
    /** The clock of execution on a simulator: its jumps, taken while no handler runs (bound below, once the invoker exists). */
    let execution: ExecutionClock | undefined;
    const invoker: { current?: LambdaInvoker } = {};
    const idle = () => (invoker.current?.inFlight?.() ?? 0) === 0;
    if (isExternalCloud(env)) {
      if (!options.quiet) console.log('[start] external cloud endpoints set: the simulator is not started');
      // A simulator started on its own (`npm run cloud`) gets the stack's IAM too; LocalStack, moto or AWS do not.
      const external = env.AWS_ENDPOINT_URL_EC2 ?? env.AWS_ENDPOINT_URL;
      if (external && env.HOPPER_CLOUD !== 'aws' && (await isSimulator(external))) {
        credentials = await deployIam(external, config);
        await deployBuckets(external, config.region, stackBuckets(config));
        simulator = external;
        // Hopper judges the cloud's things by the simulator's time, followed over HTTP, and
        // its own timing by the wall clock plus the simulator's jumps (shared/clock.ts).
        const followed = followedClock(simulatorClock(external), timeScale);
        await followed.ready;
        useWorldClock(followed.world);
        execution = jumpsBetweenHandlers(followed.jumped, idle);
        useExecutionClock(execution.read);
        stops.push(async () => {
          followed.stop();
          useWorldClock(undefined);
          useExecutionClock(undefined);
        });
      }
    } else {
      const sim = await startCloudSimulator({
        accountId: LOCAL_ACCOUNT_ID,
        port: options.cloudPort ?? numberOr(env.HOPPER_CLOUD_PORT, 4566),
        timeScale,
        dataDir: dataDir ? ensureDir(join(dataDir, 'cloud')) : undefined,
      });
      stops.push(() => sim.stop());
      // Hopper judges the cloud's things by the simulator's time (its time scale and its jumps),
      // and its own timing by the wall clock plus the jumps (shared/clock.ts).
      useWorldClock(() => sim.state.clock.now());
      execution = jumpsBetweenHandlers(() => sim.state.clock.jumpedMs(), idle);
      useExecutionClock(execution.read);
      stops.push(async () => {
        useWorldClock(undefined);
        useExecutionClock(undefined);
      });
      cloud = sim.url;
      localJudge = (request) => authorizeExternal(sim.state, request);
      for (const name of CLOUD_ENDPOINT_VARS) set(name, sim.url);
      // Each function then acts as its own role, and the simulator enforces what that role may do.
      credentials = await deployIam(sim.url, config);
      await deployBuckets(sim.url, config.region, stackBuckets(config));
      simulator = sim.url;
    }

    if (simulator) dynamoGuard.judge = localJudge ?? simulatorJudge(simulator);

    // The simulator's internet: where its internet-facing load balancers are reached from this
    // machine, so the kubeconfig the API serves points there (on AWS the endpoint is used as it is).
    if (simulator && !env.HOPPER_PUBLISHED_ENDPOINTS) set('HOPPER_PUBLISHED_ENDPOINTS', `${simulator}/_sim/published`);
    const lambda = createLambdaInvoker(config.functions, config.region, { environmentOf: (name) => credentials.get(name), onFirstInFlight: () => execution?.catchUp() });
    invoker.current = lambda;
    // Step Functions reports closed executions to EventBridge, as in AWS (rules such as
    // Hopper's operationInterrupted match them); EventBridge starts next, so bind late.
    const bus: { current?: EventBridgeServer } = {};
    const sfn = await startStepFunctions({
      port: options.stepFunctionsPort ?? 0,
      region: config.region,
      stateMachines: config.stateMachines,
      lambda,
      timeScale,
      dataDir,
      onInterrupted: options.onInterrupted ?? ((execution) => onExecutionInterrupted(execution, lambda, options.quiet)),
      onClosed: (execution) => bus.current?.publish('aws.states', 'Step Functions Execution Status Change', statusChangeDetail(execution), [execution.executionArn]),
    });
    stops.push(() => sfn.close());
    if (!env.AWS_ENDPOINT_URL_SFN) set('AWS_ENDPOINT_URL_SFN', sfn.url);

    const events = await startEventBridge({
      port: options.eventBridgePort ?? 0,
      region: config.region,
      functions: config.functions,
      lambda,
      timeScale,
      schedules: options.schedules ?? env.HOPPER_SCHEDULES !== 'off',
      // On the simulator, schedules follow its clock: its time scale and its jumps.
      ...(simulator ? { clock: simulatorWorldClock(simulator) } : {}),
      buses: stackEventBuses(config),
      ...(simulator ? { authorize: simulatorJudge(simulator) } : {}),
    });
    bus.current = events;
    stops.push(() => events.close());
    if (!env.AWS_ENDPOINT_URL_EVENTBRIDGE) set('AWS_ENDPOINT_URL_EVENTBRIDGE', events.url);
    // The simulated hosts' `aws events put-events` reaches this EventBridge.
    if (simulator) await tellSimulator(simulator, { events: events.url });

    const api = await startHttpApi({ port: options.port ?? numberOr(env.PORT, 3000), functions: config.functions, lambda, ...(simulator ? { identify: simulatorCallers(simulator) } : {}) });
    stops.push(() => api.close());

    const urls = { api: api.url, stepFunctions: sfn.url, eventBridge: events.url, dynamodb: dynamoGuard.endpoint, cloud };
    return { urls, config, lambda, stepFunctions: sfn.runtime, eventBridge: events, sweepExpiredItems: ttl.sweep, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The `detail` of AWS's "Step Functions Execution Status Change" event. */
function statusChangeDetail(execution: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate,
    stopDate: execution.stopDate ?? null,
    input: execution.input,
    output: execution.output ?? null,
    error: execution.error ?? null,
    cause: execution.cause ?? null,
  };
}

/**
 * The default interrupted-execution hook: hand the execution to Hopper's
 * INTERRUPTED_EXECUTION_FUNCTION when serverless.yml defines it, else only report it.
 */
async function onExecutionInterrupted(execution: ExecutionRecord, lambda: LambdaInvoker, quiet?: boolean): Promise<void> {
  if (lambda.get(INTERRUPTED_EXECUTION_FUNCTION)) {
    await lambda.invoke(INTERRUPTED_EXECUTION_FUNCTION, { execution });
  } else if (!quiet) {
    console.warn(`[start] execution ${execution.executionArn} was interrupted by the restart`);
  }
}

/** Whether `endpoint` is Hopper's cloud simulator (it answers `GET /_sim/iam`). */
async function isSimulator(endpoint: string): Promise<boolean> {
  try {
    return (await fetch(`${endpoint.replace(/\/$/, '')}/_sim/iam`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/** The simulator's clock (`GET /_sim/clock`). */
function simulatorClock(endpoint: string): () => Promise<SimulatorClockReading> {
  const url = `${endpoint.replace(/\/$/, '')}/_sim/clock`;
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
    const { epochMs, jumpedMs } = (await res.json()) as SimulatorClockReading;
    return { epochMs, jumpedMs };
  };
}

/** The simulator's simulated now, in epoch milliseconds. */
function simulatorWorldClock(endpoint: string): () => Promise<number> {
  const look = simulatorClock(endpoint);
  return async () => (await look()).epochMs;
}

/** Tells the simulator where the services outside it are (`PUT /_sim/endpoints`). */
async function tellSimulator(endpoint: string, services: { events: string }): Promise<void> {
  const res = await fetch(`${endpoint.replace(/\/$/, '')}/_sim/endpoints`, { method: 'PUT', body: JSON.stringify(services) });
  if (!res.ok) throw new Error(`PUT ${endpoint}/_sim/endpoints: ${res.status} ${await res.text()}`);
}

/** AWS_ENDPOINT_URL, a cloud service's own endpoint, or HOPPER_CLOUD=aws: leave the cloud to them. */
function isExternalCloud(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.AWS_ENDPOINT_URL || CLOUD_ENDPOINT_VARS.some((name) => env[name]) || env.HOPPER_CLOUD === 'aws');
}

function numberOr(value: string | undefined, fallback: number): number {
  return value === undefined || value === '' ? fallback : Number(value);
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function main(): Promise<void> {
  const started = Date.now();
  const embedded = await startEmbedded();
  const { urls } = embedded;
  console.log(`Hopper embedded control plane ready in ${Date.now() - started} ms`);
  console.log(`  HTTP API        ${urls.api}`);
  console.log(`  web console     ${urls.api}/`);
  console.log(`  cloud simulator ${urls.cloud ?? '(external endpoints)'}`);
  if (urls.cloud) {
    const sandbox = hostSandbox();
    console.log(`  host sandbox    ${sandbox.description}`);
    if (!sandbox.kind) console.warn(`[start] simulated hosts cannot run scripts, so a create fails at its first host step: ${sandbox.unavailable}`);
  }
  console.log(`  Step Functions  ${urls.stepFunctions}`);
  console.log(`  EventBridge     ${urls.eventBridge}`);
  console.log(`  DynamoDB        ${urls.dynamodb}`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    embedded.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
