/** DeleteLaunchTemplates (pass 8): the node groups' launch templates, once their groups are gone. */
import { DeleteLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput, type DeleteSummary } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, arn, table } from '../../shared/aws/iam';

export const deleteLaunchTemplatesInput = passInput({ launchTemplates: z.array(z.string()) });

export async function deleteLaunchTemplates(input: z.infer<typeof deleteLaunchTemplatesInput>, deps: StepDeps): Promise<DeleteSummary> {
  return deleteEach(deps, input.cluster, 'launchTemplates', input.launchTemplates, (id) =>
    deps.clients.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id })),
  );
}

export const step = defineStep({
  name: 'DeleteLaunchTemplates',
  clients: [ec2Client],
  input: deleteLaunchTemplatesInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    allow(['ec2:DeleteLaunchTemplate'], [arn('ec2', 'launch-template/*')], { StringLike: { 'ec2:ResourceTag/hopper:cluster': '?*' } }),
  ],
  run: deleteLaunchTemplates,
});
export const { handler } = step;
