/**
 * AttachEtcdVolumes: each control-plane instance gets its seat's etcd volume (the seat from
 * the instance's tag), before the script that mounts it and runs kubeadm. A volume still
 * leaving the instance that held the seat before, or an instance not yet running, is waited
 * for (DependencyPendingError, retried); a volume held by another live instance is an error,
 * never taken. A cluster made before etcd volumes has none: nothing to attach.
 */
import { AttachVolumeCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import { DependencyPendingError, StepFailedError } from '../../shared/errors';
import { tagRecord } from '../../shared/tags';
import { describeInstances } from '../lib/ec2';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { anywhere, arn, ofCluster, table } from '../../shared/aws/iam';
import { ETCD_VOLUME_DEVICE, recordedSeatVolume } from './etcd-volumes';
import { SEAT_TAG } from './seats';

export const attachEtcdVolumesInput = stepEnvelope.extend({ instanceIds: z.array(z.string().min(1)).min(1) });

export async function attachEtcdVolumes(input: z.infer<typeof attachEtcdVolumesInput>, deps: StepDeps): Promise<{ attached: { instanceId: string; volumeId: string }[] }> {
  const instances = await describeInstances(deps, [{ Name: 'instance-id', Values: input.instanceIds }]);
  const attached: { instanceId: string; volumeId: string }[] = [];
  for (const instanceId of input.instanceIds) {
    const instance = instances.find((i) => i.InstanceId === instanceId);
    if (!instance) throw new DependencyPendingError(`control-plane instance ${instanceId} is not visible yet`);
    const seat = Number(tagRecord(instance.Tags)[SEAT_TAG]);
    const volumeId = Number.isInteger(seat) ? await recordedSeatVolume(deps, input.cluster, seat) : '';
    if (!volumeId) continue;
    const volume = (await deps.clients.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes?.[0];
    if (!volume) throw new StepFailedError(`the etcd volume ${volumeId} of control-plane seat ${seat} is gone; the seat's data cannot be brought to ${instanceId}`);
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
      if (awsErrorCode(err) === 'IncorrectState') throw new DependencyPendingError(`control-plane instance ${instanceId} or its etcd volume ${volumeId} is not ready to attach yet`, { cause: err });
      throw err;
    }
    attached.push({ instanceId, volumeId });
  }
  return { attached };
}

export const step = defineStep({
  name: 'AttachEtcdVolumes',
  describeActivity: (i) => `attaching the etcd volume of ${i.instanceIds.join(', ')}`,
  clients: [ec2Client],
  input: attachEtcdVolumesInput,
  permissions: [
    table('GetItem', 'Query'),
    anywhere('ec2:DescribeInstances', 'ec2:DescribeVolumes'),
    ofCluster(['ec2:AttachVolume'], [arn('ec2', 'volume/*'), arn('ec2', 'instance/*')]),
  ],
  run: attachEtcdVolumes,
});
export const { handler, run: runStep } = step;
