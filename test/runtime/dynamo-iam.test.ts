/**
 * What the embedded runtime's DynamoDB asks IAM about each request: the action on every table
 * or index it names, as AWS authorizes DynamoDB calls.
 */
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { dynamoResources, startDynamoGuard } from '../../local/runtime/dynamo-iam';

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

describe('the DynamoDB guard, when dynalite drops a connection', () => {
  it('answers 500 InternalServerError, as DynamoDB does, so the SDK retries and the call succeeds', async () => {
    let seen = 0;
    const upstream = createServer((req, res) => {
      seen += 1;
      // The first request's socket is reset under it (a kept-alive socket closed by dynalite).
      if (seen === 1) return void req.socket.destroy();
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ TableNames: ['hopper'] }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const guard = await startDynamoGuard({ target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, region: 'us-east-1' });
    const client = new DynamoDBClient({ endpoint: guard.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const out = await client.send(new ListTablesCommand({}));
      expect(out.TableNames).toEqual(['hopper']);
      expect(out.$metadata.attempts).toBe(2);
    } finally {
      client.destroy();
      await guard.stop();
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});
