/** The iam client, for the functions that declare it (see ./index.ts): the cluster's host roles. */
import { IAMClient } from '@aws-sdk/client-iam';
import type { ClientFactory } from './index';

export const iamClient: ClientFactory<'iam'> = { name: 'iam', cloud: true, create: (config) => new IAMClient(config) };
