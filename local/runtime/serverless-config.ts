/**
 * serverless.yml as the embedded runtime needs it: functions with their handler file,
 * environment, timeout and events; state machines with their ASL definition; the
 * CloudFormation resources. It is the single source of wiring, so nothing here
 * duplicates a route, a rule or a schedule.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { loadResolved } from './variables';

/** Account id of everything local: the one LocalStack and moto use too. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** An `httpApi` event: a route of the HTTP API. `method` is upper case or `*`. */
export interface HttpApiEvent {
  type: 'httpApi';
  method: string;
  path: string;
  /** The route's `authorizer: {type: aws_iam}`: API Gateway checks the SigV4 signature and names the caller. */
  iam?: boolean;
}

/** A `schedule` event: `rate(…)` or `cron(…)`, with an optional constant input. */
export interface ScheduleEvent {
  type: 'schedule';
  expression: string;
  enabled: boolean;
  input?: unknown;
}

/** An `eventBridge` event: a rule whose pattern selects the events that invoke the function. */
export interface EventBridgeEvent {
  type: 'eventBridge';
  pattern: Record<string, unknown>;
  /** A name, an ARN, or the stack's own bus (`Fn::GetAtt: [<id>, Arn]`, `Ref: <id>`). */
  eventBus?: string | Record<string, unknown>;
  input?: unknown;
}

export type FunctionEvent = HttpApiEvent | ScheduleEvent | EventBridgeEvent;

/** One Lambda function as the embedded runtime runs it. */
export interface FunctionConfig {
  /** The key under `functions:` (what `Fn::GetAtt: [name, Arn]` in ASL names). */
  name: string;
  /** Absolute path of the handler module (extension resolved: .ts, .mts, .js, .mjs). */
  handlerFile: string;
  /** Exported handler name (`handler` in `functions/x/y.handler`). */
  exportName: string;
  /** provider.environment overlaid by the function's own, intrinsics resolved. */
  environment: Record<string, string>;
  /** Seconds, as Lambda's timeout. */
  timeout: number;
  events: FunctionEvent[];
}

/** One state machine from `stepFunctions.stateMachines`. */
export interface StateMachineConfig {
  /** The key under `stateMachines:`. */
  key: string;
  /** CloudFormation logical id, as serverless-step-functions names it (`Ref` targets this). */
  id: string;
  /** State machine name (the `name:` field, else the key). */
  name: string;
  definition: Record<string, unknown>;
}

/** The loaded service. */
export interface ServerlessConfig {
  service: string;
  stage: string;
  region: string;
  /** Directory of serverless.yml: handler paths are relative to it. */
  serviceDir: string;
  functions: Record<string, FunctionConfig>;
  stateMachines: Record<string, StateMachineConfig>;
  providerEnvironment: Record<string, string>;
  /** `resources.Resources`: CloudFormation resources by logical id. */
  resources: Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
  /** The fully resolved document, for anything else a caller needs. */
  raw: Record<string, unknown>;
  /** Problems that do not stop the runtime (an environment intrinsic with no local value). */
  warnings: string[];
}

/**
 * Turns a CloudFormation intrinsic (`{Ref: X}`, `{"Fn::GetAtt": [X, Arn]}`, `{"Fn::Sub": …}`)
 * into its local value, or returns undefined when it does not know it.
 */
export type IntrinsicResolver = (value: Record<string, unknown>, config: ServerlessConfig) => string | undefined;

export interface LoadOptions {
  stage?: string;
  region?: string;
  env?: Record<string, string | undefined>;
  /** Resolves intrinsics in environment values; defaults to {@link localIntrinsics}. */
  resolveIntrinsic?: IntrinsicResolver;
}

/** Load and resolve serverless.yml (or a fixture shaped like it). */
export function loadServerlessConfig(file: string, options: LoadOptions = {}): ServerlessConfig {
  const path = resolvePath(file);
  const raw = loadResolved(path, { options: { stage: options.stage, region: options.region }, env: options.env }) as Record<string, unknown>;
  const provider = (raw.provider ?? {}) as Record<string, unknown>;
  const stage = options.stage ?? String(provider.stage ?? 'dev');
  const region = options.region ?? String(provider.region ?? 'us-east-1');
  // `resources:` is a map or a list of maps, merged (as the framework does).
  const resourceParts = (Array.isArray(raw.resources) ? raw.resources : [raw.resources]) as ({ Resources?: ServerlessConfig['resources'] } | undefined)[];
  const resources: ServerlessConfig['resources'] = Object.assign({}, ...resourceParts.map((p) => p?.Resources ?? {}));
  const config: ServerlessConfig = {
    service: typeof raw.service === 'string' ? raw.service : String((raw.service as { name?: string })?.name),
    stage,
    region,
    serviceDir: dirname(path),
    functions: {},
    stateMachines: loadStateMachines(raw),
    providerEnvironment: {},
    resources,
    raw,
    warnings: [],
  };
  const resolveIntrinsic = options.resolveIntrinsic ?? localIntrinsics;
  config.providerEnvironment = toEnvironment((provider.environment ?? {}) as Record<string, unknown>, config, resolveIntrinsic);
  const providerTimeout = Number(provider.timeout ?? 6);
  for (const [name, fn] of Object.entries(mergeFunctions(raw.functions))) {
    const own = toEnvironment((fn.environment ?? {}) as Record<string, unknown>, config, resolveIntrinsic);
    const [handlerPath, exportName] = splitHandler(String(fn.handler), name);
    config.functions[name] = {
      name,
      handlerFile: findHandlerFile(config.serviceDir, handlerPath),
      exportName,
      environment: { ...config.providerEnvironment, ...own },
      timeout: Number(fn.timeout ?? providerTimeout),
      events: ((fn.events ?? []) as unknown[]).flatMap(parseEvent),
    };
  }
  return config;
}

