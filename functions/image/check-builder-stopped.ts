/** CheckBuilderStopped: NotReadyError until the builder is stopped (see builder-state.ts). */
import { defineStep } from '../lib/step';
import { builderInput, checkBuilderStopped } from './builder-state';

export { checkBuilderStopped };
export const step = defineStep({ name: 'CheckBuilderStopped', input: builderInput, run: checkBuilderStopped });
export const { handler, run: runStep } = step;
