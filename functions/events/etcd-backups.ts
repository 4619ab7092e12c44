/**
 * etcdBackups (every SWEEP_MINUTES): an etcd snapshot of every live cluster whose backup
 * interval has passed (its spec's `backups`), to the deployment's backups bucket, and the
 * backups its retention rule no longer keeps deleted (functions/backups/policy.ts).
 *
 * The snapshot is taken on one control-plane instance over SSM (etcdctl, then `aws s3 cp` with
 * the host's role, which may write its own cluster's prefix only): fire and forget, one command
 * per cluster and slot, so a retried invocation finds the command it sent, and a failure shows in
 * the command's history, in the backups' ages (`GET /v1/clusters/{name}/backups`, validation) and
 * is tried again next slot. A cluster being created, deleted or already deleted is skipped;
 * a busy one is not: a backup is most worth having before and during a change.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { renderEtcdSnapshotScript } from '../../shared/render';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { s3Client } from '../../shared/aws/clients/s3';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { allow, anywhere, getAtt, onBackupObjects, onBackupsBucket, runShellScript, tableIndex } from '../../shared/aws/iam';
import type { ClusterRecord } from '../../shared/store';
import { listBackups } from '../backups/list';
import { SWEEP_MINUTES, backupDue, backupId, backupKey, backupPolicyOf, backupsBucket, expiredBackups, takenAt } from '../backups/policy';
import { sendScript } from '../commands/send-script';
import { loadRenderContext } from '../control-plane/render-context';
import { defaultDeps, type StepDeps } from '../lib/deps';
import { defineFunction } from '../lib/function';
import { kubectlRunner } from '../rolling/common';
import { eachCluster } from './each-cluster';
import { scheduledAt } from './scheduled-at';
import { worldNow } from '../../shared/clock';

const logger = new Logger({ serviceName: 'hopper-etcd-backups' });

/** Statuses with a control plane whose etcd can be read. */
const LIVE = new Set(['Ready', 'Updating', 'Upgrading', 'Degraded', 'Failed']);

export type BackupRun =
  | { cluster: string; id: string; commandId: string; instanceId: string; pruned: string[] }
  | { cluster: string; notDue: true; pruned: string[] }
  | { cluster: string; skipped: string; pruned?: string[] };

/** Deletes the backups of `record` its retention no longer keeps; returns what is left (newest first) and what went. */
async function prune(deps: StepDeps, record: ClusterRecord, slot: Date): Promise<{ existing: string[]; expired: string[] }> {
  const bucket = backupsBucket();
  const all = (await listBackups(deps.clients.s3, bucket, record.name)).map((b) => b.id);
  const expired = expiredBackups(all, slot, backupPolicyOf(record.spec));
  if (expired.length) {
    await deps.clients.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: expired.map((e) => ({ Key: backupKey(record.name, e) })), Quiet: true } }));
  }
  return { existing: all.filter((id) => !expired.includes(id)), expired };
}

async function backupOne(deps: StepDeps, record: ClusterRecord, slot: Date): Promise<BackupRun> {
  if (!LIVE.has(record.status)) return { cluster: record.name, skipped: `the cluster is ${record.status}` };
  const bucket = backupsBucket();
  const policy = backupPolicyOf(record.spec);
  const { existing, expired } = await prune(deps, record, slot);
  // Newest first: its interval decides whether this slot takes one.
  if (!backupDue(policy, existing.length ? takenAt(existing[0]) : undefined, slot)) return { cluster: record.name, notDue: true, pruned: expired };
  const id = backupId(slot);
  const instanceId = await kubectlRunner(deps, record.name);
  const ctx = await loadRenderContext(deps, record.spec);
  const commandId = await sendScript(deps, {
    instanceIds: [instanceId],
    script: renderEtcdSnapshotScript(ctx, { bucket, key: backupKey(record.name, id), cluster: record.name, clusterUid: record.uid, kubernetesVersion: record.kubernetesVersion ?? record.spec.kubernetesVersion }),
    // One per cluster and slot: a retried invocation finds the command it sent.
    comment: `hopper ${record.name} EtcdBackup ${id}`,
    timeoutSeconds: 600,
  });
  return { cluster: record.name, id, commandId, instanceId, pruned: expired };
}

/** Every cluster, one at a time (a failure for one is logged and does not stop the rest). */
export async function etcdBackups(deps: StepDeps, slot: Date = worldNow()): Promise<{ backups: BackupRun[] }> {
  const backups = await eachCluster<BackupRun>(deps, logger, 'etcd backup', (record) => backupOne(deps, record, slot), (record, message) => ({ cluster: record.name, skipped: message }));
  // A deleted cluster's backups (kept by its delete) go as its retention says; none is taken.
  const live = new Set(backups.map((b) => b.cluster));
  for (const record of await deps.store.listClusters({ includeDeleted: true })) {
    if (record.status !== 'Deleted' || live.has(record.name)) continue;
    try {
      const { expired } = await prune(deps, record, slot);
      backups.push({ cluster: record.name, skipped: 'the cluster is Deleted', ...(expired.length ? { pruned: expired } : {}) });
    } catch (err) {
      logger.warn('pruning the backups of a deleted cluster failed', { cluster: record.name, error: err as Error });
    }
  }
  logger.info('etcd backups sent', { backups });
  return { backups };
}

export const lambda = defineFunction({
  timeout: 120,
  events: [{ schedule: `rate(${SWEEP_MINUTES} minutes)` }],
  permissions: [
    allow(['dynamodb:GetItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
    // Listing and pruning the clusters' backups (`<cluster>/etcd/…`); writing them is the hosts' part.
    onBackupsBucket(['s3:ListBucket']),
    onBackupObjects(['s3:DeleteObject']),
  ],
});

export const handler = middy().handler((event: unknown) => {
  const deps = defaultDeps([ec2Client, ssmClient, s3Client], 'etcdBackups');
  // The slot is the schedule's: one backup per cluster and slot.
  return etcdBackups(deps, scheduledAt(event, worldNow()));
});
