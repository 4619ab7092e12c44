/**
 * RecordValidation: the validate workflow's end. The report (nodes, failures, ok) becomes
 * the Validate step's detail, where `GET /v1/operations/{id}` shows it; the operation
 * Succeeded whether or not the cluster is valid (the report says which).
 */
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { table } from '../../shared/aws/iam';

const input = stepEnvelope.extend({
  result: z.looseObject({ ok: z.boolean(), failures: z.array(z.unknown()).optional(), nodes: z.array(z.unknown()).optional() }),
});

export async function finishValidation(event: z.infer<typeof input>, deps: StepDeps): Promise<{ ok: boolean }> {
  const report = { ok: event.result.ok, nodes: event.result.nodes ?? [], failures: event.result.failures ?? [] };
  await deps.store.endStep(event.operationId, 'Validate', { status: 'Succeeded', detail: report });
  await deps.store.finishOperation(event.operationId, { status: 'Succeeded' });
  return { ok: report.ok };
}

export const step = defineStep({
  name: 'FinishValidation', input,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
  ],
  run: finishValidation,
});
export const { handler } = step;
