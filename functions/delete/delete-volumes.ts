/**
 * DeleteVolumes (after the instances are terminated): the control-plane seats' etcd volumes,
 * and with them the cluster's etcd data. A volume still leaving its terminated instance is
 * "in use": retried. (A root volume a tag scan found went with its instance: NotFound is done.)
 */
import { DeleteVolumeCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput, type DeleteSummary } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, arn, table } from '../../shared/aws/iam';

export const deleteVolumesInput = passInput({ volumes: z.array(z.string()) });

export async function deleteVolumes(input: z.infer<typeof deleteVolumesInput>, deps: StepDeps): Promise<DeleteSummary> {
  return deleteEach(deps, input.cluster, 'volumes', input.volumes, (id) => deps.clients.ec2.send(new DeleteVolumeCommand({ VolumeId: id })), {
    isPending: (err) => awsErrorCode(err) === 'VolumeInUse' || awsErrorCode(err) === 'IncorrectState',
  });
}

export const step = defineStep({
  name: 'DeleteVolumes',
  clients: [ec2Client],
  input: deleteVolumesInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    allow(['ec2:DeleteVolume'], [arn('ec2', 'volume/*')], { StringLike: { 'ec2:ResourceTag/hopper:cluster': '?*' } }),
  ],
  run: deleteVolumes,
});
export const { handler } = step;
