/**
 * AttachEtcdVolumes: each control-plane instance gets its seat's etcd volume (the seat from
 * the instance's tag), before the script that mounts it and runs kubeadm. A volume still
 * leaving the instance that held the seat before, or an instance not yet running, is waited
 * for (DependencyPendingError, retried); a volume held by another live instance is an error,
 * never taken. A cluster made before etcd volumes has none: nothing to attach.
 *
 * A seat whose volume is gone (deleted behind Hopper's back, or failed) gets a new, empty one.
 * When other control planes hold etcd's data, the refresh before the join has removed the
 * seat's lost member, and the new member syncs from the others. Without another control plane
 * the data went with the volume: the new volume is recorded with the cluster's newest backup it
 * may be restored from, the init script restores it before kubeadm runs (as Gardener's
 * etcd-backup-restore does on its own), and the cluster's events say which backup and that what
 * changed after it is lost. With no such backup the step stops and says the data is gone.
 */
import { AttachVolumeCommand, DescribeVolumesCommand, type Instance, type Volume } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import { DependencyPendingError, StepFailedError } from '../../shared/errors';
import { roleFilters, tagRecord } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import { CONTROL_PLANE_ROLE } from './render-context';
import { describeInstances } from '../lib/ec2';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { s3Client } from '../../shared/aws/clients/s3';
import { allow, anywhere, arn, creating, ofCluster, onBackupObjects, onBackupsBucket, table } from '../../shared/aws/iam';
import type { SeatRestore } from '../../shared/render';
import { newestRestorableBackup } from '../backups/object';
import { backupsBucket } from '../backups/policy';
import { ETCD_VOLUME_DEVICE, createSeatVolume, etcdVolumeClientToken, recordSeatVolume, seatVolumeRecord } from './etcd-volumes';
import { SEAT_TAG } from './seats';

export const attachEtcdVolumesInput = stepEnvelope.extend({ instanceIds: z.array(z.string().min(1)).min(1) });

export async function attachEtcdVolumes(input: z.infer<typeof attachEtcdVolumesInput>, deps: StepDeps): Promise<{ attached: { instanceId: string; volumeId: string }[] }> {
  const instances = await describeInstances(deps, [{ Name: 'instance-id', Values: input.instanceIds }]);
  const attached: { instanceId: string; volumeId: string }[] = [];
  for (const instanceId of input.instanceIds) {
    const instance = instances.find((i) => i.InstanceId === instanceId);
    if (!instance) throw new DependencyPendingError(`control-plane instance ${instanceId} is not visible yet`);
    const state = instance.State?.Name ?? 'unknown';
    if (!['pending', 'running'].includes(state)) {
      // Gone or stopped before its volume could go on: waiting will not bring it back.
      const why = instance.StateReason?.Message ? ` (${instance.StateReason.Message})` : '';
      throw new StepFailedError(`control-plane instance ${instanceId} is ${state}${why}: it stopped before its etcd volume could be attached, so the control plane cannot come up on it`);
    }
    const seat = Number(tagRecord(instance.Tags)[SEAT_TAG]);
    const record = Number.isInteger(seat) ? await seatVolumeRecord(deps, input.cluster, seat) : undefined;
    if (!record) continue;
    const volumeId = record.id;
    const volume = await describeVolume(deps, volumeId);
    // EC2 may not show a volume for a moment after creating it: one this operation made is not lost.
    if (!volume && record.attrs?.createdBy === input.operationId) {
      throw new DependencyPendingError(`the etcd volume ${volumeId} of seat ${seat} is not visible yet`);
    }
    if (!volume || ['deleting', 'deleted', 'error'].includes(volume.State ?? '')) {
      await replaceLostVolume(deps, input.cluster, input.operationId, instance, seat, volumeId);
      throw new DependencyPendingError(`the etcd volume ${volumeId} of seat ${seat} is gone: a new one is being made`);
    }
    const holder = volume.Attachments?.[0];
    if (holder?.InstanceId === instanceId) {
      attached.push({ instanceId, volumeId });
      continue;
    }
    if (holder) {
      const other = (await describeInstances(deps, [{ Name: 'instance-id', Values: [holder.InstanceId!] }]))[0];
      const leaving = holder.State === 'detaching' || ['shutting-down', 'terminated'].includes(other?.State?.Name ?? 'terminated');
      if (leaving) throw new DependencyPendingError(`the etcd volume ${volumeId} of seat ${seat} is still leaving ${holder.InstanceId}`);
      throw new StepFailedError(`the etcd volume ${volumeId} of control-plane seat ${seat} is attached to ${holder.InstanceId}, which is ${other?.State?.Name}; it will not be taken from a live instance`);
    }
    if (volume.State !== 'available') throw new DependencyPendingError(`the etcd volume ${volumeId} of seat ${seat} is ${volume.State}`);
    try {
      await deps.clients.ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: ETCD_VOLUME_DEVICE }));
    } catch (err) {
      if (awsErrorCode(err) === 'IncorrectState') throw new DependencyPendingError(`control-plane instance ${instanceId} (${state}) or its etcd volume ${volumeId} is not ready to attach yet`, { cause: err });
      throw err;
    }
    attached.push({ instanceId, volumeId });
  }
  return { attached };
}

