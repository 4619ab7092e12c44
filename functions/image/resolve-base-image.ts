/**
 * ResolveBaseImage: the Ubuntu LTS image the builder boots. Canonical publishes the current
 * image of each release and architecture as a public SSM parameter; where a partition or
 * region does not carry it (China, new regions), Canonical's newest image of the release is
 * found by name instead, under Canonical's owner id of that partition.
 */
import { DescribeImagesCommand, type Image } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { isNotFound } from '../../shared/aws/errors';
import { StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { architectureSchema, newestFirst, type Architecture } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { allow, anywhere, awsArn } from '../../shared/aws/iam';

/** The Ubuntu LTS release baked from. */
export const UBUNTU_RELEASE = { version: '24.04', codename: 'noble' } as const;

/** Canonical's account in the commercial, GovCloud and China partitions. */
const CANONICAL_OWNERS = ['099720109477', '513442679011', '837727238323'];

export function ubuntuParameterName(architecture: Architecture): string {
  return `/aws/service/canonical/ubuntu/server/${UBUNTU_RELEASE.version}/stable/current/${architecture}/hvm/ebs-gp3/ami-id`;
}

export const resolveBaseImageInput = stepEnvelope.extend({ architecture: architectureSchema });

export interface BaseImageOutput {
  imageId: string;
  name: string;
  /** The root device to give an encrypted gp3 volume. */
  rootDeviceName: string;
}

export async function resolveBaseImage(input: { architecture: Architecture }, deps: StepDeps): Promise<BaseImageOutput> {
  const imageId = await fromParameter(deps, input.architecture);
  const image = imageId ? await describe(deps, imageId) : await newestByName(deps, input.architecture);
  if (!image?.ImageId) {
    throw new StepFailedError(`no Ubuntu ${UBUNTU_RELEASE.version} ${input.architecture} image found (parameter ${ubuntuParameterName(input.architecture)} nor Canonical's images)`);
  }
  if (image.State !== 'available') throw new StepFailedError(`base image ${image.ImageId} is ${image.State}`);
  return { imageId: image.ImageId, name: image.Name ?? '', rootDeviceName: image.RootDeviceName ?? '/dev/sda1' };
}

async function fromParameter(deps: StepDeps, architecture: Architecture): Promise<string | undefined> {
  try {
    const out = await deps.clients.ssm.send(new GetParameterCommand({ Name: ubuntuParameterName(architecture) }));
    return out.Parameter?.Value;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function describe(deps: StepDeps, imageId: string): Promise<Image | undefined> {
  const out = await deps.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
  return out.Images?.[0];
}

async function newestByName(deps: StepDeps, architecture: Architecture): Promise<Image | undefined> {
  const out = await deps.clients.ec2.send(
    new DescribeImagesCommand({
      Owners: CANONICAL_OWNERS,
      Filters: [
        { Name: 'name', Values: [`ubuntu/images/hvm-ssd-gp3/ubuntu-${UBUNTU_RELEASE.codename}-${UBUNTU_RELEASE.version}-${architecture}-server-*`] },
        { Name: 'state', Values: ['available'] },
      ],
    }),
  );
  return newestFirst(out.Images ?? [])[0];
}

export const step = defineStep({
  name: 'ResolveBaseImage',
  clients: [ec2Client, ssmClient],
  input: resolveBaseImageInput,
  permissions: [
    allow(['ssm:GetParameter'], [awsArn('ssm', 'parameter/aws/service/canonical/ubuntu/server/*')]),
    anywhere('ec2:DescribeImages'),
  ],
  run: resolveBaseImage,
});
export const { handler, run: runStep } = step;
