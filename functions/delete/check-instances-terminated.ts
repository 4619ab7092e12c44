/**
 * CheckInstancesTerminated (pass 1, polled after a Wait): NotReadyError until every instance
 * of the cluster is terminated and every Auto Scaling group is gone. An instance that turned
 * up since (launched by a group before its deletion) is terminated here too. Once done, the
 * instances and groups are forgotten from the inventory.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { NotReadyError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { chunks, forget, passInput } from './common';
import { liveInstances } from './instances';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { allow, anywhere, arn, table } from '../../shared/aws/iam';

export const checkInstancesTerminatedInput = passInput({ instances: z.array(z.string()), autoScalingGroups: z.array(z.string()) });

export async function checkInstancesTerminated(
  input: z.infer<typeof checkInstancesTerminatedInput>,
  deps: StepDeps,
): Promise<{ terminated: number }> {
  const live = await liveInstances(deps, input.cluster, input.instances);
  const stray = live.filter((i) => i.State?.Name === 'pending' || i.State?.Name === 'running' || i.State?.Name === 'stopped');
  for (const part of chunks(stray.map((i) => i.InstanceId!), 50)) await deps.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: part }));
  const groups: string[] = [];
  for (const part of chunks(input.autoScalingGroups, 50)) {
    const out = await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: part }));
    for (const g of out.AutoScalingGroups ?? []) groups.push(g.AutoScalingGroupName!);
  }
  if (live.length || groups.length) {
    throw new NotReadyError(
      `waiting for ${live.length} instance(s) to terminate${groups.length ? ` and group(s) ${groups.join(', ')} to go` : ''}: ${live.map((i) => `${i.InstanceId} ${i.State?.Name}`).join(', ')}`,
    );
  }
  for (const id of input.instances) await forget(deps, input.cluster, 'instances', id);
  for (const name of input.autoScalingGroups) await forget(deps, input.cluster, 'autoScalingGroups', name);
  return { terminated: input.instances.length };
}

export const step = defineStep({
  name: 'CheckInstancesTerminated',
  clients: [ec2Client, autoscalingClient],
  input: checkInstancesTerminatedInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    anywhere('ec2:DescribeInstances', 'autoscaling:DescribeAutoScalingGroups'),
    allow(['ec2:TerminateInstances'], [arn('ec2', 'instance/*')], { StringLike: { 'ec2:ResourceTag/hopper:cluster': '?*' } }),
  ],
  run: checkInstancesTerminated,
});
export const { handler } = step;
