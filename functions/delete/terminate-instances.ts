/**
 * TerminateInstances (pass 1, after the groups): terminate the cluster's other instances
 * (control plane, bastion, image builders, and any group instance still up). Terminating a
 * terminating instance is a no-op, so a rerun is harmless.
 */
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { chunks, passInput } from './common';
import { liveInstances } from './instances';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, table } from '../../shared/aws/iam';

export const terminateInstancesInput = passInput({ instances: z.array(z.string()) });

export async function terminateInstances(input: z.infer<typeof terminateInstancesInput>, deps: StepDeps): Promise<{ terminating: number }> {
  const live = await liveInstances(deps, input.cluster, input.instances);
  const ids = live.filter((i) => i.State?.Name !== 'shutting-down').map((i) => i.InstanceId!);
  for (const part of chunks(ids, 50)) await deps.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: part }));
  return { terminating: live.length };
}

export const step = defineStep({
  name: 'TerminateInstances',
  clients: [ec2Client],
  input: terminateInstancesInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('ec2:DescribeInstances'),
    allow(['ec2:TerminateInstances'], [arn('ec2', 'instance/*')], { StringLike: { 'ec2:ResourceTag/hopper:cluster': '?*' } }),
  ],
  run: terminateInstances,
});
export const { handler } = step;
