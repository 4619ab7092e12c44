/** The elbv2 client, for the functions that declare it (see ./index.ts). */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ClientFactory } from './index';

export const elbv2Client: ClientFactory<'elbv2'> = { name: 'elbv2', cloud: true, create: (config) => new ElasticLoadBalancingV2Client(config) };
