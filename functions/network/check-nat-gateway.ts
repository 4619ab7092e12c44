/**
 * CheckNatGateway: `available` → done; `pending` → NotReadyError (the state machine polls);
 * `failed`, `deleting`, `deleted` → StepFailedError with AWS's reason.
 */
import { DescribeNatGatewaysCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { anywhere, table } from '../../shared/aws/iam';

export const checkNatGatewayInput = stepEnvelope.extend({ natGatewayId: z.string(), zone: z.string() });

export async function checkNatGateway(
  input: { natGatewayId: string; zone: string },
  deps: StepDeps,
): Promise<{ natGatewayId: string; state: 'available' }> {
  const { natGatewayId, zone } = input;
  let nat;
  try {
    nat = (await deps.clients.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natGatewayId] }))).NatGateways?.[0];
  } catch (err) {
    // Just created: EC2's reads may not see it for a moment (eventual consistency).
    if (isNotFound(err)) throw new NotReadyError(`NAT gateway ${natGatewayId} (${zone}) is not visible yet`, { cause: err });
    throw err;
  }
  const state = nat?.State;
  if (state === 'available') return { natGatewayId, state };
  if (state === 'pending' || state === undefined) throw new NotReadyError(`NAT gateway ${natGatewayId} (${zone}) is ${state ?? 'not visible yet'}`);
  const reason = nat?.FailureMessage ? `: ${nat.FailureCode ?? ''} ${nat.FailureMessage}`.trimEnd() : '';
  throw new StepFailedError(`NAT gateway ${natGatewayId} (${zone}) is ${state}${reason}`);
}

export const step = defineStep({
  name: 'CheckNatGateway',
  describeActivity: (i) => `waiting for NAT gateway ${i.natGatewayId} in ${i.zone}`,
  clients: [ec2Client],
  input: checkNatGatewayInput,
  permissions: [
    table('GetItem', 'UpdateItem'),
    anywhere('ec2:DescribeNatGateways'),
  ],
  run: checkNatGateway,
});
export const { handler } = step;
