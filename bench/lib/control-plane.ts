/**
 * The embedded control plane as the benchmarks drive it: over HTTP, like a user, plus the
 * simulator's inspection routes and the Step Functions runtime's counters.
 */
import { startEmbedded, type Embedded } from '../../local/start';
import type { OperationView } from '../../shared/api/types';

export interface LatencySpecJson {
  typical: number;
  min: number;
  max: number;
}

export interface CallCounters {
  [serviceAction: string]: { calls: number; errors: Record<string, number> };
}

export interface BenchControlPlane {
  embedded: Embedded;
  api: string;
  cloud: string;
  timeScale: number;
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  sim<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Lambda invocations by function name since start (every caller: API, workflows, schedules). */
  invocations: Map<string, number>;
  stop(): Promise<void>;
}

export async function startControlPlane(options: { timeScale: number }): Promise<BenchControlPlane> {
  const embedded = await startEmbedded({ port: 0, cloudPort: 0, timeScale: options.timeScale, quiet: true, schedules: false });
  const api = embedded.urls.api;
  const cloud = embedded.urls.cloud;
  if (!cloud) {
    await embedded.stop();
    throw new Error('the cloud simulator did not start (external cloud endpoints are set in the environment)');
  }
  // Count invocations: the Step Functions runtime calls the same invoker object.
  const invocations = new Map<string, number>();
  const original = embedded.lambda.invoke.bind(embedded.lambda);
  embedded.lambda.invoke = (name, event) => {
    invocations.set(name, (invocations.get(name) ?? 0) + 1);
    return original(name, event);
  };
  const request = async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T };
  };
  const sim = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${cloud}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`simulator ${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return { embedded, api, cloud, timeScale: options.timeScale, request, sim, invocations, stop: () => embedded.stop() };
}

/**
 * Make the simulator deterministic in time: every latency at its typical value
 * (`POST /_sim/latencies` with min = max = typical; the model returns `typical` when
 * max ≤ min). Returns the latencies in force afterwards.
 */
export async function fixLatenciesToTypical(cp: BenchControlPlane): Promise<Record<string, LatencySpecJson>> {
  const all = await cp.sim<Record<string, LatencySpecJson>>('GET', '/_sim/latencies');
  const fixed: Record<string, LatencySpecJson> = {};
  for (const [key, spec] of Object.entries(all)) fixed[key] = { typical: spec.typical, min: spec.typical, max: spec.typical };
  return cp.sim<Record<string, LatencySpecJson>>('POST', '/_sim/latencies', fixed);
}

export async function simCalls(cp: BenchControlPlane): Promise<CallCounters> {
  return cp.sim<CallCounters>('GET', '/_sim/calls');
}

/** The difference of two call-counter snapshots (calls made in between). */
export function diffCalls(before: CallCounters, after: CallCounters): CallCounters {
  const out: CallCounters = {};
  for (const [key, a] of Object.entries(after)) {
    const b = before[key] ?? { calls: 0, errors: {} };
    const calls = a.calls - b.calls;
    const errors: Record<string, number> = {};
    for (const [code, n] of Object.entries(a.errors)) {
      const d = n - (b.errors[code] ?? 0);
      if (d > 0) errors[code] = d;
    }
    if (calls > 0) out[key] = { calls, errors };
  }
  return out;
}

export function totalCalls(calls: CallCounters): number {
  return Object.values(calls).reduce((n, c) => n + c.calls, 0);
}

export function errorCount(calls: CallCounters, code: string): number {
  return Object.values(calls).reduce((n, c) => n + (c.errors[code] ?? 0), 0);
}

export function diffInvocations(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of after) {
    const d = n - (before.get(name) ?? 0);
    if (d > 0) out[name] = d;
  }
  return out;
}

export type WaitOutcome =
  | { kind: 'done'; operation: OperationView; wallMs: number }
  | { kind: 'hung'; operation?: OperationView; wallMs: number; reason: string };

/**
 * Poll an operation until it ends. It is "hung" when nothing changes (status, current
 * step, steps) for `stallMs` of wall time, or when `deadlineMs` passes.
 */
export async function waitForOperation(
  cp: BenchControlPlane,
  id: string,
  options: { deadlineMs: number; stallMs?: number; pollMs?: number },
): Promise<WaitOutcome> {
  const started = Date.now();
  const stallMs = options.stallMs ?? options.deadlineMs;
  let last = '';
  let lastChange = Date.now();
  let op: OperationView | undefined;
  for (;;) {
    const res = await cp.request<OperationView>('GET', `/v1/operations/${encodeURIComponent(id)}`);
    if (res.status === 200) {
      op = res.body;
      if (!['Pending', 'Running'].includes(op.status)) return { kind: 'done', operation: op, wallMs: Date.now() - started };
      const fingerprint = JSON.stringify([op.status, op.currentStep, op.steps]);
      if (fingerprint !== last) {
        last = fingerprint;
        lastChange = Date.now();
      }
    }
    const now = Date.now();
    if (now - lastChange > stallMs) return { kind: 'hung', operation: op, wallMs: now - started, reason: `no progress for ${stallMs} ms at ${op?.currentStep ?? '?'}` };
    if (now - started > options.deadlineMs) return { kind: 'hung', operation: op, wallMs: now - started, reason: `deadline ${options.deadlineMs} ms passed at ${op?.currentStep ?? '?'}` };
    await sleep(options.pollMs ?? 100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A one-line reason from anything thrown. */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].slice(0, 300);
}

/** Quiet the steps' structured logs (failed steps log at ERROR); an explicit setting wins. */
export function quietStepLogs(): void {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.LOG_LEVEL ??= 'SILENT';
}
