/**
 * The Task resources of rolling-update, upgrade-cluster and bake-image, mapped onto step
 * cores: every step the workflows run, read from their definitions (a step a definition
 * gains is there without a list to keep).
 */
import * as installPackages from '../../functions/image/install-packages';
import type { StepDeps } from '../../functions/lib/deps';
import { WORKFLOWS } from '../../workflows';
import { functionName } from '../../workflows/lib/builder';
import { workflowSteps } from '../../workflows/wiring';
import type { StepEnv } from '../helpers/step-env';
import { seedFstab } from '../image/helpers';

export type Run = (event: unknown, context: undefined, deps: StepDeps) => Promise<unknown>;

export function allSteps(env: StepEnv): Record<string, Run> {
  const steps: Record<string, Run> = Object.fromEntries(workflowSteps(WORKFLOWS).map((s) => [functionName(s), (s as unknown as { run: Run }).run]));
  // The simulator's hosts lack /etc/fstab, which the bake edits (see test/image/helpers.ts).
  steps.installPackages = async (event, context, d) => {
    await seedFstab(env, (event as { instanceId: string }).instanceId);
    return installPackages.runStep(event, context, d);
  };
  return steps;
}
