/** The DynamoDB document client (every step's store uses it), for the functions that declare it (see ./index.ts). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientFactory } from './index';

export const ddbClient: ClientFactory<'ddb'> = {
  name: 'ddb',
  cloud: false,
  create: (config) => DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } }),
};
