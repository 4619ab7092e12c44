/**
 * DeleteVpc (pass 7): the cluster's own VPC, last of the network (its main route table and
 * default security group go with it). A brought VPC is never here: Discover lists it as shared.
 */
import { DeleteVpcCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput, type DeleteSummary } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, arn, table } from '../../shared/aws/iam';

export const deleteVpcInput = passInput({ vpcs: z.array(z.string()) });

export async function deleteVpc(input: z.infer<typeof deleteVpcInput>, deps: StepDeps): Promise<DeleteSummary> {
  return deleteEach(deps, input.cluster, 'vpcs', input.vpcs, (id) => deps.clients.ec2.send(new DeleteVpcCommand({ VpcId: id })));
}

export const step = defineStep({
  name: 'DeleteVpc',
  clients: [ec2Client],
  input: deleteVpcInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    allow(['ec2:DeleteVpc'], [arn('ec2', 'vpc/*')], { StringEquals: { 'ec2:ResourceTag/hopper:role': 'vpc' } }),
  ],
  run: deleteVpc,
});
export const { handler } = step;
