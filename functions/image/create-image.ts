/**
 * CreateImage: image the stopped builder. CreateImage takes no ClientToken, so the image
 * is looked up by its name (unique per key and region) first and adopted; a failed one is
 * deregistered and made again. Tagged with the key (how FindBakedImage and resolveImage
 * find it), the version and the architecture — not with a cluster: the image outlives the
 * cluster that baked it and is shared by every cluster of the same key.
 */
import { CreateImageCommand, DeregisterImageCommand, DescribeImagesCommand, type Image } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import { StepFailedError } from '../../shared/errors';
import type { Tag } from '../../shared/tags';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { architectureSchema, IMAGE_ARCH_TAG, IMAGE_BAKED_BY_TAG, IMAGE_KEY_TAG, IMAGE_VERSION_TAG, keyOf, newestFirst } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, awsArn, table } from '../../shared/aws/iam';

export const createImageInput = stepEnvelope.extend({
  instanceId: z.string(),
  imageName: z.string(),
  imageKey: z.string().optional(),
  kubernetesVersion: z.string(),
  architecture: architectureSchema,
  region: z.string(),
});

export interface CreateImageOutput {
  imageId: string;
  state: string;
}

export async function createImage(input: z.infer<typeof createImageInput>, deps: StepDeps): Promise<CreateImageOutput> {
  const key = await keyOf(deps, input);
  const existing = await findByName(deps, input.imageName);
  if (existing?.ImageId && existing.State !== 'failed') return { imageId: existing.ImageId, state: existing.State ?? 'pending' };
  if (existing?.ImageId) {
    // A failed image keeps its name taken: free the name, then make it again.
    await deps.clients.ec2.send(new DeregisterImageCommand({ ImageId: existing.ImageId }));
  }
  const tags: Tag[] = [
    { Key: 'Name', Value: input.imageName },
    { Key: IMAGE_KEY_TAG, Value: key },
    { Key: IMAGE_VERSION_TAG, Value: input.kubernetesVersion },
    { Key: IMAGE_ARCH_TAG, Value: input.architecture },
    { Key: IMAGE_BAKED_BY_TAG, Value: input.cluster },
  ];
  try {
    const out = await deps.clients.ec2.send(
      new CreateImageCommand({
        InstanceId: input.instanceId,
        Name: input.imageName,
        Description: `Hopper node image: Kubernetes ${input.kubernetesVersion}, containerd, Ubuntu LTS, ${input.architecture} (${key})`,
        // The builder is stopped already: no reboot needed for a consistent disk.
        NoReboot: true,
        TagSpecifications: [
          { ResourceType: 'image', Tags: tags },
          { ResourceType: 'snapshot', Tags: tags },
        ],
      }),
    );
    if (!out.ImageId) throw new StepFailedError(`CreateImage returned no image id for ${input.imageName}`);
    return { imageId: out.ImageId, state: 'pending' };
  } catch (err) {
    // Another bake of the same key got there first: its image is as good as ours.
    if (awsErrorCode(err) !== 'InvalidAMIName.Duplicate') throw err;
    const raced = await findByName(deps, input.imageName);
    if (!raced?.ImageId) throw err;
    return { imageId: raced.ImageId, state: raced.State ?? 'pending' };
  }
}

async function findByName(deps: StepDeps, name: string): Promise<Image | undefined> {
  const out = await deps.clients.ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }));
  return newestFirst(out.Images ?? [])[0];
}

export const step = defineStep({
  name: 'CreateImage',
  describeActivity: (i) => `creating the image from builder ${i.instanceId}`,
  clients: [ec2Client],
  input: createImageInput,
  creates: ['Image'],
  permissions: [
    table('GetItem'),
    anywhere('ec2:DescribeImages'),
    // Only from an image builder, into an image and snapshots tagged for Hopper.
    allow(['ec2:CreateImage'], [arn('ec2', 'instance/*')], { StringEquals: { 'aws:ResourceTag/hopper:role': 'image-builder' } }),
    allow(['ec2:CreateImage'], [awsArn('ec2', 'image/*'), awsArn('ec2', 'snapshot/*')], { StringLike: { 'aws:RequestTag/hopper:image-key': '?*' } }),
    allow(['ec2:CreateTags'], [awsArn('ec2', 'image/*'), awsArn('ec2', 'snapshot/*')], { StringEquals: { 'ec2:CreateAction': 'CreateImage' } }),
    // Only to free the name of a failed image of Hopper's.
    allow(['ec2:DeregisterImage'], [awsArn('ec2', 'image/*')], { StringLike: { 'aws:ResourceTag/hopper:image-key': '*' } }),
  ],
  run: createImage,
});
export const { handler, run: runStep } = step;
