/**
 * CheckApiLoadBalancer: `active` → done; `provisioning` → NotReadyError (the state machine
 * polls); `failed` → StepFailedError.
 */
import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { API_PORT } from './common';
import { elbv2Client } from '../../shared/aws/clients/elbv2';
import { anywhere, table } from '../../shared/aws/iam';

export const checkApiLoadBalancerInput = stepEnvelope.extend({ loadBalancerArn: z.string() });

export async function checkApiLoadBalancer(
  input: { loadBalancerArn: string },
  deps: StepDeps,
): Promise<{ loadBalancerArn: string; dnsName: string; targetGroupArn: string; state: 'active' }> {
  const { loadBalancerArn } = input;
  const elbv2 = deps.clients.elbv2;
  let loadBalancer;
  try {
    loadBalancer = (await elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [loadBalancerArn] }))).LoadBalancers?.[0];
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!loadBalancer) throw new StepFailedError(`The API load balancer ${loadBalancerArn} does not exist`);
  const state = loadBalancer.State?.Code;
  if (state === 'provisioning' || state === 'active_impaired') {
    throw new NotReadyError(`The API load balancer is ${state}`);
  }
  if (state !== 'active') {
    throw new StepFailedError(`The API load balancer is ${state ?? 'in no state'}${loadBalancer.State?.Reason ? `: ${loadBalancer.State.Reason}` : ''}`);
  }
  const groups = (await elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: loadBalancerArn }))).TargetGroups ?? [];
  const group = groups.find((g) => g.Port === API_PORT) ?? groups[0];
  if (!group) throw new StepFailedError(`The API load balancer ${loadBalancerArn} has no target group`);
  return { loadBalancerArn, dnsName: loadBalancer.DNSName!, targetGroupArn: group.TargetGroupArn!, state: 'active' };
}

export const step = defineStep({
  name: 'CheckApiLoadBalancer',
  describeActivity: () => 'waiting for the API load balancer to be active',
  clients: [elbv2Client],
  input: checkApiLoadBalancerInput,
  permissions: [
    table('GetItem', 'UpdateItem'),
    anywhere('elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeTargetGroups'),
  ],
  run: checkApiLoadBalancer,
});
export const { handler } = step;
