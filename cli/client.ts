/**
 * The HTTP client for Hopper's `/v1` API: one typed method per route, error replies turned
 * into `ApiError`, requests SigV4-signed when the endpoint is not on this machine.
 */
import type { AcceptedView, BackupsList, ClusterSummary, ClusterView, EventsList, OperationGraphView, OperationView, PlanView } from '../shared/api/types';
import { readReply } from '../shared/api/reply';
import { ApiError, UnreachableError } from './errors';
import { defaultCredentials, isLoopback, regionFor, signRequest, type Credentials } from './sigv4';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:3000';

/** A group as `PUT /v1/clusters/{name}/instance-groups/{group}` takes it. */
export interface InstanceGroupSpec {
  name: string;
  machineType?: string;
  min?: number;
  max?: number;
  zones?: string[];
  labels?: Record<string, string>;
  taints?: unknown[];
  image?: string;
  [key: string]: unknown;
}

export interface ValidationFailure {
  kind: string;
  name: string;
  message: string;
}

export interface NodeStatus {
  name: string;
  role?: string;
  ready?: boolean | string;
  [key: string]: unknown;
}

/** `POST /v1/clusters/{name}/validate`. */
export interface ValidationView {
  ok: boolean;
  failures: ValidationFailure[];
  nodes: NodeStatus[];
  /** What works but needs attention (an overdue etcd backup); the cluster is valid regardless. */
  warnings?: ValidationFailure[];
}

export interface RollingUpdateRequest {
  instanceGroups?: string[];
  force?: boolean;
  maxSurge?: number;
  maxUnavailable?: number;
  dryRun?: boolean;
}

export interface ClientOptions {
  endpoint: string;
  env?: Record<string, string | undefined>;
  /** Injected for tests; defaults to the default provider chain, asked once. */
  credentials?: () => Promise<Credentials>;
}

export class HopperClient {
  readonly endpoint: string;
  private readonly sign: boolean;
  private readonly env: Record<string, string | undefined>;
  private credentials?: Promise<Credentials>;
  private readonly credentialSource: () => Promise<Credentials>;

  constructor(options: ClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.env = options.env ?? {};
    this.sign = !isLoopback(this.endpoint);
    this.credentialSource = options.credentials ?? defaultCredentials;
  }

  createCluster(spec: unknown, dryRun: true): Promise<PlanView>;
  createCluster(spec: unknown, dryRun: false): Promise<AcceptedView>;
  createCluster(spec: unknown, dryRun: boolean): Promise<PlanView | AcceptedView> {
    return this.request('POST', '/v1/clusters', { body: spec, dryRun });
  }

  async listClusters(): Promise<ClusterSummary[]> {
    return listOf<ClusterSummary>(await this.request('GET', '/v1/clusters'), 'clusters');
  }

  getCluster(name: string): Promise<ClusterView> {
    return this.request('GET', `/v1/clusters/${enc(name)}`);
  }

  /** The spec with every default filled in. */
  getSpec(name: string): Promise<Record<string, unknown>> {
    return this.request('GET', `/v1/clusters/${enc(name)}/spec`);
  }

  deleteCluster(name: string, options: { deleteBackups?: boolean } = {}): Promise<AcceptedView> {
    return this.request('DELETE', `/v1/clusters/${enc(name)}${options.deleteBackups ? '?deleteBackups=true' : ''}`);
  }

  putInstanceGroup(cluster: string, group: InstanceGroupSpec): Promise<ClusterView> {
    return this.request('PUT', `/v1/clusters/${enc(cluster)}/instance-groups/${enc(group.name)}`, { body: group });
  }

  /** Dry run: the plan. Applied: 202 with the operation (or a plan with no changes). */
  updateCluster(name: string, dryRun: boolean): Promise<PlanView | AcceptedView> {
    return this.request('POST', `/v1/clusters/${enc(name)}/update`, { dryRun });
  }

  rollingUpdate(name: string, request: RollingUpdateRequest): Promise<AcceptedView | Record<string, unknown>> {
    const { dryRun, ...body } = request;
    return this.request('POST', `/v1/clusters/${enc(name)}/rolling-update`, { body, dryRun });
  }

  restoreCluster(name: string, backup: string): Promise<AcceptedView> {
    return this.request('POST', `/v1/clusters/${enc(name)}/restore`, { body: { backup } });
  }

  renewCertificates(name: string): Promise<AcceptedView> {
    return this.request('POST', `/v1/clusters/${enc(name)}/renew-certificates`);
  }

  upgrade(name: string, body: { kubernetesVersion?: string }, dryRun: boolean): Promise<AcceptedView | Record<string, unknown>> {
    return this.request('POST', `/v1/clusters/${enc(name)}/upgrade`, { body, dryRun });
  }

