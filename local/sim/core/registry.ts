/**
 * Extension points of the simulator. Service modules (ec2, autoscaling, elbv2, and the
 * hosts engineer's ssm/hosts/kube) register themselves here when imported; every
 * simulator server started afterwards serves them. Handlers get the server's state in
 * their context, so several simulators can run side by side in one process.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { QuerySettings } from './serde';
import type { SimState } from './state';

/** What a handler knows about the call it serves. */
export interface SimContext {
  state: SimState;
  /** The signing region from the request's SigV4 credential scope (us-east-1 if unsigned). */
  region: string;
  requestId: string;
  service: string;
  action: string;
  /** The simulator's base URL, e.g. `http://127.0.0.1:4566`. */
  endpoint: string;
  headers: IncomingHttpHeaders;
  /** The access key the request was signed with (SigV4 `Credential=`), if signed. */
  accessKeyId?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler types its own SDK input shape
export type QueryHandler = (input: any, ctx: SimContext) => unknown | Promise<unknown>;

/** A query-protocol service (EC2, Auto Scaling, ELBv2). */
export interface QueryService {
  /** Our short name (`ec2`, `autoscaling`, `elbv2`), used in counters and faults. */
  name: string;
  /** The `Version` form field that selects it. */
  version: string;
  /** The SigV4 service name in the credential scope. */
  signingName: string;
  xmlns: string;
  settings: QuerySettings;
  /** The SDK client module: operation schemas are looked up as `<Action>$`. */
  schemas: Record<string, unknown>;
  handlers: Record<string, QueryHandler>;
}

/** A JSON 1.1 handler: operation name (after the `.` in X-Amz-Target) and parsed body. */
export type JsonHandler = (operation: string, input: Record<string, unknown>, ctx: SimContext) => unknown | Promise<unknown>;

export interface RouteRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body's bytes (for binary payloads such as the shims' multipart forms). */
  raw: Buffer;
  /** The body parsed as JSON ({} when empty); throws on bad JSON. */
  json(): unknown;
}

export interface RouteResponse {
  status?: number;
  /** Objects are sent as JSON; strings as text. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (req: RouteRequest, ctx: { state: SimState; endpoint: string }) => RouteResponse | Promise<RouteResponse>;

/**
 * Runs when a simulator starts (after any snapshot is loaded); may return a cleanup for stop.
 * `dataDir` is the simulator's own directory (the snapshot's, or a temporary one removed
 * at stop): whatever a plugin writes to disk (hosts' roots, captured images) goes there.
 */
export type Plugin = (sim: { state: SimState; endpoint: string; dataDir: string }) => void | (() => void);

/** Acts on a key of a `POST /_sim/faults` body (e.g. `crashInstances`). */
export type FaultAction = (state: SimState, value: unknown) => unknown;

/**
 * A REST service (S3): chosen by the SigV4 service name of the request's credential scope; it
 * names the action itself and asks `authorize` before acting.
 */
export type RestHandler = (
  req: RouteRequest,
  ctx: SimContext & { authorize(action: string, input: unknown): Promise<void> },
) => Promise<RouteResponse & { raw?: Buffer }> | (RouteResponse & { raw?: Buffer });

export const restServices = new Map<string, RestHandler>();

/** Serves requests signed for `signingName` (`s3`). */
export function registerRestService(signingName: string, handler: RestHandler): void {
  restServices.set(signingName, handler);
}

export const queryServices = new Map<string, QueryService>();
export const jsonServices = new Map<string, JsonHandler>();
export const routes: { method: string; path: string; handler: RouteHandler }[] = [];
export const plugins = new Map<string, Plugin>();
export const faultActions = new Map<string, FaultAction>();

/**
 * Decides whether the caller may make a call, given its decoded input; throws the
 * service's access-denied SimError if not. Runs before the call takes effect.
 */
export type Authorizer = (ctx: SimContext, input: unknown) => void | Promise<void>;
export const authorizers: Authorizer[] = [];

/** Adds an authorizer (IAM: `local/sim/iam`); every call to a service passes each. */
export function registerAuthorizer(authorizer: Authorizer): void {
  if (!authorizers.includes(authorizer)) authorizers.push(authorizer);
}

export function registerQueryService(service: QueryService): void {
  queryServices.set(service.name, service);
}

/** Serves `X-Amz-Target: <targetPrefix>.<Operation>` JSON 1.1 calls (e.g. `AmazonSSM`). */
export function registerJsonService(targetPrefix: string, handler: JsonHandler): void {
  jsonServices.set(targetPrefix, handler);
}

/**
 * Adds an HTTP route. `path` is exact, or ends in `*` to match a prefix
 * (`/_sim/hosts/*`). Later registrations of the same method+path replace earlier ones.
 */
export function registerRoute(method: string, path: string, handler: RouteHandler): void {
  const i = routes.findIndex((r) => r.method === method.toUpperCase() && r.path === path);
  const entry = { method: method.toUpperCase(), path, handler };
  if (i >= 0) routes[i] = entry;
  else routes.push(entry);
}

export function registerPlugin(name: string, plugin: Plugin): void {
  plugins.set(name, plugin);
}

/**
 * State a module keeps beside SimState (IAM's roles and profiles) that a snapshot must
 * keep too: saved under `key`, given back to `load` when a snapshot is loaded.
 */
export interface PersistedPart {
  save(state: SimState): unknown;
  load(state: SimState, data: unknown): void;
}
export const persistedParts = new Map<string, PersistedPart>();

export function registerPersisted(key: string, part: PersistedPart): void {
  persistedParts.set(key, part);
}

export function registerFaultAction(key: string, action: FaultAction): void {
  faultActions.set(key, action);
}

/** Finds the route for a request (exact first, then longest prefix). */
export function findRoute(method: string, path: string): RouteHandler | undefined {
  const m = method.toUpperCase();
  const exact = routes.find((r) => r.method === m && r.path === path);
  if (exact) return exact.handler;
  const prefixed = routes
    .filter((r) => r.method === m && r.path.endsWith('*') && path.startsWith(r.path.slice(0, -1)))
    .sort((a, b) => b.path.length - a.path.length);
  return prefixed[0]?.handler;
}
