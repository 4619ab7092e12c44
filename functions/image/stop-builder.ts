/** StopBuilder: stop the builder before imaging it (see builder-state.ts). */
import { defineStep } from '../lib/step';
import { builderInput, stopBuilder } from './builder-state';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn } from '../../shared/aws/iam';

export { stopBuilder };
export const step = defineStep({
  name: 'StopBuilder',
  clients: [ec2Client],
  input: builderInput,
  permissions: [
    anywhere('ec2:DescribeInstances'),
    allow(['ec2:StopInstances'], [arn('ec2', 'instance/*')], { StringEquals: { 'aws:ResourceTag/hopper:role': 'image-builder' } }),
  ],
  run: stopBuilder,
});
export const { handler, run: runStep } = step;