  /**
   * Validate once. The API runs the check as a short workflow (202 with its operation);
   * follow it and return the report it leaves on its Validate step. A server that answers
   * with the report directly is accepted too.
   */
  async validate(name: string, pollMs = 300): Promise<ValidationView> {
    const answer = await this.request<AcceptedView | ValidationView>('POST', `/v1/clusters/${enc(name)}/validate`, { body: {} });
    if ('ok' in answer) return answer;
    let op = answer.operation;
    while (op.status === 'Pending' || op.status === 'Running') {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      op = await this.getOperation(op.id);
    }
    const report = op.steps.find((s) => s.name === 'Validate')?.detail as ValidationView | undefined;
    if (op.status === 'Succeeded' && report) return report;
    const message = op.error ? `${op.error.code}: ${op.error.message}` : `the validation ended ${op.status}`;
    return { ok: false, nodes: [], failures: [{ kind: 'Validation', name, message }] };
  }

  kubeconfig(name: string, ttl?: string): Promise<{ kubeconfig: string; user?: string; expiresAt?: string; note?: string }> {
    return this.request('GET', `/v1/clusters/${enc(name)}/kubeconfig${ttl ? `?ttl=${enc(ttl)}` : ''}`);
  }

  /** The cluster's events, newest first. */
  listEvents(name: string, limit?: number): Promise<EventsList> {
    return this.request('GET', `/v1/clusters/${enc(name)}/events${limit ? `?limit=${limit}` : ''}`);
  }

  async listOperations(name: string): Promise<OperationView[]> {
    return listOf<OperationView>(await this.request('GET', `/v1/clusters/${enc(name)}/operations`), 'operations');
  }

  /** The cluster's etcd backups (newest first) and whether the newest is overdue. */
  listBackups(name: string): Promise<BackupsList> {
    return this.request('GET', `/v1/clusters/${enc(name)}/backups`);
  }

  getOperation(id: string): Promise<OperationView> {
    return this.request('GET', `/v1/operations/${enc(id)}`);
  }

  /** The operation's workflow, each state's run and (a running create) what remains of it. */
  getOperationGraph(id: string): Promise<OperationGraphView> {
    return this.request('GET', `/v1/operations/${enc(id)}/graph`);
  }

  /** One request: JSON in, JSON out, `ApiError` for any non-2xx. */
  /**
   * One API call. A 409 from an operation that has ended but waits for its last steps to
   * return (a delete right after a failed create) is asked again until that operation lets
   * go — at the latest by the moment the 409 names — instead of failing a user who did
   * nothing wrong.
   */
  async request<T>(method: string, path: string, options: { body?: unknown; dryRun?: boolean } = {}): Promise<T> {
    for (;;) {
      try {
        return await this.send<T>(method, path, options);
      } catch (err) {
        const until = endingHolder(err);
        if (until === undefined || Date.now() > until) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.retryMs, Math.max(0, until - Date.now()))));
      }
    }
  }

  /** How long to wait before asking again an operation that is ending (tests shorten it). */
  retryMs = 1000;

  private async send<T>(method: string, path: string, options: { body?: unknown; dryRun?: boolean }): Promise<T> {
    const url = `${this.endpoint}${path}${options.dryRun ? '?dryRun=true' : ''}`;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.sign) {
      this.credentials ??= this.credentialSource();
      headers = await signRequest({ method, url, headers, body }, { credentials: await this.credentials, region: regionFor(url, this.env) });
      // fetch sets Host itself and refuses to be told.
      delete headers.host;
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body });
    } catch (err) {
      throw new UnreachableError(this.endpoint, { cause: err });
    }
    const reply = readReply(res.status, res.statusText, await res.text());
    if (!reply.ok) throw new ApiError(res.status, reply.code, reply.message, reply.details);
    return reply.json as T;
  }
}

/** The epoch ms until which a 409's holder (ended, waiting for its steps) may hold on, if that is the 409. */
function endingHolder(err: unknown): number | undefined {
  if (!(err instanceof ApiError) || err.status !== 409) return undefined;
  const holder = err.details[0] as { waitingFor?: unknown; expiresAt?: unknown } | undefined;
  if (!Array.isArray(holder?.waitingFor) || holder.waitingFor.length === 0 || typeof holder.expiresAt !== 'string') return undefined;
  return Date.parse(holder.expiresAt) + 5_000;
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/** List routes may answer with a bare array or `{clusters: [...]}`/`{items: [...]}`; take either. */
function listOf<T>(reply: unknown, key: string): T[] {
  if (Array.isArray(reply)) return reply as T[];
  const obj = (reply ?? {}) as Record<string, unknown>;
  const list = obj[key] ?? obj.items;
  return Array.isArray(list) ? (list as T[]) : [];
}
