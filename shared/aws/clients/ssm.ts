/** The ssm client, for the functions that declare it (see ./index.ts). */
import { SSMClient } from '@aws-sdk/client-ssm';
import type { ClientFactory } from './index';

export const ssmClient: ClientFactory<'ssm'> = { name: 'ssm', cloud: true, create: (config) => new SSMClient(config) };
