/**
 * ValidationFailed: the cluster did not validate (two passes in a row) within the deadline
 * after a batch. Like kops, the rolling update stops here — with the failures named — unless
 * it was started with `failOnValidationError: false`, in which case the failures are
 * recorded on the batch and the rollout goes on.
 */
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { table } from '../../shared/aws/iam';

export const validationFailedInput = stepEnvelope.extend({
  batch: z.number().int(),
  failOnValidationError: z.boolean(),
  failures: z.array(z.looseObject({ message: z.string().optional() })).default([]),
});

export async function validationFailed(input: z.infer<typeof validationFailedInput>, _deps: StepDeps): Promise<{ continued: true; summary: string }> {
  const messages = input.failures.map((f) => f.message ?? JSON.stringify(f));
  const summary = messages.slice(0, 5).join('; ') + (messages.length > 5 ? ` (and ${messages.length - 5} more)` : '');
  if (input.failOnValidationError) {
    throw new StepFailedError(`the cluster did not validate after batch ${input.batch}: ${summary || 'no passing validation before the deadline'}`);
  }
  return { continued: true, summary };
}

export const step = defineStep({
  name: 'ValidationFailed',
  input: validationFailedInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
  ],
  // The workflow makes this call the stage `Batch <n> validation`: failed, and the rollout goes on.
  describeStage: ({ summary }) => ({ status: 'Failed', error: { code: 'ValidationFailed', message: `continued (failOnValidationError is false): ${summary}` } }),
  run: validationFailed,
});
export const { handler, run: runStep } = step;
