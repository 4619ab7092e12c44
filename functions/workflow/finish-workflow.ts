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
import type { ClusterRecord, ClusterStatus } from '../../shared/store';
import { withoutDegradedMarks } from '../events/degrade-group';

const input = stepEnvelope.extend({
  status: clusterStatusSchema,
  kubernetesVersion: z.string().optional(),
  message: z.string().optional(),
  /**
   * A repair's: the group it made whole again. Its Degraded mark goes; the cluster gets `status`
   * only if no other group is still Degraded (a repair of one group says nothing of another's
   * trouble), else stays Degraded with that group's reason.
   */
  repairedGroup: z.string().optional(),
});

/** The cluster's status and message once `repairedGroup` is whole again, and its groups without that group's mark. */
function afterRepair(record: ClusterRecord, repairedGroup: string, status: ClusterStatus): { status: ClusterStatus; message: string; instanceGroups: ClusterRecord['instanceGroups'] } {
  const groups = withoutDegradedMarks(record.instanceGroups, [repairedGroup]);
  const still = Object.entries(groups ?? {}).find(([, g]) => g.status === 'Degraded');
  return still ? { status: 'Degraded', message: String(still[1].reason ?? `instance group ${still[0]} is degraded`), instanceGroups: groups } : { status, message: '', instanceGroups: groups };
}

export async function finishWorkflow(event: z.infer<typeof input>, deps: StepDeps): Promise<{ status: string }> {
  const cluster = await deps.store.getCluster(event.cluster);
  if (cluster?.lock?.operationId !== event.operationId) {
    const op = await deps.store.getOperation(event.operationId);
    // A rerun after the first run finished and released the cluster: nothing left to do.
    if (op?.status === 'Succeeded') return { status: event.status };
    // A rerun after the first run closed the lock but died before marking the operation: a
    // take-over would have marked it Interrupted, so this one is ours to finish.
    if (op && (op.status === 'Pending' || op.status === 'Running') && (cluster?.status === event.status || (event.repairedGroup !== undefined && cluster?.status === 'Degraded'))) {
      await deps.store.finishOperation(event.operationId, { status: 'Succeeded' });
      return { status: event.status };
    }
    throw new SupersededError(`FinishWorkflow refused: operation ${event.operationId} no longer holds cluster ${event.cluster}; the cluster's status is left to ${cluster?.lock?.operationId ?? 'the next operation'}`);
  }
  await deps.store.mutateCluster(event.cluster, (record) => {
    if (event.repairedGroup !== undefined) return afterRepair(record, event.repairedGroup, event.status);
    // A workflow that ends Ready made every group whole (it validated): the groups' marks go.
    const marked = event.status === 'Ready' && Object.values(record.instanceGroups ?? {}).some((g) => g.status === 'Degraded');
    return record.status === event.status && !marked && (event.kubernetesVersion === undefined || record.kubernetesVersion === event.kubernetesVersion)
      ? undefined
      : {
          status: event.status,
          ...(event.kubernetesVersion ? { kubernetesVersion: event.kubernetesVersion } : {}),
          message: event.message ?? '',
          ...(marked ? { instanceGroups: withoutDegradedMarks(record.instanceGroups) } : {}),
        };
  });
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
