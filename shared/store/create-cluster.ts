/** Creating a cluster incarnation, optionally holding the create operation's lock from the start. */
import type { ClusterSpec } from '../spec';
import { ConflictError } from '../errors';
import { getCluster, putNewCluster } from './clusters';
import type { StoreContext } from './context';
import { newLock, newOperation, type BeginOperationInput } from './locks';
import { putOperationOnce } from './operations';
import type { ClusterRecord, ClusterStatus, InstanceGroupStatus, OperationRecord } from './types';

export interface CreateClusterInput {
  name: string;
  spec: ClusterSpec;
  /** Defaults to Pending. */
  status?: ClusterStatus;
  kubernetesVersion?: string;
  instanceGroups?: Record<string, InstanceGroupStatus>;
  /**
   * The create operation: the new item is written already locked by it, so no other
   * operation can slip in between "created" and "being created".
   */
  operation?: BeginOperationInput;
}

export interface CreateClusterResult {
  cluster: ClusterRecord;
  operation?: OperationRecord;
}

/**
 * Create a cluster under a free name (absent, or whose incarnation is Deleted: that one is
 * kept in history). ConflictError('name taken …') otherwise — except for a retry of the same
 * create operation (same operationId), which returns the incarnation it created.
 */
export async function createCluster(ctx: StoreContext, input: CreateClusterInput): Promise<CreateClusterResult> {
  const now = ctx.now().toISOString();
  const lock = input.operation ? newLock(ctx, input.operation) : undefined;
  const cluster: ClusterRecord = {
    name: input.name,
    uid: ctx.newId(),
    spec: input.spec,
    status: input.status ?? 'Pending',
    ...(input.kubernetesVersion === undefined ? {} : { kubernetesVersion: input.kubernetesVersion }),
    instanceGroups: input.instanceGroups ?? {},
    version: 1,
    createdAt: now,
    updatedAt: now,
    ...(input.operation && lock ? { lastOperationId: input.operation.operationId, lock } : {}),
  };
  let stored = cluster;
  try {
    await putNewCluster(ctx, cluster);
  } catch (error) {
    const existing = error instanceof ConflictError && input.operation ? await getCluster(ctx, input.name) : undefined;
    if (!existing || existing.lastOperationId !== input.operation?.operationId || existing.status === 'Deleted') throw error;
    stored = existing;
  }
  if (!input.operation || !lock) return { cluster: stored };
  const operation = await putOperationOnce(ctx, newOperation(stored, input.operation, stored.lock ?? lock));
  return { cluster: stored, operation };
}
