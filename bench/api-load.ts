/**
 * API load: requests per second and p50/p99 latency of `GET /v1/clusters` and
 * `GET /v1/clusters/{name}` on the embedded runtime with N clusters stored, seeded directly
 * through `ClusterStore` into the embedded dynalite, driven by autocannon over 127.0.0.1.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import autocannon from 'autocannon';
import { parseClusterSpec } from '../shared/spec';
import { ClusterStore } from '../shared/store';
import type { BenchControlPlane } from './lib/control-plane';
import { available, fmt, notAvailable, table, type Figure } from './lib/report';

export interface EndpointLoad {
  path: string;
  requests: number;
  /** Non-2xx answers and socket errors. */
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

export interface ApiLoadResult {
  clusters: number;
  durationSeconds: number;
  connections: number;
  endpoints: EndpointLoad[];
}

/** Seed `count` Ready clusters (valid specs, as the API would store them). */
export async function seedClusters(cp: BenchControlPlane, count: number, prefix = 'load'): Promise<string[]> {
  const tableName = process.env.HOPPER_TABLE;
  if (!tableName) throw new Error('HOPPER_TABLE is not set after startEmbedded');
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: cp.embedded.urls.dynamodb, region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const store = new ClusterStore({ ddb, tableName });
  const names: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `${prefix}-${String(i).padStart(3, '0')}`;
      const parsed = parseClusterSpec({ name, region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] });
      if (!parsed.ok) throw new Error(`seed spec invalid: ${JSON.stringify(parsed.problems).slice(0, 200)}`);
      await store.createCluster({ name, spec: parsed.spec, status: 'Ready', kubernetesVersion: parsed.spec.kubernetesVersion });
      names.push(name);
    }
  } finally {
    ddb.destroy();
  }
  return names;
}

async function load(url: string, durationSeconds: number, connections: number, paths: string[]): Promise<EndpointLoad> {
  const result = await autocannon({
    url,
    connections,
    duration: durationSeconds,
    // Several paths round-robin (one per cluster name for the single-cluster route).
    requests: paths.map((path) => ({ method: 'GET' as const, path })),
  });
  return {
    path: '',
    requests: result.requests.total,
    errors: result.non2xx + result.errors + result.timeouts,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: result.latency.average,
  };
}

export async function measureApiLoad(cp: BenchControlPlane, options: { clusters: number; durationSeconds: number; connections: number }): Promise<Figure<ApiLoadResult>> {
  const names = await seedClusters(cp, options.clusters);
  const list = await cp.request<{ clusters?: unknown[] }>('GET', '/v1/clusters');
  if (list.status !== 200) return notAvailable(`GET /v1/clusters answered ${list.status}`);
  const one = await cp.request('GET', `/v1/clusters/${names[0]}`);
  if (one.status !== 200) return notAvailable(`GET /v1/clusters/{name} answered ${one.status}: ${JSON.stringify(one.body).slice(0, 200)}`);
  const listLoad = { ...(await load(cp.api, options.durationSeconds, options.connections, ['/v1/clusters'])), path: 'GET /v1/clusters' };
  const getLoad = {
    ...(await load(cp.api, options.durationSeconds, options.connections, names.map((n) => `/v1/clusters/${n}`))),
    path: 'GET /v1/clusters/{name}',
  };
  return available({ clusters: (list.body.clusters ?? []).length, durationSeconds: options.durationSeconds, connections: options.connections, endpoints: [listLoad, getLoad] });
}

export function apiMarkdown(fig: Figure<ApiLoadResult>): string {
  if (!fig.ok) return `not available: ${fig.notAvailable}`;
  const v = fig.value;
  return [
    `${v.clusters} clusters stored; autocannon, ${v.connections} connections, ${v.durationSeconds} s per route, 127.0.0.1 (the embedded HTTP API invoking the handlers in-process over dynalite).`,
    '',
    table(
      ['route', 'requests', 'errors', 'req/s', 'p50 (ms)', 'p99 (ms)', 'mean (ms)'],
      v.endpoints.map((e) => [e.path, e.requests, e.errors, fmt(e.requestsPerSecond), fmt(e.p50Ms), fmt(e.p99Ms), fmt(e.meanMs)]),
    ),
  ].join('\n');
}
