/** CheckBuilderStopped: NotReadyError until the builder is stopped (see builder-state.ts). */
import { defineStep } from '../lib/step';
import { builderInput, checkBuilderStopped } from './builder-state';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { anywhere } from '../../shared/aws/iam';

export { checkBuilderStopped };
export const step = defineStep({
  name: 'CheckBuilderStopped',
  clients: [ec2Client],
  input: builderInput,
  permissions: [
    anywhere('ec2:DescribeInstances'),
  ],
  run: checkBuilderStopped,
});
export const { handler, run: runStep } = step;
