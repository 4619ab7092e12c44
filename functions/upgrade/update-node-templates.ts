/**
 * UpdateNodeTemplates: every node group gets a launch template version with the new image
 * (and user data rendered for the new version), and its Auto Scaling group launches that
 * version from now on. Existing nodes keep running the old one until the rolling update
 * replaces them. Idempotent: ensureLaunchTemplate adds a version only when the data changed.
 */
import { DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { groupResourceName } from '../nodes/common';
import { ensureLaunchTemplate } from '../nodes/launch-templates';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { allow, anywhere, arn, ofCluster, table } from '../../shared/aws/iam';
import { passHostRole } from '../../shared/aws/host-roles';

export const updateNodeTemplatesInput = stepEnvelope.extend({ imageId: z.string().min(1) });

export async function updateNodeTemplates(input: z.infer<typeof updateNodeTemplatesInput>, deps: StepDeps): Promise<{ groups: Array<{ group: string; launchTemplateId: string; version: number }> }> {
  const { spec } = await loadCluster(deps, input.cluster);
  const out = [];
  for (const g of spec.instanceGroups) {
    const name = groupResourceName(spec.name, g.name);
    const asg = (await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
    if (!asg?.LaunchTemplate?.LaunchTemplateId) throw new StepFailedError(`instance group ${g.name} has no Auto Scaling group with a launch template`);
    const current = (
      await deps.clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: asg.LaunchTemplate.LaunchTemplateId, Versions: [asg.LaunchTemplate.Version ?? '$Latest'] }))
    ).LaunchTemplateVersions?.[0];
    const nodesGroup = current?.LaunchTemplateData?.SecurityGroupIds?.[0] ?? current?.LaunchTemplateData?.NetworkInterfaces?.[0]?.Groups?.[0];
    if (!nodesGroup) throw new StepFailedError(`launch template ${name} names no security group`);
    const lt = await ensureLaunchTemplate({ cluster: spec.name, group: g.name, imageId: input.imageId, securityGroups: { controlPlane: '', nodes: nodesGroup } }, deps);
    if (asg.LaunchTemplate.Version !== String(lt.version)) {
      await deps.clients.autoscaling.send(
        new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchTemplate: { LaunchTemplateId: lt.launchTemplateId, Version: String(lt.version) } }),
      );
    }
    out.push({ group: g.name, launchTemplateId: lt.launchTemplateId, version: lt.version });
  }
  return { groups: out };
}

export const step = defineStep({
  name: 'UpdateNodeTemplates',
  clients: [ec2Client, autoscalingClient],
  input: updateNodeTemplatesInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeImages', 'autoscaling:DescribeAutoScalingGroups'),
    ofCluster(['ec2:CreateLaunchTemplateVersion'], [arn('ec2', 'launch-template/*')]),
    // An Auto Scaling group pointed at a template version is checked as if the caller launched from it.
    ofCluster(['ec2:RunInstances'], [arn('ec2', 'launch-template/*')]),
    allow(['autoscaling:UpdateAutoScalingGroup'], [arn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*')], { StringLike: { 'autoscaling:ResourceTag/hopper:cluster': '*' } }),
    passHostRole(),
  ],
  run: updateNodeTemplates,
});
export const { handler, run: runStep } = step;
