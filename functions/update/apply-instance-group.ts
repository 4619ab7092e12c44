/**
 * ApplyInstanceGroup (per group of the plan, create or update): bring the launch template
 * `<group>.<cluster>` to the spec — a new version only when the latest one differs from
 * what the spec renders (so applying twice adds nothing) — then the Auto Scaling group:
 * created when absent (the node steps' EnsureAutoScalingGroup), else UpdateAutoScalingGroup
 * with min, max, the desired capacity clamped into them, and the explicit new version.
 * Instances keep running their old version: the rolling update replaces them.
 */
import { DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import { renderNodeUserDataBase64 } from '../../shared/render';
import { HOPPER_CLUSTER_TAG, tagRecord } from '../../shared/tags';
import { rootDeviceName } from '../lib/ec2';
import { loadRenderContext } from '../control-plane/render-context';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ensureAutoScalingGroup } from '../nodes/auto-scaling-groups';
import { ensureLaunchTemplate, launchTemplateData } from '../nodes/launch-templates';
import { ensureVersion, findTemplate } from '../nodes/launch-template-versions';
import { findGroupSpec, groupResourceName } from '../nodes/common';
import { recordedSecurityGroups, recordedSubnets } from './common';
import { describeClusterGroups, imageFor, observeGroup } from './observe';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import {allow, anywhere, arn, awsArn, creating, ofCluster, table } from '../../shared/aws/iam';
import { passHostRole } from '../../shared/aws/host-roles';

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

export const step = defineStep({
  name: 'ApplyInstanceGroup',
  clients: [ec2Client, autoscalingClient], input,
  // Calls the node steps' cores (EnsureLaunchTemplate, EnsureAutoScalingGroup) for a new
  // group, so it holds their permissions; RunInstances/PassRole are what creating or updating
  // a group from a launch template checks.
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeImages', 'ec2:DescribeSubnets'),
    creating(['ec2:CreateLaunchTemplate'], [arn('ec2', 'launch-template/*')]),
    ofCluster(['ec2:CreateLaunchTemplateVersion'], [arn('ec2', 'launch-template/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'launch-template/*')], { StringEquals: { 'ec2:CreateAction': 'CreateLaunchTemplate' } }),
    creating(['autoscaling:CreateAutoScalingGroup', 'autoscaling:CreateOrUpdateTags'], [arn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*')]),
    ofCluster(['autoscaling:UpdateAutoScalingGroup', 'autoscaling:CreateOrUpdateTags'], [arn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*')]),
    // The group launches from the cluster's template: RunInstances on it, the rest tagged at launch.
    ofCluster(['ec2:RunInstances'], [arn('ec2', 'launch-template/*')]),
    creating(['ec2:RunInstances'], [awsArn('ec2', 'image/*'), arn('ec2', 'instance/*'), arn('ec2', 'volume/*'), arn('ec2', 'network-interface/*'), arn('ec2', 'subnet/*'), arn('ec2', 'security-group/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'instance/*'), arn('ec2', 'volume/*')], { StringEquals: { 'ec2:CreateAction': 'RunInstances' } }),
    passHostRole(),
  ],
  run: applyInstanceGroup,
});
export const { handler } = step;
