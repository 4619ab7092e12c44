/**
 * Marks an instance group Degraded with why (in the record's `instanceGroups`), and a Ready
 * cluster Degraded with it; the next successful update or validation clears both. Used by the
 * instance events and the health sweep.
 */
import type { ClusterStore } from '../../shared/store';

export async function degradeGroup(deps: { store: ClusterStore; now(): Date }, cluster: string, group: string, message: string): Promise<void> {
  const since = deps.now().toISOString();
  await deps.store.mutateCluster(cluster, (current) => ({
    instanceGroups: { ...current.instanceGroups, [group]: { ...current.instanceGroups?.[group], status: 'Degraded', reason: message, since } },
    ...(current.status === 'Ready' ? { status: 'Degraded' as const, message } : {}),
  }));
}
