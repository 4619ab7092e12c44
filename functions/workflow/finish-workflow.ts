/**
 * FinishCreate (and every workflow's success end): the cluster gets its final status, the
 * operation is Succeeded, and the lock is closed (released: nothing else of the operation
 * runs). Idempotent: a rerun changes nothing. A superseded operation refuses.
 */
import * as z from 'zod';
import { clusterStatusSchema } from '../../shared/api/schemas';
import { SupersededError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { table } from '../../shared/aws/iam';

const input = stepEnvelope.extend({ status: clusterStatusSchema, kubernetesVersion: z.string().optional(), message: z.string().optional() });

export async function finishWorkflow(event: z.infer<typeof input>, deps: StepDeps): Promise<{ status: string }> {
  const cluster = await deps.store.getCluster(event.cluster);
  if (cluster?.lock?.operationId !== event.operationId) {
    const op = await deps.store.getOperation(event.operationId);
    // A rerun after the first run finished and released the cluster: nothing left to do.
    if (op?.status === 'Succeeded') return { status: event.status };
    // A rerun after the first run closed the lock but died before marking the operation: a
    // take-over would have marked it Interrupted, so this one is ours to finish.
    if (op && (op.status === 'Pending' || op.status === 'Running') && cluster?.status === event.status) {
      await deps.store.finishOperation(event.operationId, { status: 'Succeeded' });
      return { status: event.status };
    }
    throw new SupersededError(`FinishWorkflow refused: operation ${event.operationId} no longer holds cluster ${event.cluster}; the cluster's status is left to ${cluster?.lock?.operationId ?? 'the next operation'}`);
  }
  await deps.store.mutateCluster(event.cluster, (record) =>
    record.status === event.status && (event.kubernetesVersion === undefined || record.kubernetesVersion === event.kubernetesVersion)
      ? undefined
      : { status: event.status, ...(event.kubernetesVersion ? { kubernetesVersion: event.kubernetesVersion } : {}), message: event.message ?? '' },
  );
  // The last stage (and any that a loop left open) ends with the workflow.
  const op = await deps.store.getOperation(event.operationId);
  for (const step of op?.steps ?? []) {
    if (step.status === 'Running') await deps.store.endStep(event.operationId, step.name, { status: 'Succeeded' });
  }
  await deps.store.closeLock(event.cluster, event.operationId);
  // Last: whoever sees the operation Succeeded then finds the cluster's status written and its lock closed.
  await deps.store.finishOperation(event.operationId, { status: 'Succeeded' });
  return { status: event.status };
}

export const step = defineStep({
  name: 'FinishWorkflow', input,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
  ],
  run: finishWorkflow,
});
export const { handler } = step;