/** The local ARN of a state machine, as the embedded Step Functions endpoint names it. */
export function stateMachineArn(region: string, name: string): string {
  return `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:stateMachine:${name}`;
}

/**
 * Default intrinsic resolution: `Ref` of a state machine → its local ARN; `Ref` of a table
 * → its name; `Fn::GetAtt` of a state machine (`Arn`, `Name`) or a table (`Arn`,
 * `TableName`); `Fn::Sub` with the pseudo parameters and those refs.
 */
/** A KMS key's local id: a UUID that stays the same for the same stage and logical id (as a deployed key does). */
export function localKeyId(config: Pick<ServerlessConfig, 'service' | 'stage'>, logicalId: string): string {
  const h = createHash('sha256').update(`${config.service}/${config.stage}/${logicalId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function localIntrinsics(value: Record<string, unknown>, config: ServerlessConfig): string | undefined {
  const byId = (id: string) => Object.values(config.stateMachines).find((sm) => sm.id === id);
  const attribute = (id: string, attr: string): string | undefined => {
    const sm = byId(id);
    if (sm) return attr === 'Name' ? sm.name : stateMachineArn(config.region, sm.name);
    const resource = config.resources[id];
    if (attr === 'Arn' && (resource?.Type === 'AWS::IAM::Role' || resource?.Type === 'AWS::IAM::InstanceProfile')) {
      // IAM is global: no region in the ARN. The name is the stated one, else the logical id (as `Ref` gives).
      const kind = resource.Type === 'AWS::IAM::Role' ? 'role' : 'instance-profile';
      const stated = resource.Properties?.[kind === 'role' ? 'RoleName' : 'InstanceProfileName'];
      return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:${kind}/${typeof stated === 'string' ? stated : id}`;
    }
    if (attr === 'Ref' && resource?.Type === 'AWS::IAM::ManagedPolicy') {
      // A managed policy's `Ref` is its ARN (its stated name, else the logical id).
      const stated = resource.Properties?.ManagedPolicyName;
      return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:policy/${typeof stated === 'string' ? stated : id}`;
    }
    if (resource?.Type === 'AWS::KMS::Key' && (attr === 'Ref' || attr === 'KeyId' || attr === 'Arn')) {
      const keyId = localKeyId(config, id);
      return attr === 'Arn' ? `arn:aws:kms:${config.region}:${LOCAL_ACCOUNT_ID}:key/${keyId}` : keyId;
    }
    const tableName = resource?.Type === 'AWS::DynamoDB::Table' ? String(resource.Properties?.TableName ?? id) : undefined;
    if (tableName === undefined) {
      // Any other resource: `Ref` gives its name (as CloudFormation does for instance
      // profiles, roles, log groups…): the stated name property, else the logical id.
      if (!resource || attr !== 'Ref') return undefined;
      const props = (resource.Properties ?? {}) as Record<string, unknown>;
      const named = Object.entries(props).find(([k, v]) => /Name$/.test(k) && (typeof v === 'string' || (v !== null && typeof v === 'object')));
      if (!named) return id;
      // A stated name may be an intrinsic itself (`BucketName: {Fn::Sub: …}`).
      return typeof named[1] === 'string' ? named[1] : localIntrinsics(named[1] as Record<string, unknown>, config) ?? id;
    }
    if (attr === 'Ref' || attr === 'TableName') return tableName;
    if (attr === 'Arn') return `arn:aws:dynamodb:${config.region}:${LOCAL_ACCOUNT_ID}:table/${tableName}`;
    return undefined;
  };
  if (typeof value.Ref === 'string') {
    const pseudo = pseudoParameter(value.Ref, config);
    return pseudo ?? attribute(value.Ref, 'Ref');
  }
  const getAtt = value['Fn::GetAtt'];
  if (getAtt !== undefined) {
    const [id, attr] = Array.isArray(getAtt) ? getAtt.map(String) : String(getAtt).split('.');
    return attribute(id, attr);
  }
  const join = value['Fn::Join'];
  if (Array.isArray(join) && join.length === 2 && Array.isArray(join[1])) {
    const parts = (join[1] as unknown[]).map((part) => (part !== null && typeof part === 'object' ? localIntrinsics(part as Record<string, unknown>, config) : String(part)));
    return parts.some((p) => p === undefined) ? undefined : parts.join(String(join[0]));
  }
  const sub = value['Fn::Sub'];
  if (typeof sub === 'string') {
    return sub.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      const [id, attr] = name.split('.');
      return pseudoParameter(name, config) ?? attribute(id, attr ?? 'Ref') ?? whole;
    });
  }
  return undefined;
}

function pseudoParameter(name: string, config: ServerlessConfig): string | undefined {
  switch (name) {
    case 'AWS::Region':
      return config.region;
    case 'AWS::AccountId':
      return LOCAL_ACCOUNT_ID;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::StackName':
      return `${config.service}-${config.stage}`;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    default:
      return undefined;
  }
}

function toEnvironment(source: Record<string, unknown>, config: ServerlessConfig, resolve: IntrinsicResolver): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value !== null && typeof value === 'object') {
      const local = resolve(value as Record<string, unknown>, config);
      // Left unset rather than fatal: the function reading it fails at its cold start, the rest runs.
      if (local === undefined) config.warnings.push(`environment ${key}: no local value for ${JSON.stringify(value)}`);
      else env[key] = local;
    } else if (value !== undefined && value !== null) {
      env[key] = String(value);
    }
  }
  return env;
}

/** `functions:` is either a map or (Hopper's form) a list of maps from `${file()}`. */
function mergeFunctions(functions: unknown): Record<string, Record<string, unknown>> {
  if (functions === undefined || functions === null) return {};
  const parts = Array.isArray(functions) ? functions : [functions];
  return Object.assign({}, ...parts.filter((p) => p !== null && typeof p === 'object'));
}

function splitHandler(handler: string, name: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new Error(`Function ${name}: handler "${handler}" is not "path/file.export"`);
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}

function findHandlerFile(serviceDir: string, handlerPath: string): string {
  const base = resolvePath(serviceDir, handlerPath);
  for (const ext of ['.ts', '.mts', '.js', '.mjs']) {
    if (existsSync(base + ext)) return base + ext;
  }
  // Not there yet (someone is still writing it): fail at invocation, not at start.
  return `${base}.ts`;
}

function parseEvent(event: unknown): FunctionEvent[] {
  if (event === null || typeof event !== 'object') return [];
  const entry = event as Record<string, unknown>;
  if ('httpApi' in entry) {
    const api = entry.httpApi;
    if (typeof api === 'string') {
      if (api === '*') return [{ type: 'httpApi', method: '*', path: '*' }];
      const [method, path] = api.trim().split(/\s+/);
      return [{ type: 'httpApi', method: method.toUpperCase(), path }];
    }
    const { method, path, authorizer } = api as { method?: string; path: string; authorizer?: { type?: string } };
    return [{ type: 'httpApi', method: (method ?? '*').toUpperCase(), path, ...(authorizer?.type === 'aws_iam' ? { iam: true } : {}) }];
  }
  if ('schedule' in entry) {
    const schedule = entry.schedule;
    if (typeof schedule === 'string') return [{ type: 'schedule', expression: schedule, enabled: true }];
    const s = schedule as { rate: string | string[]; enabled?: boolean; input?: unknown };
    const rates = Array.isArray(s.rate) ? s.rate : [s.rate];
    return rates.map((expression) => ({ type: 'schedule', expression, enabled: s.enabled !== false, input: s.input }));
  }
  if ('eventBridge' in entry) {
    const rule = entry.eventBridge as { pattern?: Record<string, unknown>; eventBus?: string | Record<string, unknown>; input?: unknown };
    if (!rule.pattern) return [];
    return [{ type: 'eventBridge', pattern: rule.pattern, eventBus: rule.eventBus, input: rule.input }];
  }
  return [];
}

function loadStateMachines(raw: Record<string, unknown>): Record<string, StateMachineConfig> {
  const section = (raw.stepFunctions as { stateMachines?: Record<string, Record<string, unknown>> } | undefined)?.stateMachines ?? {};
  const machines: Record<string, StateMachineConfig> = {};
  for (const [key, sm] of Object.entries(section ?? {})) {
    const custom = (sm.id ?? sm.name) as string | undefined;
    const definition = typeof sm.definition === 'string' ? JSON.parse(sm.definition) : sm.definition;
    const name = String(sm.name ?? key);
    machines[name] = {
      key,
      id: custom ? normalizedName(custom) : `${normalizedName(key)}StepFunctionsStateMachine`,
      name,
      definition: definition as Record<string, unknown>,
    };
  }
  return machines;
}

/** The framework's `getNormalizedFunctionName`: first letter up, `-` → Dash, `_` → Underscore. */
function normalizedName(name: string): string {
  const replaced = name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return replaced.charAt(0).toUpperCase() + replaced.slice(1);
}
