/**
 * DeleteImages (pass 9, only when asked): deregister the images Discover found baked for this
 * cluster and used by no other cluster, with their snapshots.
 */
import { DeregisterImageCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput, type DeleteSummary } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, awsArn, table } from '../../shared/aws/iam';

export const deleteImagesInput = passInput({ images: z.array(z.string()) });

export async function deleteImages(input: z.infer<typeof deleteImagesInput>, deps: StepDeps): Promise<DeleteSummary> {
  return deleteEach(deps, input.cluster, 'images', input.images, (id) =>
    deps.clients.ec2.send(new DeregisterImageCommand({ ImageId: id, DeleteAssociatedSnapshots: true })),
  );
}

export const step = defineStep({
  name: 'DeleteImages',
  clients: [ec2Client],
  input: deleteImagesInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    allow(['ec2:DeregisterImage'], [awsArn('ec2', 'image/*')], { StringLike: { 'ec2:ResourceTag/hopper:image-key': '?*' } }),
    allow(['ec2:DeleteSnapshot'], [awsArn('ec2', 'snapshot/*')], { StringLike: { 'aws:ResourceTag/hopper:image-key': '?*' } }),
  ],
  run: deleteImages,
});
export const { handler } = step;
