/**
 * RecordValidation: the validate workflow's end. The report (nodes, failures, ok) becomes
 * the Validate step's detail, where `GET /v1/operations/{id}` shows it; the operation
 * Succeeded whether or not the cluster is valid (the report says which). An etcd backup older
 * than twice the cluster's backup interval is flagged in the report's `warnings`: the cluster
 * works, but losing it now would lose more than the interval promises.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { s3Client } from '../../shared/aws/clients/s3';
import { onBackupObjects, onBackupsBucket, table } from '../../shared/aws/iam';
import type { ClusterRecord } from '../../shared/store';
import { newestBackupOf } from '../backups/list';
import { withoutDegradedMarks } from '../events/degrade-group';
import { liveLock } from '../../shared/store/locks';
import { backupAge, backupPolicyOf } from '../backups/policy';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { worldNow } from '../../shared/clock';

const logger = new Logger({ serviceName: 'hopper-validate' });

const input = stepEnvelope.extend({
  result: z.looseObject({ ok: z.boolean(), failures: z.array(z.unknown()).optional(), nodes: z.array(z.unknown()).optional() }),
});

export interface ValidationWarning {
  kind: 'Backup';
  name: string;
  message: string;
}

/** The warning for an overdue etcd backup at `now` (the world's time), if it is; none when the bucket cannot be read (logged). */
export async function backupWarnings(deps: StepDeps, record: ClusterRecord, now: Date = worldNow()): Promise<ValidationWarning[]> {
  const bucket = process.env.HOPPER_BACKUPS_BUCKET;
  if (!bucket) return [];
  try {
    const newest = await newestBackupOf(deps.clients.s3, bucket, record);
    const policy = backupPolicyOf(record.spec);
    const age = backupAge(policy, newest ? new Date(newest.takenAt) : undefined, record.createdAt, now);
    if (!age.overdue) return [];
    const last = newest ? `the newest etcd backup (${newest.id}) is ${Math.round((age.ageSeconds ?? 0) / 60)} minutes old` : 'there is no etcd backup yet';
    return [{ kind: 'Backup', name: 'etcd', message: `${last}, more than twice the ${policy.intervalMinutes}-minute interval: backups are failing (the EtcdBackup commands' output says why)` }];
  } catch (err) {
    logger.warn('the backups bucket could not be read', { cluster: record.name, error: err as Error });
    return [];
  }
}

export async function finishValidation(event: z.infer<typeof input>, deps: StepDeps): Promise<{ ok: boolean }> {
  const record = await deps.store.requireCluster(event.cluster);
  const warnings = await backupWarnings(deps, record);
  const report = { ok: event.result.ok, nodes: event.result.nodes ?? [], failures: event.result.failures ?? [], warnings };
  // Every group at its size and every node Ready: what degraded a group is over, and a cluster
  // Degraded by it (and nothing else holding it) is Ready again.
  if (report.ok) {
    await deps.store.mutateCluster(event.cluster, (current) => {
      const reasons = Object.values(current.instanceGroups ?? {}).filter((g) => g.status === 'Degraded').map((g) => g.reason);
      if (reasons.length === 0) return undefined;
      // An operation still at work may change the groups; one that has ended (its lock closing)
      // or whose lease ran out holds nothing any more.
      const held = liveLock(current, deps.now().getTime());
      const byGroups = current.status === 'Degraded' && reasons.includes(current.message) && (!held || held.closing !== undefined || held.operationId === event.operationId);
      return { instanceGroups: withoutDegradedMarks(current.instanceGroups), ...(byGroups ? { status: 'Ready' as const, message: '' } : {}) };
    });
  }
  await deps.store.endStep(event.operationId, 'Validate', { status: 'Succeeded', detail: report });
  await deps.store.finishOperation(event.operationId, { status: 'Succeeded' });
  return { ok: report.ok };
}

export const step = defineStep({
  name: 'FinishValidation',
  input,
  clients: [s3Client],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    onBackupsBucket(['s3:ListBucket']),
    // HeadObject of the newest backups: whose incarnation each is.
    onBackupObjects(['s3:GetObject']),
  ],
  run: finishValidation,
});
export const { handler } = step;
