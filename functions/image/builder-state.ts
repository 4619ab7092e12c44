/**
 * StopBuilder and CheckBuilderStopped: the builder is stopped before it is imaged, so the
 * image is taken from a quiet, consistent disk (CreateImage then needs no reboot).
 */
import { DescribeInstancesCommand, StopInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { awsErrorCode, isNotFound } from '../../shared/aws/errors';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { stepEnvelope } from '../lib/step';

export const builderInput = stepEnvelope.extend({ instanceId: z.string() });

export interface BuilderStateOutput {
  instanceId: string;
  state: string;
}

/** The builder as EC2 sees it now; NotReadyError while EC2 does not list it yet. */
export async function describeBuilder(deps: StepDeps, instanceId: string): Promise<Instance> {
  try {
    const out = await deps.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const inst = out.Reservations?.[0]?.Instances?.[0];
    if (inst) return inst;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  throw new NotReadyError(`image builder ${instanceId} is not listed by EC2 yet`);
}

/** StopInstances, unless it is stopping or stopped already. */
export async function stopBuilder(input: { instanceId: string }, deps: StepDeps): Promise<BuilderStateOutput> {
  const inst = await describeBuilder(deps, input.instanceId);
  const state = inst.State?.Name ?? 'unknown';
  if (state === 'stopping' || state === 'stopped') return { instanceId: input.instanceId, state };
  if (state === 'shutting-down' || state === 'terminated') {
    throw new StepFailedError(`image builder ${input.instanceId} is ${state}${inst.StateReason?.Message ? ` (${inst.StateReason.Message})` : ''}`);
  }
  try {
    const out = await deps.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [input.instanceId] }));
    return { instanceId: input.instanceId, state: out.StoppingInstances?.[0]?.CurrentState?.Name ?? 'stopping' };
  } catch (err) {
    // Still pending (it cannot be: it ran the bake), or a race with our own earlier stop.
    if (awsErrorCode(err) === 'IncorrectInstanceState') throw new NotReadyError(`image builder ${input.instanceId} cannot be stopped yet`, { cause: err });
    throw err;
  }
}

/** Stopped → done; stopping → NotReadyError; terminated → terminal. */
export async function checkBuilderStopped(input: { instanceId: string }, deps: StepDeps): Promise<BuilderStateOutput> {
  const inst = await describeBuilder(deps, input.instanceId);
  const state = inst.State?.Name ?? 'unknown';
  if (state === 'stopped') return { instanceId: input.instanceId, state };
  if (state === 'shutting-down' || state === 'terminated') {
    throw new StepFailedError(`image builder ${input.instanceId} is ${state}${inst.StateReason?.Message ? ` (${inst.StateReason.Message})` : ''}`);
  }
  throw new NotReadyError(`image builder ${input.instanceId} is ${state}`);
}
