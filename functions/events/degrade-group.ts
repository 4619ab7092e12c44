/**
 * Marks an instance group Degraded with why (in the record's `instanceGroups`), and a Ready
 * cluster Degraded with it; the next successful update or validation clears both. Used by the
 * instance events and the health sweep.
 */
import type { ClusterRecord, ClusterStore } from '../../shared/store';

export async function degradeGroup(deps: { store: ClusterStore; now(): Date }, cluster: string, group: string, message: string): Promise<void> {
  const since = deps.now().toISOString();
  await deps.store.mutateCluster(cluster, (current) => ({
    instanceGroups: { ...current.instanceGroups, [group]: { ...current.instanceGroups?.[group], status: 'Degraded', reason: message, since } },
    ...(current.status === 'Ready' ? { status: 'Degraded' as const, message } : {}),
  }));
}

/** `groups` without the Degraded mark (status, reason, since) of the groups named, or of every group. */
export function withoutDegradedMarks(groups: ClusterRecord['instanceGroups'], names?: readonly string[]): ClusterRecord['instanceGroups'] {
  if (!groups) return groups;
  const out: NonNullable<ClusterRecord['instanceGroups']> = {};
  for (const [name, g] of Object.entries(groups)) {
    if (g.status === 'Degraded' && (!names || names.includes(name))) {
      const { status: _status, reason: _reason, since: _since, ...rest } = g;
      out[name] = rest;
    } else out[name] = g;
  }
  return out;
}
