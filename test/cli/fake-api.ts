/**
 * A small stateful stand-in for Hopper's REST API, just enough for the CLI's tests: clusters,
 * instance groups (desired vs applied, for update plans), operations that advance one step per
 * poll with synthetic timestamps (8 s per step), validation results from a queue.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClusterView, InstanceGroupView, OperationView, PlanChange, PlanView } from '../../shared/api/types';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

interface Group extends InstanceGroupView {
  labels: Record<string, string>;
  taints: unknown[];
}

interface FakeCluster {
  spec: Record<string, unknown>;
  status: ClusterView['status'];
  desired: Group[];
  applied: Group[];
}

interface FakeOperation {
  view: OperationView;
  script: string[];
  failAt?: string;
  polls: number;
}

export interface ValidationReply {
  ok: boolean;
  failures: Array<{ kind: string; name: string; message: string }>;
  nodes: Array<{ name: string; role: string; ready: boolean }>;
  warnings?: Array<{ kind: string; name: string; message: string }>;
}

const BASE = Date.parse('2025-01-01T00:00:00Z');
const STEP_MS = 8000;
const at = (ms: number): string => new Date(BASE + ms).toISOString();

export class FakeApi {
  readonly requests: RecordedRequest[] = [];
  readonly clusters = new Map<string, FakeCluster>();
  /** DELETEs still refused with 409 because an ended operation waits for its last steps (as the real API does after a failed create). */
  deletesHeldByEndingOperation = 0;
  readonly operations = new Map<string, FakeOperation>();
  /** Steps the next create operation runs; a step named in `failAt` fails. */
  createSteps = ['CreateNetwork', 'BakeImage', 'CreateControlPlane', 'CreateNodes'];
  failAt?: string;
  validations: ValidationReply[] = [];
  /** The cluster view's newest backup (none until a test sets it). */
  lastBackup: ClusterView['lastBackup'];
  /** What `GET …/backups` lists, and `POST …/restore` accepts. */
  backups = [{ id: '2026-12-05T01-45-00Z', takenAt: '2026-12-05T01:45:00.000Z', revision: 42, sizeBytes: 2048, sha256: 'ab'.repeat(32) }];
  private server?: Server;
  private nextOp = 1;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** A Ready cluster with a control plane and a `nodes` group of 2, already applied. */
  seed(name: string): FakeCluster {
    const nodes: Group = { name: 'nodes', role: 'Node', machineType: 't3.medium', min: 2, max: 2, zones: ['us-east-1a', 'us-east-1b'], labels: {}, taints: [] };
    const cp: Group = { name: 'control-plane-us-east-1a', role: 'ControlPlane', machineType: 't3.large', min: 1, max: 1, zones: ['us-east-1a'], labels: {}, taints: [] };
    const cluster: FakeCluster = {
      spec: { name, region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'], kubernetesVersion: '1.31.4', networkCidr: '10.0.0.0/16', topology: 'private' },
      status: 'Ready',
      desired: [cp, nodes],
      applied: structuredClone([cp, nodes]),
    };
    this.clusters.set(name, cluster);
    return cluster;
  }

  requestsTo(method: string, pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? JSON.parse(raw) : undefined;
    const rec = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body };
    this.requests.push(rec);
    const send = (status: number, data: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data));
    };
    const fail = (status: number, code: string, message: string, details: unknown[] = []): void => send(status, { error: { code, message, details } });
    const dryRun = url.searchParams.get('dryRun') === 'true';
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [, resource, name, sub, group] = parts;
    const cluster = name ? this.clusters.get(name) : undefined;

    if (resource === 'operations' && name && sub === 'graph') {
      // What the CLI reads of the graph: a running create's estimate (8 s per step not yet done).
      const op = this.operations.get(name);
      if (!op) return fail(404, 'NotFound', `operation ${name} not found`);
      const left = op.script.length - op.view.steps.filter((st) => st.status === 'Succeeded').length;
      const running = op.view.type === 'create' && op.view.status === 'Running';
      return send(200, { operation: op.view, execution: running ? 'RUNNING' : 'SUCCEEDED', graph: { nodes: [], edges: [], groups: [] }, states: {}, criticalPath: [], ...(running ? { estimate: { remainingSeconds: left * (STEP_MS / 1000), pathSeconds: op.script.length * (STEP_MS / 1000), next: [] } } : {}) });
    }
    if (resource === 'operations' && name) {
      const op = this.operations.get(name);
      return op ? send(200, this.advance(op)) : fail(404, 'NotFound', `operation ${name} not found`);
    }
    if (resource !== 'clusters') return fail(404, 'NotFound', 'no such route');

    if (!name) {
      if (rec.method === 'GET') return send(200, { clusters: [...this.clusters.values()].map((c) => this.summary(c)) });
      const spec = body as Record<string, unknown>;
      const problems: Array<{ path: string; message: string }> = [];
      if (typeof spec.name !== 'string' || !/^[a-z0-9.-]+$/.test(spec.name)) problems.push({ path: 'name', message: 'must be a DNS name' });
      if (!Array.isArray(spec.zones) || spec.zones.length === 0) problems.push({ path: 'zones', message: 'at least one zone is required' });
      if (spec.networkCidr !== undefined && !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(String(spec.networkCidr))) problems.push({ path: 'networkCidr', message: 'not a CIDR block' });
      if (problems.length) return fail(400, 'InvalidSpec', 'the cluster spec is invalid', problems);
      if (this.clusters.has(String(spec.name))) return fail(409, 'AlreadyExists', `cluster ${String(spec.name)} already exists`);
      if (dryRun) {
        const plan: PlanView = {
          cluster: String(spec.name),
          changes: [
            { action: 'create', kind: 'VPC', name: String(spec.name), fields: [{ field: 'CidrBlock', to: spec.networkCidr ?? '10.0.0.0/16' }] },
            { action: 'create', kind: 'AutoscalingGroup', name: 'nodes', fields: [{ field: 'MinSize', to: 2 }, { field: 'MaxSize', to: 2 }] },
          ],
          rollingUpdateRequired: false,
          summary: '2 to create',
        };
        return send(200, plan);
      }
      const created = this.seed(String(spec.name));
      created.spec = { ...spec };
      created.status = 'Creating';
      const op = this.startOperation(String(spec.name), 'create', this.createSteps);
      return send(202, { cluster: this.summary(created), operation: op.view });
    }

    if (!cluster) return fail(404, 'NotFound', `cluster ${name} not found`);
    if (!sub && rec.method === 'GET') return send(200, this.view(name, cluster));
    if (!sub && rec.method === 'DELETE') {
      if (this.deletesHeldByEndingOperation > 0) {
        this.deletesHeldByEndingOperation -= 1;
        const expiresAt = new Date(Date.now() + 60_000).toISOString();
        return send(409, {
          error: {
            code: 'Conflict',
            message: `cluster ${name} is busy: operation op-create (create) has ended but still holds it until its step EnsureSecurityGroups returns (at the latest ${expiresAt})`,
            details: [{ cluster: name, operationId: 'op-create', type: 'create', owner: 'x', since: at(0), expiresAt, endedAt: at(1), waitingFor: ['EnsureSecurityGroups'] }],
          },
        });
      }
      cluster.status = 'Deleting';
      const op = this.startOperation(name, 'delete', ['DeleteNodes', 'DeleteNetwork']);
      return send(202, { cluster: this.summary(cluster), operation: op.view });
    }
    if (sub === 'spec') return send(200, { ...cluster.spec, instanceGroups: cluster.desired.filter((g) => g.role === 'Node') });
    if (sub === 'instance-groups' && group && rec.method === 'PUT') {
      const g = body as Group;
      const problems: Array<{ path: string; message: string }> = [];
      if (!(g.min <= g.max)) problems.push({ path: 'min', message: 'must not exceed max' });
      if (typeof g.machineType !== 'string') problems.push({ path: 'machineType', message: 'required' });
      if (problems.length) return fail(400, 'InvalidInstanceGroup', 'the instance group is invalid', problems);
      const i = cluster.desired.findIndex((x) => x.name === group);
      const role = i >= 0 ? cluster.desired[i].role : 'Node';
      const next = { ...g, role };
      if (i >= 0) cluster.desired[i] = next;
      else cluster.desired.push(next);
      return send(200, this.view(name, cluster));
    }
    if (sub === 'update') {
      const plan = this.plan(name, cluster);
      if (dryRun || plan.changes.length === 0) return send(200, plan);
      cluster.applied = structuredClone(cluster.desired);
      const op = this.startOperation(name, 'update', ['UpdateLaunchTemplates', 'UpdateAutoScalingGroups']);
      return send(202, { cluster: this.summary(cluster), operation: op.view });
    }
    if (sub === 'rolling-update') {
      const req = (body ?? {}) as { instanceGroups?: string[] };
      if (dryRun) {
        // The API's plan (functions/rolling/common.ts planView): every instance of the groups asked for is out of date.
        const groups = cluster.applied.filter((g) => !req.instanceGroups || req.instanceGroups.includes(g.name));
        const replace = (g: { name: string; max: number }) => Array.from({ length: g.max }, (_, i) => ({ instanceId: `i-${g.name}-${i}`, reason: 'launch template version 1, not 2' }));
        const plan = { controlPlane: { replace: [] }, instanceGroups: groups.map((g) => ({ name: g.name, desired: g.max, upToDate: 0, replace: replace(g) })), remaining: groups.reduce((n, g) => n + g.max, 0) };
        return send(200, { cluster: this.summary(cluster), plan });
      }
      const op = this.startOperation(name, 'rolling-update', ['RollControlPlane', 'RollNodes']);
      return send(202, { cluster: this.summary(cluster), operation: op.view });
    }
    if (sub === 'upgrade') {
      const target = (body as { kubernetesVersion?: string } | undefined)?.kubernetesVersion ?? '1.32.0';
      if (dryRun) return send(200, { from: cluster.spec.kubernetesVersion, to: target });
      const op = this.startOperation(name, 'upgrade', ['BakeImage', 'UpgradeControlPlane', 'RollNodes']);
      return send(202, { cluster: this.summary(cluster), operation: op.view });
    }
    if (sub === 'events') return send(200, { events: [{ at: at(60_000), type: 'ScaleAccepted', message: 'scaling nodes (min 2 → 3) as operation op-9' }, { at: at(0), type: 'NodeRepairSkipped', message: 'repair of i-0abc skipped: the cluster is busy' }] });
    if (sub === 'backups') return send(200, { intervalMinutes: 15, lastBackupAgeSeconds: 60, overdue: false, backups: this.backups });
    if (sub === 'restore' && rec.method === 'POST') {
      const id = (body as { backup?: string } | undefined)?.backup;
      if (!this.backups.some((b) => b.id === id)) return fail(404, 'NotFound', `cluster ${name} has no backup ${id} (hopper get backups ${name} lists them)`);
      const op = this.startOperation(name, 'restore', ['Verify', 'Restore', 'Validate']);
      return send(202, { cluster: this.summary(cluster), operation: op.view });
    }
    if (sub === 'validate') {
      return send(200, this.validations.shift() ?? { ok: true, failures: [], nodes: [{ name: 'i-1', role: 'control-plane', ready: true }] });
    }
    if (sub === 'kubeconfig') {
      return send(200, {
        user: 'arn:aws:iam::000000000000:root',
        expiresAt: '2026-01-01T01:00:00.000Z',
        // Entries named as a kubeadm admin.conf names them (the same in every cluster): the CLI must not trust the served names.
        kubeconfig: [
          'apiVersion: v1',
          'kind: Config',
          `clusters:\n- name: ${name}\n  cluster:\n    server: https://api.${name}:6443`,
          `users:\n- name: kubernetes-admin\n  user:\n    token: secret-of-${name}`,
          `contexts:\n- name: kubernetes-admin@${name}\n  context:\n    cluster: ${name}\n    user: kubernetes-admin`,
          `current-context: kubernetes-admin@${name}`,
          '',
        ].join('\n'),
      });
    }
    if (sub === 'operations') return send(200, { operations: [...this.operations.values()].filter((o) => o.view.cluster === name).map((o) => o.view) });
    return fail(404, 'NotFound', 'no such route');
  }

  private startOperation(cluster: string, type: OperationView['type'], script: string[]): FakeOperation {
    const id = `op-${this.nextOp++}`;
    const op: FakeOperation = {
      view: { id, cluster, type, status: 'Running', steps: [], startedAt: at(0), executionArn: `arn:aws:states:us-east-1:000000000000:execution:hopper-${type}:${id}` },
      script,
      failAt: type === 'create' ? this.failAt : undefined,
      polls: 0,
    };
    this.operations.set(id, op);
    return op;
  }

  /** Each poll finishes the running step (8 s after it started) and starts the next one. */
  private advance(op: FakeOperation): OperationView {
    const v = op.view;
    if (v.status !== 'Running') return v;
    const i = op.polls++;
    const running = v.steps[v.steps.length - 1];
    if (running) {
      running.endedAt = at(i * STEP_MS);
      if (running.name === op.failAt) {
        running.status = 'Failed';
        running.error = { code: 'InsufficientInstanceCapacity', message: 'no t3.large capacity in us-east-1a' };
        v.status = 'Failed';
        v.endedAt = running.endedAt;
        v.error = { code: 'InsufficientInstanceCapacity', message: 'no t3.large capacity in us-east-1a', step: running.name };
        return v;
      }
      running.status = 'Succeeded';
    }
    const next = op.script[v.steps.length];
    if (next) {
      v.steps.push({ name: next, status: 'Running', startedAt: at(i * STEP_MS) });
      v.currentStep = next;
    } else {
      v.status = 'Succeeded';
      v.endedAt = at(i * STEP_MS);
      v.currentStep = undefined;
      const c = this.clusters.get(v.cluster);
      if (c) c.status = v.type === 'delete' ? 'Deleted' : 'Ready';
    }
    return v;
  }

  private plan(name: string, c: FakeCluster): PlanView {
    const changes: PlanChange[] = [];
    for (const g of c.desired) {
      const old = c.applied.find((a) => a.name === g.name);
      if (!old) {
        changes.push({ action: 'create', kind: 'AutoscalingGroup', name: g.name, fields: [{ field: 'MinSize', to: g.min }, { field: 'MaxSize', to: g.max }] });
        continue;
      }
      const fields = [
        ['MinSize', old.min, g.min],
        ['MaxSize', old.max, g.max],
        ['InstanceType', old.machineType, g.machineType],
      ]
        .filter(([, a, b]) => a !== b)
        .map(([field, from, to]) => ({ field: String(field), from, to }));
      if (fields.length) changes.push({ action: 'update', kind: 'AutoscalingGroup', name: g.name, fields });
    }
    const rolling = changes.some((ch) => ch.fields.some((f) => f.field === 'InstanceType'));
    return { cluster: name, changes, rollingUpdateRequired: rolling, summary: `${changes.length} to change` };
  }

  private summary(c: FakeCluster) {
    return {
      name: String(c.spec.name),
      status: c.status,
      region: String(c.spec.region),
      kubernetesVersion: c.spec.kubernetesVersion as string | undefined,
      zones: c.spec.zones as string[],
      createdAt: at(0),
    };
  }

  private view(name: string, c: FakeCluster): ClusterView {
    return {
      name,
      status: c.status,
      kubernetesVersion: c.spec.kubernetesVersion as string | undefined,
      spec: c.spec,
      instanceGroups: c.desired.map(({ labels: _l, taints: _t, ...g }) => g),
      resources: [
        { type: 'VPC', id: 'vpc-0abc', ownership: 'owned' },
        { type: 'Subnet', id: 'subnet-0a', zone: 'us-east-1a', ownership: 'owned' },
      ],
      ...(this.lastBackup ? { lastBackup: this.lastBackup } : {}),
      createdAt: at(0),
      updatedAt: at(0),
    };
  }
}
