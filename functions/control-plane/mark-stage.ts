/**
 * ControlPlaneReady / NodesLaunched (markStage): no work of its own. The state machine
 * calls it with `endsStage: true` where branches join, and defineStep records the stage
 * as Succeeded.
 */
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { table } from '../../shared/aws/iam';

export async function markStage(_input: unknown, _deps: StepDeps): Promise<Record<string, never>> {
  return {};
}

export const step = defineStep({
  name: 'MarkStage',
  input: stepEnvelope,
  permissions: [
    table('GetItem', 'UpdateItem'),
  ],
  run: markStage,
});
export const { handler } = step;
