/**
 * Executions that end outside their Catch, and operations whose end is never heard of:
 * - stopped by hand (StopExecution), or timed out (TimeoutSeconds passed — here by a jump of the
 *   simulated clock, which is time passing for Hopper's executions and leases too), Step
 *   Functions reports the status change to EventBridge, where Hopper's operationInterrupted rule
 *   ends the operation and releases the cluster — locally as in AWS;
 * - an operation whose end nobody reports holds the cluster until its lease runs out, and no
 *   longer: once the clock has passed it, the next operation takes the cluster over.
 */
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { localDynamoClients } from '../../local/dynamo';
import type { OperationView } from '../../shared/api/types';
import { ClusterStore } from '../../shared/store';
import { leaseSeconds, WORKFLOW_TIMEOUT_SECONDS } from '../../shared/workflow-limits';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';

const jump = async (seconds: number) => {
  const res = await fetch(`${cp.cloud}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: seconds }) });
  expect(res.status).toBe(200);
};

let cp: TestControlPlane;
beforeAll(async () => {
  // Slow enough that the create is still running when we stop it.
  cp = await startTestControlPlane({ timeScale: 20 });
}, 60_000);
afterAll(() => cp?.stop());

it('marks a stopped create Interrupted and frees the cluster for the next operation', async () => {
  const created = await cp.request<{ operation: { id: string; executionArn: string } }>('POST', '/v1/clusters', { name: 'stopped', region: 'us-east-1' });
  expect(created.status).toBe(202);
  const sfn = new SFNClient({ endpoint: cp.embedded.urls.stepFunctions, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await sfn.send(new StopExecutionCommand({ executionArn: created.body.operation.executionArn, cause: 'stopped by an operator' }));
  await cp.embedded.eventBridge.idle();
  const op = (await cp.request<OperationView>('GET', `/v1/operations/${created.body.operation.id}`)).body;
  expect(op.status).toBe('Interrupted');
  expect(op.error?.message).toMatch(/ABORTED/);
  const cluster = (await cp.request<{ status: string }>('GET', '/v1/clusters/stopped')).body;
  expect(cluster.status).toBe('Failed');
  // The lock is free: a delete is accepted.
  expect((await cp.request('DELETE', '/v1/clusters/stopped')).status).toBe(202);
  sfn.destroy();
}, 60_000);

it('times out a create the clock jumps past, marks it Interrupted, and frees the cluster', async () => {
  const created = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', { name: 'overdue', region: 'us-east-1' });
  expect(created.status).toBe(202);
  // Past the create's TimeoutSeconds while it runs (at time scale 20 it is minutes of real time from its end).
  await jump(WORKFLOW_TIMEOUT_SECONDS['create-cluster'] + 60);
  const op = await cp.waitForOperation(created.body.operation.id, 30_000);
  expect(op.status).toBe('Interrupted');
  expect(op.error?.message).toMatch(/TIMED_OUT/);
  await cp.embedded.eventBridge.idle();
  const cluster = (await cp.request<{ status: string }>('GET', '/v1/clusters/overdue')).body;
  expect(cluster.status).toBe('Failed');
}, 60_000);

it('lets an operation whose end was never heard of hold the cluster until its lease has passed on the jumped clock, then the next takes it over', async () => {
  // The lock such an operation leaves: its execution ended (or its runtime died) and no one said so.
  const { ddb } = localDynamoClients(cp.embedded.urls.dynamodb);
  const store = new ClusterStore({ ddb, tableName: process.env.HOPPER_TABLE! }); // set by the runtime as it started
  const lease = leaseSeconds('update-cluster');
  await store.beginOperation('overdue', { operationId: 'lost-update', type: 'update', owner: 'an execution whose end was never heard of', leaseSeconds: lease });

  const refused = await cp.request<{ error: { message: string } }>('DELETE', '/v1/clusters/overdue');
  expect(refused.status).toBe(409);
  expect(refused.body.error.message).toMatch(/lost-update/);
  // A minute short of the lease: still held.
  await jump(lease - 60);
  expect((await cp.request('DELETE', '/v1/clusters/overdue')).status).toBe(409);
  // Past it: the delete takes the cluster over, and the lost operation is marked as such.
  await jump(120);
  const deleted = await cp.request<{ operation: { id: string } }>('DELETE', '/v1/clusters/overdue');
  expect(deleted.status, JSON.stringify(deleted.body)).toBe(202);
  const lost = (await cp.request<OperationView>('GET', '/v1/operations/lost-update')).body;
  expect(lost.status).toBe('Interrupted');
  expect(lost.error).toMatchObject({ code: 'LeaseExpired' });
  const events = (await cp.request<{ events: { type: string; message: string }[] }>('GET', '/v1/clusters/overdue/events')).body.events;
  expect(events.find((e) => e.type === 'LockTakenOver')?.message).toMatch(new RegExp(`lost-update .* taken over by ${deleted.body.operation.id}`));
  const end = await cp.waitForOperation(deleted.body.operation.id, 90_000);
  expect(end.status, JSON.stringify(end.error)).toBe('Succeeded');
  ddb.destroy();
}, 120_000);
