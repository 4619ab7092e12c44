/**
 * ResolveImage (create-cluster, stage Image): the image the cluster's instances boot.
 * In order: the spec's own image (`image.id`), an image already baked for the cluster's
 * key (version, architecture, region, baked-in mirrors), or a new run of the bake-image
 * workflow. The run's name is deterministic (key + cluster uid) and its input too, so a
 * retried ResolveImage gets the same execution back from StartExecution instead of a
 * second bake.
 */
import { createHash } from 'node:crypto';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { awsErrorCode, isNotFound } from '../../shared/aws/errors';
import { requiredEnv } from '../../shared/config';
import { StepFailedError } from '../../shared/errors';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { subnetsSchema } from '../network/common';
import { bakeInput, findAvailableImage } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { sfnClient } from '../../shared/aws/clients/sfn';
import { allow, anywhere, arn, ref, table, stateMachineArn } from '../../shared/aws/iam';
import { executionArn } from '../lib/sfn';

export const resolveImageInput = stepEnvelope.extend({
  vpcId: z.string(),
  subnets: subnetsSchema,
  /** The version to bake for; the spec's by default (an upgrade passes the target). */
  kubernetesVersion: z.string().optional(),
});
export type ResolveImageInput = z.infer<typeof resolveImageInput>;

export type ResolveImageOutput = { imageId: string } | { bakeExecutionArn: string };

/** The bake state machine's ARN (env `BAKE_IMAGE_STATE_MACHINE_ARN`). */
export function bakeStateMachineArn(): string {
  return requiredEnv('BAKE_IMAGE_STATE_MACHINE_ARN');
}

/** Step Functions execution names: at most 80 of `[A-Za-z0-9_-]`. */
export function bakeExecutionName(key: string, uid: string, suffix = ''): string {
  const readable = `bake-${key.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
  const tail = `-${uid}${suffix ? `-${suffix}` : ''}`;
  if (readable.length + tail.length <= 80) return `${readable}${tail}`;
  const digest = createHash('sha256').update(`${key}\n${uid}\n${suffix}`).digest('hex');
  return `${readable.slice(0, 80 - 33)}-${digest.slice(0, 32)}`;
}

export async function resolveImage(input: Omit<ResolveImageInput, 'stage' | 'endsStage' | 'completesStage'>, deps: StepDeps): Promise<ResolveImageOutput> {
  const { record, spec } = await loadCluster(deps, input.cluster);
  if (spec.image.id) return { imageId: await verifyGivenImage(deps, spec.image.id) };

  const subnetId = input.subnets[0].utilitySubnetId;
  const bake = bakeInput(spec, {
    operationId: input.operationId,
    kubernetesVersion: input.kubernetesVersion ?? spec.kubernetesVersion,
    subnetId,
    vpcId: input.vpcId,
  });
  const cached = await findAvailableImage(deps, bake.imageKey);
  if (cached?.ImageId) return { imageId: cached.ImageId };

  const machine = bakeStateMachineArn();
  const name = bakeExecutionName(bake.imageKey, record.uid);
  try {
    return { bakeExecutionArn: await start(deps, machine, name, bake) };
  } catch (err) {
    if (awsErrorCode(err) !== 'ExecutionAlreadyExists') throw err;
  }
  // The name was used with another input (an earlier operation on this cluster) or by a
  // bake that has finished: a running or successful one serves; a failed one is retried
  // under a name of this operation's own.
  const existing = await deps.clients.sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(machine, name) }));
  if (existing.status === 'RUNNING' || existing.status === 'SUCCEEDED') return { bakeExecutionArn: existing.executionArn! };
  const retryName = bakeExecutionName(bake.imageKey, record.uid, createHash('sha256').update(input.operationId).digest('hex').slice(0, 8));
  return { bakeExecutionArn: await start(deps, machine, retryName, bake) };
}

async function start(deps: StepDeps, stateMachineArn: string, name: string, input: object): Promise<string> {
  const out = await deps.clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  if (!out.executionArn) throw new StepFailedError(`StartExecution of ${name} returned no execution ARN`);
  return out.executionArn;
}

/** The spec's image must exist here: a clear message now beats RunInstances failing later. */
async function verifyGivenImage(deps: StepDeps, imageId: string): Promise<string> {
  try {
    const image = (await deps.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    if (image && image.State !== 'available') throw new StepFailedError(`image ${imageId} from the spec is ${image.State}`);
    if (image) return imageId;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  throw new StepFailedError(`image ${imageId} from the spec does not exist in this region or is not shared with this account`);
}

export const step = defineStep({
  name: 'ResolveImage',
  clients: [ec2Client, sfnClient],
  input: resolveImageInput,
  environment: { BAKE_IMAGE_STATE_MACHINE_ARN: ref('BakeImageStateMachine') },
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('ec2:DescribeImages'),
    allow(['states:StartExecution'], [stateMachineArn('bake-image')]),
    allow(['states:DescribeExecution'], [arn('states', 'execution:hopper-${sls:stage}-bake-image:*')]),
  ],
  run: resolveImage,
});
export const { handler, run: runStep } = step;
