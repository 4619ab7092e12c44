/** StopBuilder: stop the builder before imaging it (see builder-state.ts). */
import { defineStep } from '../lib/step';
import { builderInput, stopBuilder } from './builder-state';
import { ec2Client } from '../../shared/aws/clients/ec2';

export { stopBuilder };
export const step = defineStep({ name: 'StopBuilder', clients: [ec2Client], input: builderInput, run: stopBuilder });
export const { handler, run: runStep } = step;
