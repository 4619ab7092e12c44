/**
 * DeleteNatGateways (pass 3): ask for the deletion of the cluster's own NAT gateways (never a
 * brought one: Discover lists those as shared). Deletion takes about a minute;
 * CheckNatGatewaysDeleted waits for it and forgets them.
 */
import { DeleteNatGatewayCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput, type DeleteSummary } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, arn, table } from '../../shared/aws/iam';

export const deleteNatGatewaysInput = passInput({ natGateways: z.array(z.string()) });

export async function deleteNatGateways(input: z.infer<typeof deleteNatGatewaysInput>, deps: StepDeps): Promise<DeleteSummary> {
  return deleteEach(deps, input.cluster, 'natGateways', input.natGateways, (id) => deps.clients.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id })), {
    forget: false,
  });
}

export const step = defineStep({
  name: 'DeleteNatGateways',
  clients: [ec2Client],
  input: deleteNatGatewaysInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    allow(['ec2:DeleteNatGateway'], [arn('ec2', 'natgateway/*')], { StringLike: { 'ec2:ResourceTag/hopper:cluster': '?*' } }),
  ],
  run: deleteNatGateways,
});
export const { handler } = step;
