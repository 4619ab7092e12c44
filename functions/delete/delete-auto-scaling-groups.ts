/**
 * DeleteAutoScalingGroups (pass 1): force-delete the cluster's Auto Scaling groups, which
 * terminates their instances with them. The groups disappear once their instances are gone;
 * CheckInstancesTerminated waits for that.
 */
import { DeleteAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput, type DeleteSummary } from './common';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { allow, arn, table } from '../../shared/aws/iam';

export const deleteAutoScalingGroupsInput = passInput({ autoScalingGroups: z.array(z.string()) });

export async function deleteAutoScalingGroups(input: z.infer<typeof deleteAutoScalingGroupsInput>, deps: StepDeps): Promise<DeleteSummary> {
  return deleteEach(deps, input.cluster, 'autoScalingGroups', input.autoScalingGroups, (name) =>
    // ForceDelete: terminate the instances too, without waiting for scale-in first.
    deps.clients.autoscaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true })),
    // Forgotten by CheckInstancesTerminated once the group is gone.
    { forget: false },
  );
}

export const step = defineStep({
  name: 'DeleteAutoScalingGroups',
  clients: [autoscalingClient],
  input: deleteAutoScalingGroupsInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    allow(['autoscaling:DeleteAutoScalingGroup'], [arn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*')], { StringLike: { 'aws:ResourceTag/hopper:cluster': '?*' } }),
  ],
  run: deleteAutoScalingGroups,
});
export const { handler } = step;
