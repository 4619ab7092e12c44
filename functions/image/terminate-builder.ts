/**
 * TerminateBuilder: the builder goes, on success and on every failure path. The instance
 * id comes from LaunchBuilder's result when the state machine has it; the builder is also
 * looked up by the bake's tag, so one whose launch result was lost is terminated too.
 * Already gone counts as done.
 */
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { findBuilders } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn } from '../../shared/aws/iam';

export const terminateBuilderInput = stepEnvelope.extend({
  bakeId: z.string().min(1),
  /** LaunchBuilder's result, or `{}` when the bake failed before (or while) launching. */
  builder: z.object({ instanceId: z.string().optional() }).passthrough().default({}),
});

export interface TerminateBuilderOutput {
  terminated: string[];
}

export async function terminateBuilder(input: z.input<typeof terminateBuilderInput>, deps: StepDeps): Promise<TerminateBuilderOutput> {
  const found = await findBuilders(deps, input.cluster, input.bakeId);
  const ids = new Set(found.filter((i) => i.State?.Name !== 'shutting-down').map((i) => i.InstanceId!));
  if (input.builder?.instanceId) ids.add(input.builder.instanceId);
  const terminated: string[] = [];
  for (const id of ids) {
    try {
      await deps.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      terminated.push(id);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return { terminated };
}

export const step = defineStep({
  name: 'TerminateBuilder',
  clients: [ec2Client],
  // Terminating the bake's own builder is always safe, and a bake whose create has failed
  // (its operation closed) must still not leave a machine running.
  fenced: false,
  input: terminateBuilderInput,
  permissions: [
    anywhere('ec2:DescribeInstances'),
    allow(['ec2:TerminateInstances'], [arn('ec2', 'instance/*')], { StringEquals: { 'aws:ResourceTag/hopper:role': 'image-builder' } }),
  ],
  run: terminateBuilder,
});
export const { handler, run: runStep } = step;
