/**
 * BeginCreate (and the first state of every workflow): check that this operation holds
 * the cluster's lock, mark the cluster as busy, and return the lists the state machine's
 * Map states iterate. Idempotent: a rerun returns the same context.
 */
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import { needsApiLoadBalancer } from '../../shared/spec/api-endpoint';
import type { ClusterStatus } from '../../shared/store';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { table } from '../../shared/aws/iam';

const input = stepEnvelope.extend({ type: z.string() });

/** The cluster status while an operation of this type runs. */
const BUSY_STATUS: Record<string, ClusterStatus> = { create: 'Creating', delete: 'Deleting' };

export interface WorkflowContext {
  region: string;
  zones: string[];
  /** Zones that get a NAT gateway: every zone, the first only (single), none (public topology). */
  natZones: string[];
  groups: string[];
  needsLoadBalancer: boolean;
  bastion: boolean;
  kubernetesVersion: string;
}

export async function beginWorkflow(event: z.infer<typeof input>, deps: StepDeps): Promise<WorkflowContext> {
  const { record, spec } = await loadCluster(deps, event.cluster);
  if (record.lock?.operationId !== event.operationId) {
    throw new StepFailedError(
      `operation ${event.operationId} does not hold cluster ${event.cluster}` + (record.lock ? ` (${record.lock.operationId} does)` : ' (no operation does)'),
    );
  }
  const status = BUSY_STATUS[event.type] ?? 'Updating';
  if (record.status !== status) await deps.store.mutateCluster(event.cluster, () => ({ status }));
  const natZones = spec.topology === 'public' ? [] : spec.natMode === 'single' ? spec.zones.slice(0, 1) : [...spec.zones];
  return {
    region: spec.region,
    zones: spec.zones,
    natZones,
    groups: spec.instanceGroups.map((g) => g.name),
    needsLoadBalancer: needsApiLoadBalancer(spec),
    bastion: spec.bastion.enabled,
    kubernetesVersion: spec.kubernetesVersion,
  };
}

export const step = defineStep({
  name: 'BeginWorkflow', input,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
  ],
  run: beginWorkflow,
});
export const { handler } = step;
