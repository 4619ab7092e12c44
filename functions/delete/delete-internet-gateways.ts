/**
 * DeleteInternetGateways (pass 4): detach the cluster's own internet gateway from its VPC,
 * then delete it. Detaching fails while public addresses are still mapped in the VPC
 * (DependencyViolation → retried). A brought gateway is never detached: Discover lists it
 * as shared.
 */
import { DeleteInternetGatewayCommand, DescribeInternetGatewaysCommand, DetachInternetGatewayCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { awsErrorCode, isNotFound } from '../../shared/aws/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput, type DeleteSummary } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, table, unscoped } from '../../shared/aws/iam';

export const deleteInternetGatewaysInput = passInput({ internetGateways: z.array(z.string()) });

export async function deleteInternetGateways(input: z.infer<typeof deleteInternetGatewaysInput>, deps: StepDeps): Promise<DeleteSummary> {
  const ec2 = deps.clients.ec2;
  return deleteEach(deps, input.cluster, 'internetGateways', input.internetGateways, async (id) => {
    const out = await ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'internet-gateway-id', Values: [id] }] }));
    for (const a of out.InternetGateways?.[0]?.Attachments ?? []) {
      try {
        await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: id, VpcId: a.VpcId }));
      } catch (err) {
        // Detached by an earlier attempt.
        if (!isNotFound(err) && awsErrorCode(err) !== 'Gateway.NotAttached') throw err;
      }
    }
    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id }));
  });
}

export const step = defineStep({
  name: 'DeleteInternetGateways',
  clients: [ec2Client],
  input: deleteInternetGatewaysInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    anywhere('ec2:DescribeInternetGateways'),
    allow(['ec2:DetachInternetGateway', 'ec2:DeleteInternetGateway'], [arn('ec2', 'internet-gateway/*')], { StringLike: { 'ec2:ResourceTag/hopper:cluster': '?*' } }),
    unscoped('the VPC may be a brought one, which carries no Hopper tag; the gateway detached is the cluster\'s, by tag', allow(['ec2:DetachInternetGateway'], [arn('ec2', 'vpc/*')])),
  ],
  run: deleteInternetGateways,
});
export const { handler } = step;
