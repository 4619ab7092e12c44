/**
 * DeleteInstanceGroup (per group no longer in the spec): delete the Auto Scaling group
 * `<group>.<cluster>` with its instances (ForceDelete), wait for AWS to finish (NotReadyError
 * until it is gone, retried by the state machine), then its launch template. Only what is
 * tagged for this cluster is deleted; NotFound counts as done; the inventory forgets both.
 */
import { DeleteAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteLaunchTemplateCommand, DescribeLaunchTemplatesCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import { HOPPER_CLUSTER_TAG, tagRecord } from '../../shared/tags';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { groupResourceName } from '../nodes/common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { anywhere, arn, ofCluster, table } from '../../shared/aws/iam';

const input = stepEnvelope.extend({ group: z.string().min(1) });

export async function deleteInstanceGroup(event: { cluster: string; group: string }, deps: StepDeps): Promise<{ group: string; deleted: true }> {
  const name = groupResourceName(event.cluster, event.group);
  const found = (await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.find(
    (g) => g.AutoScalingGroupName === name,
  );
  if (found) {
    const owner = tagRecord(found.Tags)[HOPPER_CLUSTER_TAG];
    if (owner !== event.cluster) throw new StepFailedError(`Auto Scaling group ${name} belongs to ${owner ? `cluster ${owner}` : 'someone else'}; not deleting it`);
    if (found.Status !== 'Delete in progress') {
      await deps.clients.autoscaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true }));
    }
    throw new NotReadyError(`Auto Scaling group ${name} is being deleted`);
  }
  await deps.store.forgetResource(event.cluster, 'autoscaling-group', name);
  const templates = (await deps.store.listResources(event.cluster)).filter((r) => r.type === 'launch-template' && r.name === name);
  try {
    const template = (await deps.clients.ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] }))).LaunchTemplates?.[0];
    const owner = tagRecord(template?.Tags)[HOPPER_CLUSTER_TAG];
    if (template && owner !== event.cluster) throw new StepFailedError(`launch template ${name} belongs to ${owner ? `cluster ${owner}` : 'someone else'}; not deleting it`);
    if (template) await deps.clients.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: template.LaunchTemplateId }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  for (const t of templates) await deps.store.forgetResource(event.cluster, 'launch-template', t.id);
  return { group: event.group, deleted: true };
}

export const step = defineStep({
  name: 'DeleteInstanceGroup',
  clients: [ec2Client, autoscalingClient], input,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'),
    anywhere('autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeLaunchTemplates'),
    ofCluster(['autoscaling:DeleteAutoScalingGroup'], [arn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*')]),
    ofCluster(['ec2:DeleteLaunchTemplate'], [arn('ec2', 'launch-template/*')]),
  ],
  run: deleteInstanceGroup,
});
export const { handler } = step;
