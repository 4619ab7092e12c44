/**
 * StartRollingUpdate (CheckRollingUpdate follows it): the upgrade reuses the rolling update as a
 * nested execution of the same state machine (one definition of the rollout, not a copy),
 * under the upgrade's own operation: the nested run skips BeginWorkflow and FinishWorkflow,
 * records its plan and batches on the upgrade's operation, and its failure is the
 * upgrade's. The execution's name is derived from the operation, so a retried start is the
 * same execution (StartExecution with the same name and input is idempotent).
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import { requiredEnv } from '../../shared/config';
import { executionArn } from '../lib/sfn';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { sfnClient } from '../../shared/aws/clients/sfn';
import { allow, ref, table, stateMachineArn } from '../../shared/aws/iam';

export const startRollingUpdateInput = stepEnvelope.extend({ imageId: z.string().min(1) });

/** The nested execution's name: the operation's, suffixed (≤ 80 characters). */
export function rollingExecutionName(operationId: string): string {
  return `${operationId.slice(0, 74)}-roll`;
}

export async function startRollingUpdate(input: z.infer<typeof startRollingUpdateInput>, deps: StepDeps): Promise<{ executionArn: string }> {
  const machine = requiredEnv('ROLLING_UPDATE_STATE_MACHINE_ARN');
  const name = rollingExecutionName(input.operationId);
  const body = { cluster: input.cluster, operationId: input.operationId, nested: true, options: { controlPlaneImageId: input.imageId } };
  try {
    const out = await deps.clients.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name, input: JSON.stringify(body) }));
    return { executionArn: out.executionArn ?? executionArn(machine, name) };
  } catch (err) {
    if (awsErrorCode(err) !== 'ExecutionAlreadyExists') throw err;
    return { executionArn: executionArn(machine, name) };
  }
}

export const step = defineStep({
  name: 'StartRollingUpdate',
  clients: [ec2Client, sfnClient],
  input: startRollingUpdateInput,
  environment: { ROLLING_UPDATE_STATE_MACHINE_ARN: ref('RollingUpdateStateMachine') },
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    allow(['states:StartExecution'], [stateMachineArn('rolling-update')]),
  ],
  run: startRollingUpdate,
});
export const handler = step.handler;
