/**
 * An execution ended without passing through its own finish or failure step: stopped by
 * hand, timed out, failed outside a Catch (in AWS: the "Step Functions Execution Status
 * Change" EventBridge event), or cut off by a restart of the embedded runtime (which calls
 * this with `{execution}`). The operation is marked Interrupted (unless it already ended)
 * and its lock closed (released once its steps still running return), so the cluster is
 * never left locked by a dead workflow.
 */
import middy from '@middy/core';
import * as z from 'zod';
import { defaultDeps, type StepDeps } from '../lib/deps';
import { logger } from '../lib/step';
import { table } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

const executionInput = z.object({ cluster: z.string(), operationId: z.string() });
const event = z.union([
  z.object({ execution: z.looseObject({ input: z.string(), status: z.string().optional(), cause: z.string().optional(), executionArn: z.string().optional() }) }),
  z.object({ detail: z.looseObject({ input: z.string(), status: z.string(), cause: z.string().nullish(), executionArn: z.string().optional() }) }),
]);

export async function operationInterrupted(raw: unknown, deps: StepDeps): Promise<{ operationId?: string; interrupted: boolean }> {
  const parsed = event.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignoring an event that is not an execution status change', { issues: parsed.error.issues });
    return { interrupted: false };
  }
  const execution = 'execution' in parsed.data ? parsed.data.execution : parsed.data.detail;
  const input = executionInput.safeParse(JSON.parse(execution.input));
  if (!input.success) return { interrupted: false }; // not one of Hopper's operations
  const { cluster, operationId } = input.data;
  const op = await deps.store.getOperation(operationId);
  if (!op) return { operationId, interrupted: false };
  // A child execution (the image bake a create starts) carries its parent's operationId:
  // its end is the parent's to handle (CheckBake), not an interruption of the operation.
  if (execution.executionArn && op.executionArn && execution.executionArn !== op.executionArn) return { operationId, interrupted: false };
  const why = `the workflow ended without finishing (${execution.status ?? 'interrupted'}${execution.cause ? `: ${execution.cause}` : ''})`;
  if (op.status === 'Pending' || op.status === 'Running') {
    await deps.store.finishOperation(operationId, { status: 'Interrupted', error: { code: 'Interrupted', message: why, step: op.currentStep } });
    if (op.type === 'create') {
      await deps.store.mutateCluster(cluster, (r) => (r.status === 'Creating' || r.status === 'Pending' ? { status: 'Failed', message: `create ${why}; delete the cluster or create it again` } : undefined));
    }
  }
  if ('execution' in parsed.data) {
    // The embedded runtime restarted: every step it was running died with the old process.
    const released = await deps.store.releaseLock(cluster, operationId);
    return { operationId, interrupted: released.released };
  }
  // Closed, not released: a Lambda the stopped execution had started may still be running.
  const closed = await deps.store.closeLock(cluster, operationId);
  return { operationId, interrupted: closed.released || !!closed.waitingFor };
}

export const lambda = defineFunction({
  // An execution that dies outside its Catch (stopped, timed out) must not keep the cluster locked.
  events: [
    { eventBridge: { pattern: { source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'] } } } },
  ],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
  ],
});

export const handler = middy().handler((e: unknown) => operationInterrupted(e, defaultDeps()));
