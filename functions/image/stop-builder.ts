/** StopBuilder: stop the builder before imaging it (see builder-state.ts). */
import { defineStep } from '../lib/step';
import { builderInput, stopBuilder } from './builder-state';

export { stopBuilder };
export const { handler, run: runStep } = defineStep({ name: 'StopBuilder', input: builderInput, run: stopBuilder });
