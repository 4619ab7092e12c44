/**
 * CheckCommand: whether an SSM command finished on one instance. Retried by the state
 * machine while it runs (NotReadyError); a failure becomes a readable StepFailedError that
 * names the step, the instance and the end of the script's stderr:
 * "InitControlPlane failed on i-0abc…: kubeadm init: …".
 */
import { GetCommandInvocationCommand, type GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope, inWords } from '../lib/step';
import { tailLines } from './output';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, table } from '../../shared/aws/iam';
import { failureMessage } from './output';

export const checkCommandInput = stepEnvelope.extend({
  commandId: z.string().min(1),
  instanceId: z.string().min(1),
  /** The step that sent the command (`InitControlPlane`), for messages. */
  step: z.string().min(1),
});
export type CheckCommandInput = z.infer<typeof checkCommandInput>;

export interface CheckCommandOutput {
  status: 'Success';
  /** The last lines of stdout, secrets masked. */
  output: string;
}

/** Lines of stdout returned on success. */
const OUTPUT_LINES = 20;

const RUNNING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);

export async function checkCommand(input: Pick<CheckCommandInput, 'commandId' | 'instanceId' | 'step'>, deps: StepDeps): Promise<CheckCommandOutput> {
  const { commandId, instanceId, step } = input;
  let inv: GetCommandInvocationCommandOutput;
  try {
    inv = await deps.clients.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  } catch (err) {
    // SSM is eventually consistent: a command just sent may not have its invocation yet.
    if (awsErrorCode(err) === 'InvocationDoesNotExist') {
      throw new NotReadyError(`${step}: command ${commandId} not yet delivered to ${instanceId}`);
    }
    throw err;
  }
  const status = inv.Status ?? 'Pending';
  if (RUNNING.has(status)) {
    throw new NotReadyError(`${step}: command ${commandId} on ${instanceId} is ${status}`);
  }
  if (status === 'Success') {
    return { status: 'Success', output: tailLines(inv.StandardOutputContent, OUTPUT_LINES).join('\n') };
  }
  throw new StepFailedError(failureMessage(step, instanceId, status, inv));
}

export const step = defineStep({
  name: 'CheckCommand',
  describeActivity: (i) => `waiting for ${inWords(i.step)} on ${i.instanceId}`,
  clients: [ssmClient],
  input: checkCommandInput,
  // --- shared SSM helpers (create-cluster, bake-image, rolling update, upgrade) -------------
  //
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('ssm:GetCommandInvocation'),
  ],
  run: checkCommand,
});
export const { handler, run: runStep } = step;
