/**
 * DetachSurge: kops' surge. Each instance is first tagged `hopper:rolling-update` (so a
 * rerun after an interruption finds it, detached but still running), then detached from its
 * Auto Scaling group with ShouldDecrementDesiredCapacity=false: the group launches a
 * replacement at once, while the detached instance keeps serving until it is drained.
 * Idempotent: instances already out of the group are skipped.
 */
import { DescribeAutoScalingGroupsCommand, DetachInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { groupResourceName } from '../nodes/common';
import { ROLLING_TAG } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { allow, anywhere, arn, table } from '../../shared/aws/iam';

export const detachSurgeInput = stepEnvelope.extend({ group: z.string().min(1), instanceIds: z.array(z.string()) });

export async function detachSurge(input: z.infer<typeof detachSurgeInput>, deps: StepDeps): Promise<{ detached: string[] }> {
  if (input.instanceIds.length === 0) return { detached: [] };
  const { spec } = await loadCluster(deps, input.cluster);
  const name = groupResourceName(spec.name, input.group);
  await deps.clients.ec2.send(new CreateTagsCommand({ Resources: input.instanceIds, Tags: [{ Key: ROLLING_TAG, Value: input.operationId }] }));
  const group = (await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
  const members = new Set((group?.Instances ?? []).map((i) => i.InstanceId));
  const toDetach = input.instanceIds.filter((id) => members.has(id));
  if (toDetach.length > 0) {
    await deps.clients.autoscaling.send(new DetachInstancesCommand({ AutoScalingGroupName: name, InstanceIds: toDetach, ShouldDecrementDesiredCapacity: false }));
  }
  return { detached: input.instanceIds };
}

export const step = defineStep({
  name: 'DetachSurge',
  describeActivity: (i) => (i.instanceIds.length ? `detaching ${i.instanceIds.join(', ')} from ${i.group} (its replacements come first)` : `checking ${i.group} for instances to detach`),
  clients: [ec2Client, autoscalingClient],
  input: detachSurgeInput,
  permissions: [
    table('GetItem'),
    anywhere('autoscaling:DescribeAutoScalingGroups'),
    allow(['autoscaling:DetachInstances'], [arn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*')], { StringLike: { 'autoscaling:ResourceTag/hopper:cluster': '*' } }),
    allow(['ec2:CreateTags'], [arn('ec2', 'instance/*')], { StringLike: { 'aws:ResourceTag/hopper:cluster': '*' } }),
  ],
  run: detachSurge,
});
export const { handler, run: runStep } = step;
