/**
 * The s3 client, for the functions that declare it (see ./index.ts). Path-style addressing
 * wherever an endpoint other than AWS's is set (the cloud simulator, LocalStack): a bucket in
 * the host name needs DNS those endpoints do not have.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { ClientFactory } from './index';

export const s3Client: ClientFactory<'s3'> = {
  name: 's3',
  cloud: true,
  create: (config) => new S3Client({ ...config, forcePathStyle: config.endpoint !== undefined || process.env.AWS_ENDPOINT_URL_S3 !== undefined || process.env.AWS_ENDPOINT_URL !== undefined }),
};
