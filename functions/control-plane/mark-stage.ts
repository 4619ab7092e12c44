/**
 * ControlPlaneReady / NodesLaunched / StartBatch / EndBatch (markStage): no work of its own.
 * The state machine calls it to open a stage (`stage` alone: a rolling update's `Batch <n>`)
 * or to close one (`endsStage: true`, where branches join or a batch is done), and
 * defineStep records it, with `detail` when given.
 */
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { table } from '../../shared/aws/iam';

export async function markStage(_input: unknown, _deps: StepDeps): Promise<Record<string, never>> {
  return {};
}

export const step = defineStep({
  name: 'MarkStage',
  input: stepEnvelope.extend({ detail: z.record(z.string(), z.unknown()).optional() }),
  describeStage: (_output, input) => (input.detail === undefined ? {} : { detail: input.detail }),
  // Bookkeeping: the stage's activity stays what its steps said.
  describeActivity: () => undefined,
  permissions: [
    table('GetItem', 'UpdateItem'),
  ],
  run: markStage,
});
export const { handler } = step;