/** The volume, or undefined when EC2 no longer knows it. */
async function describeVolume(deps: StepDeps, volumeId: string): Promise<Volume | undefined> {
  try {
    return (await deps.clients.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes?.[0];
  } catch (err) {
    if (awsErrorCode(err) === 'InvalidVolume.NotFound') return undefined;
    throw err;
  }
}

/**
 * A new, empty volume for a seat whose volume is lost, when another control plane holds
 * etcd's data: made with a ClientToken of the lost volume (a retry gets the same one back),
 * recorded at once in the lost one's place.
 */
async function replaceLostVolume(deps: StepDeps, cluster: string, operationId: string, instance: Instance, seat: number, lostVolumeId: string): Promise<void> {
  const { record, spec } = await loadCluster(deps, cluster);
  // A stopped control plane holds etcd's data too: it may start again.
  const others = (await describeInstances(deps, [...roleFilters(cluster, CONTROL_PLANE_ROLE), { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }])).filter(
    (i) => i.InstanceId !== instance.InstanceId,
  );
  let restoreFrom: SeatRestore | undefined;
  if (others.length === 0) {
    // Only the only seat comes back from a backup: another seat's volume may hold newer data, and
    // a cluster restored beside it would be a second etcd (hopper restore, with every seat, is the way).
    if (spec.controlPlane.count > 1) {
      throw new StepFailedError(
        `the etcd volume ${lostVolumeId} of control-plane seat ${seat} is gone, and no other control plane runs: the other seats' volumes may hold etcd's data; replace those seats first, or restore the cluster from a backup (hopper restore cluster ${cluster})`,
      );
    }
    const bucket = backupsBucket();
    const backup = await newestRestorableBackup(deps.clients.s3, bucket, record);
    if (!backup) {
      throw new StepFailedError(
        `the etcd volume ${lostVolumeId} of control-plane seat ${seat} is gone, no other control plane holds etcd's data, and cluster ${cluster} has no backup it can be restored from (hopper get backups ${cluster}): its objects are lost`,
      );
    }
    restoreFrom = { bucket, key: backup.key, backup: backup.id, takenAt: backup.takenAt, sha256: backup.sha256 };
  }
  const zone = instance.Placement?.AvailabilityZone ?? spec.controlPlane.zones[seat];
  const clientToken = `${etcdVolumeClientToken(record.uid, seat).slice(0, 40)}-${lostVolumeId.replace(/^vol-/, '').slice(0, 20)}`;
  const volumeId = await createSeatVolume(deps, spec, seat, zone, clientToken);
  // At once, in the lost one's place: the next look finds the new volume.
  await recordSeatVolume(deps, spec, seat, zone, volumeId, { ...(restoreFrom ? { restoreFrom } : {}), createdBy: operationId });
  await deps.store.forgetResource(cluster, 'volume', lostVolumeId);
  if (restoreFrom) {
    // Once: a rerun finds the new volume recorded and never comes here again.
    await deps.store.putEvent(cluster, {
      type: 'EtcdRestoredFromBackup',
      message: `the etcd volume of control-plane seat ${seat} was lost with the only control plane: its data comes back from backup ${restoreFrom.backup} (taken ${restoreFrom.takenAt}); what changed after it is lost`,
      detail: { seat, lostVolumeId, volumeId, backup: restoreFrom.backup, takenAt: restoreFrom.takenAt },
    });
  }
}

export const step = defineStep({
  name: 'AttachEtcdVolumes',
  describeActivity: (i) => `attaching the etcd volume of ${i.instanceIds.join(', ')}`,
  clients: [ec2Client, s3Client],
  input: attachEtcdVolumesInput,
  creates: ['Volume'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'),
    anywhere('ec2:DescribeInstances', 'ec2:DescribeVolumes'),
    ofCluster(['ec2:AttachVolume'], [arn('ec2', 'volume/*'), arn('ec2', 'instance/*')]),
    // A lost seat volume's replacement, tagged at creation only.
    creating(['ec2:CreateVolume'], [arn('ec2', 'volume/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'volume/*')], { StringEquals: { 'ec2:CreateAction': 'CreateVolume' } }),
    // The newest backup, for a seat whose data went with its only control plane (HeadObject needs GetObject).
    onBackupsBucket(['s3:ListBucket']),
    onBackupObjects(['s3:GetObject']),
  ],
  run: attachEtcdVolumes,
});
export const { handler, run: runStep } = step;
