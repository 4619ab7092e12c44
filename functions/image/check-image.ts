/** CheckImage: NotReadyError while the image is pending; failed is terminal. */
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { anywhere } from '../../shared/aws/iam';

export const checkImageInput = stepEnvelope.extend({ imageId: z.string() });

export interface CheckImageOutput {
  imageId: string;
  state: 'available';
}

export async function checkImage(input: { imageId: string }, deps: StepDeps): Promise<CheckImageOutput> {
  let image;
  try {
    image = (await deps.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [input.imageId] }))).Images?.[0];
  } catch (err) {
    // Just created: EC2 may not list it for a moment (eventual consistency).
    if (!isNotFound(err)) throw err;
  }
  if (!image) throw new NotReadyError(`image ${input.imageId} is not listed yet`);
  switch (image.State) {
    case 'available':
      return { imageId: input.imageId, state: 'available' };
    case 'pending':
    case undefined:
      throw new NotReadyError(`image ${input.imageId} is ${image.State ?? 'pending'}`);
    default:
      throw new StepFailedError(
        `image ${input.imageId} (${image.Name}) is ${image.State}${image.StateReason?.Message ? `: ${image.StateReason.Message}` : ''}`,
      );
  }
}

export const step = defineStep({
  name: 'CheckImage',
  describeActivity: (i) => `waiting for image ${i.imageId} to be available`,
  clients: [ec2Client],
  input: checkImageInput,
  permissions: [
    anywhere('ec2:DescribeImages'),
  ],
  run: checkImage,
});
export const { handler, run: runStep } = step;
