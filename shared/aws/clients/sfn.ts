/** The sfn client, for the functions that declare it (see ./index.ts). */
import { SFNClient } from '@aws-sdk/client-sfn';
import type { ClientFactory } from './index';

export const sfnClient: ClientFactory<'sfn'> = { name: 'sfn', cloud: false, create: (config) => new SFNClient(config) };
