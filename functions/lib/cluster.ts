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
  const record = await deps.store.requireCluster(name);
  return { record, spec: record.spec };
}
