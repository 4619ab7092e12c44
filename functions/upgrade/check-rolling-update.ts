/** CheckRollingUpdate: polls the nested rolling-update execution the upgrade started. */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import { describeFailure } from '../lib/sfn';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { sfnClient } from '../../shared/aws/clients/sfn';
import { allow, arn, table } from '../../shared/aws/iam';

export const checkRollingUpdateInput = stepEnvelope.extend({ executionArn: z.string().min(1) });

export async function checkRollingUpdate(input: z.infer<typeof checkRollingUpdateInput>, deps: StepDeps): Promise<{ status: 'SUCCEEDED' }> {
  const execution = await deps.clients.sfn.send(new DescribeExecutionCommand({ executionArn: input.executionArn }));
  if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') throw new NotReadyError('the rolling update is running');
  if (execution.status === 'SUCCEEDED') return { status: 'SUCCEEDED' };
  throw new StepFailedError(`the rolling update ${String(execution.status ?? 'ended').toLowerCase()}: ${describeFailure(execution.error, execution.cause)}`);
}

export const step = defineStep({
  name: 'CheckRollingUpdate',
  clients: [sfnClient],
  input: checkRollingUpdateInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    allow(['states:DescribeExecution'], [arn('states', 'execution:hopper-${sls:stage}-rolling-update:*')]),
  ],
  run: checkRollingUpdate,
});
export const handler = step.handler;
