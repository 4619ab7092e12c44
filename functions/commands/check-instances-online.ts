/**
 * CheckInstancesOnline: whether every instance's SSM agent is registered and Online, so
 * Run Command can reach it. Retried by the state machine while some are not
 * (NotReadyError naming them); an instance that died on the way is terminal.
 */
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, table } from '../../shared/aws/iam';
import { requireOnline } from './instances-online';

export const checkInstancesOnlineInput = stepEnvelope.extend({
  instanceIds: z.array(z.string().min(1)).min(1),
});

export interface CheckInstancesOnlineOutput {
  online: string[];
}

export async function checkInstancesOnline(input: { instanceIds: string[] }, deps: StepDeps): Promise<CheckInstancesOnlineOutput> {
  await requireOnline(deps, input.instanceIds);
  return { online: input.instanceIds };
}

export const step = defineStep({
  name: 'CheckInstancesOnline',
  describeActivity: (i) => `waiting for ${i.instanceIds.join(', ')} to come online in Systems Manager`,
  clients: [ec2Client, ssmClient],
  input: checkInstancesOnlineInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
  ],
  run: checkInstancesOnline,
});
export const { handler, run: runStep } = step;
