/**
 * An execution stopped by hand (StopExecution) ends outside its Catch. Step Functions
 * reports the status change to EventBridge, where Hopper's operationInterrupted rule marks
 * the operation Interrupted and releases the cluster — locally as in AWS.
 */
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OperationView } from '../../shared/api/types';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';

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
