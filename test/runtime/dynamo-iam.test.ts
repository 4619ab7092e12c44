/**
 * What the embedded runtime's DynamoDB asks IAM about each request: the action on every table
 * or index it names, as AWS authorizes DynamoDB calls.
 */
import { describe, expect, it } from 'vitest';
import { dynamoResources } from '../../local/runtime/dynamo-iam';

const table = 'arn:aws:dynamodb:us-east-1:000000000000:table/hopper';

describe('the resources of a DynamoDB request', () => {
  it('are the table, or the index a Query or Scan reads', () => {
    expect(dynamoResources('GetItem', { TableName: 'hopper', Key: {} }, 'us-east-1')).toEqual([table]);
    expect(dynamoResources('Query', { TableName: 'hopper', IndexName: 'gsi1' }, 'us-east-1')).toEqual([`${table}/index/gsi1`]);
    expect(dynamoResources('Query', { TableName: 'hopper' }, 'us-east-1')).toEqual([table]);
  });

  it('are every table of a batch or transaction, and * for ListTables', () => {
    expect(dynamoResources('BatchWriteItem', { RequestItems: { hopper: [], other: [] } }, 'us-east-1')).toEqual([table, 'arn:aws:dynamodb:us-east-1:000000000000:table/other']);
    expect(dynamoResources('TransactWriteItems', { TransactItems: [{ Put: { TableName: 'hopper' } }, { Update: { TableName: 'hopper' } }] }, 'us-east-1')).toEqual([table]);
    expect(dynamoResources('ListTables', {}, 'us-east-1')).toEqual(['*']);
    // A batch that also names a table it does not write is judged on every table it names.
    expect(dynamoResources('BatchWriteItem', { TableName: 'allowed', RequestItems: { hopper: [] } }, 'us-east-1')).toEqual(['arn:aws:dynamodb:us-east-1:000000000000:table/allowed', table]);
    expect(dynamoResources('TagResource', { ResourceArn: table, Tags: [] }, 'us-east-1')).toEqual([table]);
  });
});
