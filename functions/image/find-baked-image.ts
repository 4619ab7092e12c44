/**
 * FindBakedImage: the first state of bake-image. An image already baked for the key ends
 * the bake at once; one still being created (by a concurrent bake) is waited for instead of
 * baking a second; none → bake.
 */
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { architectureSchema, findImagesByKey, keyOf } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { anywhere, table } from '../../shared/aws/iam';

export const findBakedImageInput = stepEnvelope.extend({
  kubernetesVersion: z.string(),
  architecture: architectureSchema,
  region: z.string(),
  imageKey: z.string().optional(),
  /** The bake's execution input (`$$.Execution.Input`): its `imageKey`, when the starter gave one. */
  execution: z.object({ imageKey: z.string().optional() }).passthrough().optional(),
});

export type FindBakedImageOutput = { state: 'available' | 'pending'; imageId: string; imageKey: string } | { state: 'none'; imageKey: string };

export async function findBakedImage(input: z.infer<typeof findBakedImageInput>, deps: StepDeps): Promise<FindBakedImageOutput> {
  const key = await keyOf(deps, { ...input, imageKey: input.imageKey ?? input.execution?.imageKey });
  const images = await findImagesByKey(deps, key);
  const available = images.find((i) => i.State === 'available');
  if (available?.ImageId) return { state: 'available', imageId: available.ImageId, imageKey: key };
  const pending = images.find((i) => i.State === 'pending');
  if (pending?.ImageId) return { state: 'pending', imageId: pending.ImageId, imageKey: key };
  return { state: 'none', imageKey: key };
}

export const step = defineStep({
  name: 'FindBakedImage',
  clients: [ec2Client],
  input: findBakedImageInput,
  // --- bake-image ------------------------------------------------------------------------------
  //
  permissions: [
    table('GetItem'),
    anywhere('ec2:DescribeImages'),
  ],
  run: findBakedImage,
});
export const { handler, run: runStep } = step;
