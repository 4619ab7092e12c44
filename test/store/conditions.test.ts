/**
 * Unit tests pinning the exact condition expressions: they ARE the concurrency design
 * (single-item conditional writes), so a change to them must be deliberate.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../shared/errors';
import { ClusterStore } from '../../shared/store';
import { opaque } from './opaque';

const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddbMock = mockClient(ddb);
const now = new Date('2030-01-01T00:00:00Z');
const store = new ClusterStore({ ddb, tableName: 'hopper-unit', clock: () => now, newId: () => 'uid-new' });

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const liveCluster = { name: 'c1', uid: 'uid-1', spec: opaque({}), status: 'Ready', instanceGroups: {}, version: 4, createdAt: '2029-01-01T00:00:00.000Z', updatedAt: '2029-01-01T00:00:00.000Z' };

beforeEach(() => {
  ddbMock.reset();
});

describe('createCluster condition', () => {
  it('writes a new name only if no item exists', async () => {
    ddbMock.on(GetCommand).resolves({});
    ddbMock.on(PutCommand).resolves({});
    await store.createCluster({ name: 'c1', spec: opaque({ a: 1 }) });
    const [put] = ddbMock.commandCalls(PutCommand);
    expect(put.args[0].input).toMatchObject({
      TableName: 'hopper-unit',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: 'CLUSTER#c1', sk: 'CLUSTER', gsi1pk: 'CLUSTERS', gsi1sk: 'Pending#c1', uid: 'uid-new', version: 1 },
    });
  });

  it('archives a Deleted incarnation, then replaces only that very incarnation', async () => {
    ddbMock.on(GetCommand).resolves({ Item: { pk: 'CLUSTER#c1', sk: 'CLUSTER', ...liveCluster, status: 'Deleted' } });
    ddbMock.on(PutCommand).resolves({});
    await store.createCluster({ name: 'c1', spec: opaque({}) });
    const [archive, replace] = ddbMock.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(archive).toMatchObject({ Item: { pk: 'CLUSTER#c1', sk: 'HIST#2029-01-01T00:00:00.000Z#uid-1', uid: 'uid-1', status: 'Deleted' } });
    expect(archive.ConditionExpression).toBeUndefined();
    expect(replace).toMatchObject({
      ConditionExpression: '#status = :deleted AND #uid = :previousUid',
      ExpressionAttributeNames: { '#status': 'status', '#uid': 'uid' },
      ExpressionAttributeValues: { ':deleted': 'Deleted', ':previousUid': 'uid-1' },
      Item: { uid: 'uid-new' },
    });
  });

  it('turns a lost race for the name into ConflictError "name taken"', async () => {
    ddbMock.on(GetCommand).resolvesOnce({}).resolves({ Item: { pk: 'CLUSTER#c1', sk: 'CLUSTER', ...liveCluster } });
    ddbMock.on(PutCommand).rejects(conditionFailed());
    await expect(store.createCluster({ name: 'c1', spec: opaque({}) })).rejects.toThrow(ConflictError);
    await expect(store.createCluster({ name: 'c1', spec: opaque({}) })).rejects.toThrow(/^name taken/);
  });
});

describe('beginOperation condition', () => {
  it('takes the lock and stores the spec in one UpdateItem: free, expired or already ours', async () => {
    ddbMock.on(UpdateCommand).resolves({ Attributes: { pk: 'CLUSTER#c1', sk: 'CLUSTER', ...liveCluster } });
    ddbMock.on(PutCommand).resolves({});
    await store.beginOperation('c1', { operationId: 'op-1', type: 'upgrade', owner: 'exec-1', leaseSeconds: 300, spec: opaque({ v: 2 }), status: 'Updating' });
    const updates = ddbMock.commandCalls(UpdateCommand);
    expect(updates).toHaveLength(1);
    const input = updates[0].args[0].input;
    expect(input.ConditionExpression).toBe(
      'attribute_exists(pk) AND #status <> :deleted AND ' +
        '(attribute_not_exists(#lock) OR #lock.expiresAt < :nowMs OR #lock.operationId = :operationId)',
    );
    expect(input.UpdateExpression).toBe(
      'SET #lock = :lock, #updatedAt = :now, #version = #version + :one, #spec = :spec, #status = :status, ' +
        '#lastOperationId = :lastOperationId, #gsi1sk = :gsi1sk',
    );
    expect(input.ExpressionAttributeValues).toMatchObject({
      ':nowMs': now.getTime(),
      ':operationId': 'op-1',
      ':deleted': 'Deleted',
      ':spec': { v: 2 },
      ':gsi1sk': 'Updating#c1',
      ':lock': { operationId: 'op-1', type: 'upgrade', owner: 'exec-1', since: now.toISOString(), expiresAt: now.getTime() + 300_000 },
    });
    expect(input.ReturnValues).toBe('ALL_OLD');
    const [opPut] = ddbMock.commandCalls(PutCommand);
    expect(opPut.args[0].input).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk)', Item: { pk: 'OP#op-1', sk: 'OP', gsi1pk: 'OPS#c1' } });
  });

  it('on a refused write reads the holder and names it in a ConflictError', async () => {
    const lock = { operationId: 'op-0', type: 'rolling-update', owner: 'exec-0', since: '2029-12-31T23:59:00.000Z', expiresAt: now.getTime() + 60_000 };
    ddbMock.on(UpdateCommand).rejects(conditionFailed());
    ddbMock.on(GetCommand).resolves({ Item: { pk: 'CLUSTER#c1', sk: 'CLUSTER', ...liveCluster, lock } });
    const error = await store.beginOperation('c1', { operationId: 'op-1', type: 'upgrade', owner: 'x', leaseSeconds: 60 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).message).toBe('cluster c1 is busy: operation op-0 (rolling-update) holds it since 2029-12-31T23:59:00.000Z');
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('lock release and close conditions', () => {
  it.each([
    ['releaseLock', () => store.releaseLock('c1', 'op-1')],
    ['closeLock', () => store.closeLock('c1', 'op-1')],
  ])('%s acts only for the holder', async (_name, call) => {
    ddbMock.on(UpdateCommand).resolves({});
    await call();
    expect(ddbMock.commandCalls(UpdateCommand)[0].args[0].input).toMatchObject({
      ConditionExpression: '#lock.operationId = :operationId',
      ExpressionAttributeValues: { ':operationId': 'op-1' },
    });
  });
});
