/**
 * Launch template versions, shared by the create (ensureLaunchTemplate) and update
 * (applyInstanceGroup) steps: one notion of "the template already says this".
 */
import { createHash } from 'node:crypto';
import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type LaunchTemplate,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { isNotFound } from '../../shared/aws/errors';
import { StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { tokenOf } from './common';

/**
 * The launch template fields that decide what an instance becomes, normalised so a version
 * read back from EC2 compares equal to the data it was created from.
 */
export function launchTemplateFingerprint(data: RequestLaunchTemplateData | undefined): string {
  const root = data?.BlockDeviceMappings?.[0];
  return JSON.stringify([
    data?.ImageId ?? null,
    data?.InstanceType ?? null,
    data?.UserData ?? null,
    data?.IamInstanceProfile?.Name ?? data?.IamInstanceProfile?.Arn ?? null,
    [...(data?.SecurityGroupIds ?? [])].sort(),
    root?.DeviceName ?? null,
    root?.Ebs?.VolumeSize ?? null,
    root?.Ebs?.VolumeType ?? null,
    root?.Ebs?.Encrypted ?? null,
    data?.MetadataOptions?.HttpTokens ?? null,
    data?.MetadataOptions?.HttpPutResponseHopLimit ?? null,
    data?.InstanceMarketOptions?.MarketType ?? null,
    data?.InstanceMarketOptions?.SpotOptions?.MaxPrice ?? null,
  ]);
}

/** The launch template named `name`, if it exists. */
export async function findTemplate(deps: StepDeps, name: string): Promise<LaunchTemplate | undefined> {
  try {
    return (await deps.clients.ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] }))).LaunchTemplates?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The latest version when it equals `data`; else a new version (ClientToken from the data, so a retry adds one). */
export async function ensureVersion(deps: StepDeps, template: LaunchTemplate, data: RequestLaunchTemplateData, uid: string): Promise<{ version: number; created: boolean }> {
  const ec2 = deps.clients.ec2;
  const latest = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: template.LaunchTemplateId, Versions: ['$Latest'] })))
    .LaunchTemplateVersions?.[0];
  const wanted = launchTemplateFingerprint(data);
  if (latest?.VersionNumber !== undefined && launchTemplateFingerprint(latest.LaunchTemplateData as RequestLaunchTemplateData) === wanted) {
    return { version: latest.VersionNumber, created: false };
  }
  const digest = createHash('sha256').update(wanted).digest('hex');
  const out = await ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: template.LaunchTemplateId,
      ClientToken: tokenOf('hopper-upd', uid, template.LaunchTemplateId ?? '', String(latest?.VersionNumber ?? 0), digest),
      LaunchTemplateData: data,
      VersionDescription: 'Hopper update',
    }),
  );
  const version = out.LaunchTemplateVersion?.VersionNumber;
  if (version === undefined) throw new StepFailedError(`no new version of launch template ${template.LaunchTemplateName}`);
  return { version, created: true };
}
