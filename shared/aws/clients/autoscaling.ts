/** The autoscaling client, for the functions that declare it (see ./index.ts). */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { ClientFactory } from './index';

export const autoscalingClient: ClientFactory<'autoscaling'> = { name: 'autoscaling', cloud: true, create: (config) => new AutoScalingClient(config) };
