/**
 * DeleteSubnets (pass 5): the cluster's own subnets. A load balancer's or NAT gateway's
 * interfaces linger for a while after their owner is deleted: DependencyViolation, retried.
 */
import { DeleteSubnetCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput, type DeleteSummary } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, arn, table } from '../../shared/aws/iam';

export const deleteSubnetsInput = passInput({ subnets: z.array(z.string()) });

export async function deleteSubnets(input: z.infer<typeof deleteSubnetsInput>, deps: StepDeps): Promise<DeleteSummary> {
  return deleteEach(deps, input.cluster, 'subnets', input.subnets, (id) => deps.clients.ec2.send(new DeleteSubnetCommand({ SubnetId: id })));
}

export const step = defineStep({
  name: 'DeleteSubnets',
  clients: [ec2Client],
  input: deleteSubnetsInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    allow(['ec2:DeleteSubnet'], [arn('ec2', 'subnet/*')], { StringEquals: { 'ec2:ResourceTag/hopper:role': ['utility-subnet', 'private-subnet', 'public-subnet'] } }),
  ],
  run: deleteSubnets,
});
export const { handler } = step;
