/** StopBuilder: stop the builder before imaging it (see builder-state.ts). */
import { defineStep } from '../lib/step';
import { builderInput, stopBuilder } from './builder-state';

export { stopBuilder };
export const step = defineStep({ name: 'StopBuilder', input: builderInput, run: stopBuilder });
export const { handler, run: runStep } = step;
