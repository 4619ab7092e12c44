/** Reading the cluster a step works on: its record and its desired spec. */
import type { ClusterSpec } from '../../shared/spec';
import type { ClusterRecord } from '../../shared/store';
import type { StepDeps } from './deps';

export interface LoadedCluster {
  record: ClusterRecord;
  spec: ClusterSpec;
}

/**
 * The cluster's record and spec. The spec was validated and filled with defaults when it
 * was stored, so steps read it as a ClusterSpec.
 */
export async function loadCluster(deps: StepDeps, name: string): Promise<LoadedCluster> {
  // The record the step's fenced entry returned serves its first read: it is what a read
  // right after would have found, and the step's later reads go to the store.
  const entered = deps.entered?.record;
  if (deps.entered) deps.entered.record = undefined;
  const record = entered?.name === name && entered.status !== 'Deleted' ? entered : await deps.store.requireCluster(name);
  return { record, spec: record.spec };
}
