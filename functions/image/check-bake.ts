/**
 * CheckBake (create-cluster, stage Image): NotReadyError while the bake-image execution
 * runs; its image when it succeeded; its error, readable, when it did not.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { sfnClient } from '../../shared/aws/clients/sfn';
import { allow, arn, table } from '../../shared/aws/iam';
import { describeFailure, parseJson } from '../lib/sfn';

export const checkBakeInput = stepEnvelope.extend({ bakeExecutionArn: z.string().min(1) });

export interface CheckBakeOutput {
  imageId: string;
}

export async function checkBake(input: { bakeExecutionArn: string }, deps: StepDeps): Promise<CheckBakeOutput> {
  const execution = await deps.clients.sfn.send(new DescribeExecutionCommand({ executionArn: input.bakeExecutionArn }));
  const name = execution.name ?? input.bakeExecutionArn.split(':').pop();
  switch (execution.status) {
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      throw new NotReadyError(`image bake ${name} is running`);
    case 'SUCCEEDED': {
      const output = parseJson(execution.output) as { imageId?: unknown } | undefined;
      if (typeof output?.imageId !== 'string') throw new StepFailedError(`image bake ${name} succeeded without an imageId in its output`);
      return { imageId: output.imageId };
    }
    default:
      throw new StepFailedError(`image bake ${name} ${String(execution.status ?? 'ended').toLowerCase().replace('_', ' ')}: ${describeFailure(execution.error, execution.cause)}`);
  }
}


export const step = defineStep({
  name: 'CheckBake',
  // Says nothing: the bake's own steps report what it does (reportsTo).
  describeActivity: () => undefined,
  clients: [sfnClient],
  input: checkBakeInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    allow(['states:DescribeExecution'], [arn('states', 'execution:hopper-${sls:stage}-bake-image:*')]),
  ],
  run: checkBake,
});
export const { handler, run: runStep } = step;
