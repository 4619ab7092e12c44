/**
 * CheckNatGatewaysDeleted (pass 3, polled after a Wait): NotReadyError until every NAT gateway
 * of the set is `deleted` (or gone); a `failed` or still `available` one is asked again.
 * Deleted ones are forgotten. Their Elastic IPs are free only after this.
 */
import { DeleteNatGatewayCommand, DescribeNatGatewaysCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { NotReadyError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { forget, passInput } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, table } from '../../shared/aws/iam';

export const checkNatGatewaysDeletedInput = passInput({ natGateways: z.array(z.string()) });

export async function checkNatGatewaysDeleted(input: z.infer<typeof checkNatGatewaysDeletedInput>, deps: StepDeps): Promise<{ deleted: number }> {
  if (input.natGateways.length === 0) return { deleted: 0 };
  const out = await deps.clients.ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'nat-gateway-id', Values: input.natGateways }] }));
  const waiting: string[] = [];
  const states = new Map((out.NatGateways ?? []).map((n) => [n.NatGatewayId!, n.State]));
  for (const id of input.natGateways) {
    const state = states.get(id);
    if (state === undefined || state === 'deleted') {
      await forget(deps, input.cluster, 'natGateways', id);
      continue;
    }
    if (state !== 'deleting') await deps.clients.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id }));
    waiting.push(`${id} ${state}`);
  }
  if (waiting.length) throw new NotReadyError(`waiting for NAT gateway(s) to be deleted: ${waiting.join(', ')}`);
  return { deleted: input.natGateways.length };
}

export const step = defineStep({
  name: 'CheckNatGatewaysDeleted',
  clients: [ec2Client],
  input: checkNatGatewaysDeletedInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    anywhere('ec2:DescribeNatGateways'),
    allow(['ec2:DeleteNatGateway'], [arn('ec2', 'natgateway/*')], { StringLike: { 'ec2:ResourceTag/hopper:cluster': '?*' } }),
  ],
  run: checkNatGatewaysDeleted,
});
export const { handler } = step;
