/**
 * PrepareRestore: what the restore works with, decided from the bucket and the cloud as they
 * are now (a rerun decides again): the backup the operation names, checked once more — it
 * still exists, is this cluster's and has a checksum — and the control-plane instances that
 * will be the members of the restored etcd, with their node names and addresses.
 */
import { createHash } from 'node:crypto';
import { StepFailedError } from '../../shared/errors';
import { roleFilters } from '../../shared/tags';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { s3Client } from '../../shared/aws/clients/s3';
import { anywhere, onBackupObjects, onBackupsBucket, table } from '../../shared/aws/iam';
import { headBackup, NO_ETCD_VOLUMES, restoreRefusal } from '../backups/object';
import { everySeatHasVolume } from '../control-plane/etcd-volumes';
import { backupsBucket } from '../backups/policy';
import { CONTROL_PLANE_ROLE } from '../control-plane/render-context';
import { NODE_ROLE } from '../nodes/common';
import { inSeatOrder } from '../control-plane/seats';
import { loadCluster } from '../lib/cluster';
import { describeInstances } from '../lib/ec2';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { restoreRequestSchema, type RestorePlan } from './plan';

/** The node name kubeadm gave an instance: its private DNS name's first label set, lower case (NODE_IDENTITY). */
const nodeName = (privateDnsName: string) => privateDnsName.split(' ')[0].toLowerCase();

export async function prepareRestore(input: { cluster: string; operationId: string }, deps: StepDeps): Promise<RestorePlan> {
  const { record } = await loadCluster(deps, input.cluster);
  const op = await deps.store.getOperation(input.operationId);
  const request = restoreRequestSchema.parse((op?.input as { request?: unknown } | undefined)?.request);
  const bucket = backupsBucket();
  const backup = await headBackup(deps.clients.s3, bucket, record.name, request.backup);
  if (!backup) throw new StepFailedError(`cluster ${record.name} has no backup ${request.backup} any more (deleted since the restore was asked for?)`);
  const refusal = restoreRefusal(backup, record);
  if (refusal) throw new StepFailedError(refusal);
  if (!(await everySeatHasVolume(deps, record.name, record.spec.controlPlane.count))) throw new StepFailedError(`cluster ${record.name} cannot be restored: ${NO_ETCD_VOLUMES}`);
  const running = await describeInstances(deps, [...roleFilters(record.name, CONTROL_PLANE_ROLE), { Name: 'instance-state-name', Values: ['running'] }]);
  const members = inSeatOrder(running).map((i) => ({ instanceId: i.InstanceId!, name: nodeName(i.PrivateDnsName ?? ''), address: i.PrivateIpAddress ?? '' }));
  if (members.length === 0) throw new StepFailedError(`cluster ${record.name} has no running control-plane instance to restore etcd on`);
  const unnamed = members.find((m) => !m.name || !m.address);
  if (unnamed) throw new StepFailedError(`control-plane instance ${unnamed.instanceId} has no private DNS name or address yet`);
  const nodes = await describeInstances(deps, [...roleFilters(record.name, NODE_ROLE), { Name: 'instance-state-name', Values: ['running'] }]);
  const kubelets = [...members, ...nodes.map((i) => ({ instanceId: i.InstanceId! }))].map((m) => ({ instanceId: m.instanceId }));
  // One etcd cluster per restore operation: members left on older data never join it.
  const token = `hopper-restore-${createHash('sha256').update(input.operationId).digest('hex').slice(0, 16)}`;
  return { backup: backup.id, bucket, key: backup.key, sha256: backup.sha256!, ...(backup.revision !== undefined ? { revision: backup.revision } : {}), token, members, kubelets };
}

export const step = defineStep({
  name: 'PrepareRestore',
  describeActivity: () => 'checking the backup and finding the control-plane instances',
  clients: [ec2Client, s3Client],
  input: stepEnvelope.extend({}),
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ec2:DescribeInstances'),
    // HeadObject needs GetObject; ListBucket makes a missing backup a 404 rather than a 403.
    onBackupsBucket(['s3:ListBucket']),
    onBackupObjects(['s3:GetObject']),
  ],
  run: (input: { cluster: string; operationId: string }, deps: StepDeps) => prepareRestore(input, deps),
});
export const { handler } = step;
