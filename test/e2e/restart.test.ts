/**
 * A restart in the middle of a workflow, with HOPPER_DATA_DIR: the running create is not
 * silently lost — after the restart its operation is Interrupted and the cluster's lock is
 * released, so a delete is accepted at once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationView } from '../../shared/api/types';
import { sleep, startHopper, type Hopper } from './harness';

const NAME = 'e2e-restart';
let dataDir: string;
let first: Hopper | undefined;
let second: Hopper | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hopper-e2e-restart-'));
});

afterAll(async () => {
  await first?.stop();
  await second?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function call<T = Record<string, unknown>>(api: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

describe('npm start with HOPPER_DATA_DIR, restarted mid-workflow', () => {
  it('marks the running operation Interrupted and releases the cluster lock', async () => {
    // Slow simulated time: the create is still at work when it is stopped.
    first = await startHopper({ dataDir, timeScale: 20 });
    const created = await call<{ operation: OperationView }>(first.api, 'POST', '/v1/clusters', { name: NAME, region: 'us-east-1', zones: ['us-east-1a'] });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const id = created.body.operation.id;

    // Let it get going (a step or two), then Ctrl-C.
    const deadline = Date.now() + 20_000;
    let op: OperationView;
    for (;;) {
      op = (await call<OperationView>(first.api, 'GET', `/v1/operations/${id}`)).body;
      if ((op.status === 'Running' && op.steps.length > 0) || Date.now() > deadline) break;
      await sleep(150);
    }
    expect(op.status, JSON.stringify(op)).toBe('Running');
    await sleep(500);
    // A second operation is refused while the create holds the lock.
    expect((await call(first.api, 'DELETE', `/v1/clusters/${NAME}`)).status).toBe(409);
    await first.stop();
    expect(first.output()).toMatch(/SIGINT: stopping/);

    second = await startHopper({ dataDir, timeScale: 400 });
    const until = Date.now() + 15_000;
    let after: OperationView;
    for (;;) {
      const res = await call<OperationView>(second.api, 'GET', `/v1/operations/${id}`);
      expect(res.status, `the operation was lost: ${JSON.stringify(res.body)}\n${second.output()}`).toBe(200);
      after = res.body;
      if (!['Pending', 'Running'].includes(after.status) || Date.now() > until) break;
      await sleep(200);
    }
    expect(after.status, `${JSON.stringify(after)}\n${second.output()}`).toBe('Interrupted');
    expect(after.error?.code).toBe('Interrupted');

    const cluster = await call<{ status: string }>(second.api, 'GET', `/v1/clusters/${NAME}`);
    expect(cluster.status).toBe(200);
    expect(cluster.body.status).toBe('Failed');

    // The lock is free: a delete is accepted.
    const del = await call<{ operation: OperationView }>(second.api, 'DELETE', `/v1/clusters/${NAME}`);
    expect(del.status, JSON.stringify(del.body)).toBe(202);
    expect(del.body.operation.type).toBe('delete');
  }, 60_000);
});
