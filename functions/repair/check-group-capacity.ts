/**
 * CheckGroupCapacity: NotReadyError until the repaired instance's group is whole again —
 * as many InService, Healthy instances as it desires, the repaired one not among them. The
 * group does the replacing (its health check, or the termination without decrement); this
 * waits for it, so the repair ends when the capacity is back, not when the old one left.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import * as z from 'zod';
import { NotReadyError } from '../../shared/errors';
import { groupResourceName } from '../../shared/tags';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { anywhere, table } from '../../shared/aws/iam';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';

export const checkGroupCapacityInput = stepEnvelope.extend({ group: z.string(), instanceId: z.string() });

export async function checkGroupCapacity(input: z.infer<typeof checkGroupCapacityInput>, deps: StepDeps): Promise<{ group: string; inService: number; desired: number }> {
  const name = groupResourceName(input.cluster, input.group);
  const group = (await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
  // A group deleted meanwhile (an update removed it) has nothing to wait for.
  if (!group) return { group: input.group, inService: 0, desired: 0 };
  const desired = group.DesiredCapacity ?? 0;
  const inService = (group.Instances ?? []).filter((i) => i.InstanceId !== input.instanceId && i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy').length;
  if (inService < desired) throw new NotReadyError(`group ${name} has ${inService} of ${desired} instances in service`);
  return { group: input.group, inService, desired };
}

export const step = defineStep({
  name: 'CheckGroupCapacity',
  describeActivity: (i) => `waiting for group ${i.group} to replace ${i.instanceId}`,
  clients: [autoscalingClient],
  input: checkGroupCapacityInput,
  permissions: [table('GetItem', 'PutItem', 'UpdateItem'), anywhere('autoscaling:DescribeAutoScalingGroups')],
  run: checkGroupCapacity,
});
export const { handler } = step;
