/**
 * ApplyInstanceGroup (per group of the plan, create or update): bring the launch template
 * `<cluster>-<group>` to the spec — a new version only when the latest one differs from
 * what the spec renders (so applying twice adds nothing) — then the Auto Scaling group:
 * created when absent (the node steps' EnsureAutoScalingGroup), else UpdateAutoScalingGroup
 * with min, max, the desired capacity clamped into them, and the explicit new version.
 * Instances keep running their old version: the rolling update replaces them.
 */
import { DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type LaunchTemplate,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import { StepFailedError } from '../../shared/errors';
import { renderNodeUserDataBase64 } from '../../shared/render';
import { HOPPER_CLUSTER_TAG, tagRecord } from '../../shared/tags';
import { rootDeviceName } from '../control-plane/launch-control-plane';
import { loadRenderContext } from '../control-plane/render-context';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ensureAutoScalingGroup } from '../nodes/ensure-auto-scaling-group';
import { ensureLaunchTemplate, launchTemplateData } from '../nodes/ensure-launch-template';
import { findGroupSpec, groupResourceName, tokenOf } from '../nodes/common';
import { recordedSecurityGroups, recordedSubnets } from './common';
import { describeClusterGroups, imageFor, observeGroup } from './observe';

const input = stepEnvelope.extend({
  group: z.string().min(1),
  action: z.enum(['create', 'update']),
  desired: z.int().min(0),
});

export interface ApplyInstanceGroupOutput {
  group: string;
  autoScalingGroupName: string;
  launchTemplateId: string;
  version: number;
  /** True when this call added the version (false: the latest already matched). */
  createdVersion: boolean;
  min: number;
  max: number;
  desired: number;
}

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

async function findTemplate(deps: StepDeps, name: string): Promise<LaunchTemplate | undefined> {
  try {
    return (await deps.clients.ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] }))).LaunchTemplates?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The latest version when it equals `data`; else a new version (ClientToken from the data, so a retry adds one). */
async function ensureVersion(deps: StepDeps, template: LaunchTemplate, data: RequestLaunchTemplateData, uid: string): Promise<{ version: number; created: boolean }> {
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

export async function applyInstanceGroup(
  event: { cluster: string; operationId: string; group: string; action: 'create' | 'update'; desired: number },
  deps: StepDeps,
): Promise<ApplyInstanceGroupOutput> {
  const { record, spec } = await loadCluster(deps, event.cluster);
  const group = findGroupSpec(spec, event.group);
  const name = groupResourceName(spec.name, group.name);
  const resources = await deps.store.listResources(spec.name);
  const securityGroups = recordedSecurityGroups(resources);
  if (!securityGroups) throw new StepFailedError(`cluster ${spec.name} has no recorded node security group: was it created?`);
  const observed = await Promise.all((await describeClusterGroups(deps, spec, resources)).map((g) => observeGroup(deps, g)));
  const imageId = imageFor(spec, group.name, observed, undefined);
  if (!imageId) throw new StepFailedError(`no image for instance group ${group.name}: no other group runs one and the spec names none`);

  let template = await findTemplate(deps, name);
  let launchTemplate: { launchTemplateId: string; version: number; created: boolean };
  if (!template) {
    // A new group: the node steps create the template exactly as create-cluster does.
    const out = await ensureLaunchTemplate({ cluster: spec.name, group: group.name, imageId, securityGroups }, deps);
    launchTemplate = { ...out, created: true };
  } else {
    const owner = tagRecord(template.Tags)[HOPPER_CLUSTER_TAG];
    if (owner !== spec.name) throw new StepFailedError(`launch template ${name} exists but belongs to ${owner ? `cluster ${owner}` : 'someone else'}`);
    const data = launchTemplateData({
      spec,
      group,
      imageId,
      rootDevice: await rootDeviceName(deps, imageId),
      securityGroups,
      userData: renderNodeUserDataBase64(await loadRenderContext(deps, spec), group.name),
    });
    const out = await ensureVersion(deps, template, data, record.uid);
    template = { ...template, LatestVersionNumber: out.version };
    launchTemplate = { launchTemplateId: template.LaunchTemplateId!, ...out };
    await deps.store.recordResource(spec.name, { type: 'launch-template', id: launchTemplate.launchTemplateId, ownership: 'owned', name, attrs: { group: group.name, version: out.version } });
  }

  const desired = Math.min(group.max, Math.max(group.min, event.desired));
  const existing = (await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.find(
    (g) => g.AutoScalingGroupName === name && g.Status !== 'Delete in progress',
  );
  if (!existing) {
    await ensureAutoScalingGroup(
      { cluster: spec.name, group: group.name, subnets: recordedSubnets(spec, resources), launchTemplate: { launchTemplateId: launchTemplate.launchTemplateId, version: launchTemplate.version } },
      deps,
    );
  }
  const current = existing ?? (await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
  const version = String(launchTemplate.version);
  const unchanged =
    current?.MinSize === group.min &&
    current?.MaxSize === group.max &&
    current?.DesiredCapacity === desired &&
    current?.LaunchTemplate?.LaunchTemplateId === launchTemplate.launchTemplateId &&
    current?.LaunchTemplate?.Version === version;
  if (!unchanged) {
    await deps.clients.autoscaling.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        MinSize: group.min,
        MaxSize: group.max,
        DesiredCapacity: desired,
        LaunchTemplate: { LaunchTemplateId: launchTemplate.launchTemplateId, Version: version },
      }),
    );
  }
  return {
    group: group.name,
    autoScalingGroupName: name,
    launchTemplateId: launchTemplate.launchTemplateId,
    version: launchTemplate.version,
    createdVersion: launchTemplate.created,
    min: group.min,
    max: group.max,
    desired,
  };
}

export const { handler } = defineStep({ name: 'ApplyInstanceGroup', input, run: applyInstanceGroup });
