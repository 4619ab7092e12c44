/** The ec2 client, for the functions that declare it (see ./index.ts). */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { ClientFactory } from './index';

export const ec2Client: ClientFactory<'ec2'> = { name: 'ec2', cloud: true, create: (config) => new EC2Client(config) };
