/**
 * RecordFailure: the Catch of every workflow ends here. It records the failed step and its
 * error on the operation (readable: the step's name, the AWS error), sets the cluster's
 * status, and closes the lock: no new step of the operation starts, and the cluster is free
 * once the steps still running in other branches have returned (shared/store/fencing.ts).
 * A superseded operation (another took the cluster over) records its own failure only.
 */
import * as z from 'zod';
import { clusterStatusSchema } from '../../shared/api/schemas';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { table } from '../../shared/aws/iam';

const input = stepEnvelope.extend({
  /** The cluster's status after the failure; absent for read-only operations (validate). */
  status: clusterStatusSchema.optional(),
  /** What the Catch captured: `{Error, Cause}`; Cause is JSON from Lambda or plain text. */
  failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

/** The readable message inside a Step Functions Cause. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return 'no cause given';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; errorType?: string };
    if (typeof parsed === 'object' && parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: States.* errors and Pass-made causes are plain text.
  }
  return cause;
}

export async function failWorkflow(event: z.infer<typeof input>, deps: StepDeps): Promise<{ status: string; waitingFor?: string[] }> {
  const op = await deps.store.getOperation(event.operationId);
  const code = event.failure?.Error ?? 'WorkflowFailed';
  const message = causeMessage(event.failure?.Cause);
  // The stage that failed: the one the step wrapper marked Failed, else the one running.
  const failed = op?.steps.find((s) => s.status === 'Failed') ?? op?.steps.find((s) => s.status === 'Running');
  const stepName = failed?.name ?? op?.currentStep ?? 'unknown';
  const error = { code, message: `${stepName}: ${message}`, step: stepName };
  const cluster = await deps.store.getCluster(event.cluster);
  if (event.status && cluster?.lock?.operationId !== event.operationId) {
    // Superseded (or a rerun after this step closed the lock): only our own record is ours to write.
    if (op && (op.status === 'Pending' || op.status === 'Running')) await deps.store.finishOperation(event.operationId, { status: 'Failed', error });
    return { status: 'unchanged' };
  }
  // Stages still running beside the failed one (parallel branches) stop with it.
  for (const s of op?.steps ?? []) {
    if (s.status !== 'Running') continue;
    const stageError = s.name === stepName ? { code, message } : { code: 'Cancelled', message: `stopped because ${stepName} failed` };
    await deps.store.endStep(event.operationId, s.name, { status: 'Failed', error: stageError });
  }
  const status = event.status;
  if (status) {
    await deps.store.mutateCluster(event.cluster, (record) =>
      record.status === status ? undefined : { status, message: `${stepName} failed: ${message}`.slice(0, 500) },
    );
  }
  const closed = await deps.store.closeLock(event.cluster, event.operationId);
  // Last: whoever sees the operation Failed then finds the cluster's status written and its lock closed.
  await deps.store.finishOperation(event.operationId, { status: 'Failed', error });
  return { status: event.status ?? 'unchanged', ...(closed.waitingFor ? { waitingFor: closed.waitingFor } : {}) };
}

export const step = defineStep({
  name: 'FailWorkflow', input,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
  ],
  run: failWorkflow,
});
export const { handler } = step;
