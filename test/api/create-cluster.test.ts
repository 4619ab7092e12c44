import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as createCluster } from '../../functions/api/create-cluster';
import { handler as getCluster } from '../../functions/api/get-cluster';
import { handler as getSpec } from '../../functions/api/get-cluster-spec';
import { handler as listClusters } from '../../functions/api/list-clusters';
import { handler as getOperation } from '../../functions/api/get-operation';
import { invalidSpecCases } from '../spec/invalid-cases';
import { httpEvent, lambdaContext, reply, startApiEnv, type ApiEnv } from './api-env';

let env: ApiEnv;
beforeAll(async () => {
  env = await startApiEnv();
});
afterAll(() => env.stop());
beforeEach(() => env.sfn.resetHistory());

const post = async (body: unknown, query?: Record<string, string>) =>
  reply(await createCluster(httpEvent({ method: 'POST', path: '/v1/clusters', body, query }), lambdaContext));

describe('POST /v1/clusters', () => {
  it.each(invalidSpecCases)('refuses a spec where %s with a 400 naming the problem, and writes nothing', async (_what, input, path, fragment) => {
    const { status, body } = await post(input);
    expect(status).toBe(400);
    const error = body.error as { code: string; details: Array<{ path: string; message: string }> };
    expect(error.code).toBe('InvalidInput');
    const match = error.details.find((d) => d.path === (path === '' ? '(root)' : path) || (path === '' && d.path === ''));
    expect(match, JSON.stringify(error.details)).toBeDefined();
    expect(match!.message).toContain(fragment);
    expect(await env.store.listClusters({ includeDeleted: true })).toEqual([]);
    expect(env.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers malformed JSON with a 400, not a 500', async () => {
    const res = reply(await createCluster(httpEvent({ method: 'POST', path: '/v1/clusters', rawBody: '{"name": "demo",' }), lambdaContext));
    expect(res.status).toBe(400);
    expect((res.body.error as { code: string }).code).toBe('InvalidJson');
  });

  it('returns the plan on a dry run and changes nothing', async () => {
    const { status, body } = await post({ name: 'planned', region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], controlPlane: { count: 3 } }, { dryRun: 'true' });
    expect(status).toBe(200);
    const kinds = (body.changes as Array<{ kind: string; name: string }>).map((c) => `${c.kind}/${c.name}`);
    expect(kinds).toContain('VPC/planned');
    expect(kinds).toContain('NatGateway/us-east-1c.planned');
    expect(kinds).toContain('LoadBalancer/planned-api');
    expect(kinds.filter((k) => k.startsWith('Instance/control-plane'))).toHaveLength(3);
    expect(kinds).toContain('AutoscalingGroup/nodes.planned');
    expect(await env.store.getCluster('planned')).toBeUndefined();
    expect(env.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('stores the cluster locked by its create operation and starts the workflow named after it', async () => {
    const { status, body } = await post({ name: 'alpha', region: 'us-east-1' });
    expect(status).toBe(202);
    const op = body.operation as { id: string; type: string; status: string; executionArn: string };
    expect(op.type).toBe('create');
    expect(op.status).toBe('Running');
    const calls = env.sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toMatchObject({ name: op.id, stateMachineArn: expect.stringContaining('create-cluster') });
    expect(JSON.parse(calls[0].args[0].input.input!)).toEqual({ cluster: 'alpha', operationId: op.id });
    const record = await env.store.getCluster('alpha');
    expect(record?.lock?.operationId).toBe(op.id);
    expect(record?.spec).toMatchObject({ name: 'alpha', networkCidr: '172.20.0.0/16', controlPlane: { count: 1 } });
  });

  it('answers a retried request with the same operation and starts nothing new', async () => {
    const spec = { name: 'retry', region: 'us-east-1' };
    const first = await post(spec);
    const second = await post(spec);
    expect(second.status).toBe(202);
    expect((second.body.operation as { id: string }).id).toBe((first.body.operation as { id: string }).id);
    const names = env.sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(new Set(names).size).toBe(1);
  });

  it('refuses a taken name with 409 and leaves the existing cluster as it was', async () => {
    await post({ name: 'taken', region: 'us-east-1' });
    const before = await env.store.getCluster('taken');
    const { status, body } = await post({ name: 'taken', region: 'eu-west-1' });
    expect(status).toBe(409);
    expect((body.error as { message: string }).message).toMatch(/taken|busy/);
    expect(await env.store.getCluster('taken')).toEqual(before);
  });

  it('lists, shows and describes what it stored', async () => {
    await post({ name: 'shown', region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'] });
    const list = reply(await listClusters(httpEvent({ method: 'GET', path: '/v1/clusters' }), lambdaContext));
    expect((list.body.clusters as Array<{ name: string }>).map((c) => c.name)).toContain('shown');
    const got = reply(await getCluster(httpEvent({ method: 'GET', path: '/v1/clusters/shown', pathParameters: { name: 'shown' } }), lambdaContext));
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ name: 'shown', status: 'Pending', lastOperation: { type: 'create' } });
    expect((got.body.instanceGroups as Array<{ name: string }>).map((g) => g.name)).toEqual(['control-plane', 'nodes']);
    const spec = reply(await getSpec(httpEvent({ method: 'GET', path: '/v1/clusters/shown/spec', pathParameters: { name: 'shown' } }), lambdaContext));
    expect(spec.body).toMatchObject({ zones: ['us-east-1a', 'us-east-1b'], topology: 'private', networking: 'cilium' });
    const opId = (got.body.lastOperation as { id: string }).id;
    const op = reply(await getOperation(httpEvent({ method: 'GET', path: `/v1/operations/${opId}`, pathParameters: { id: opId } }), lambdaContext));
    expect(op.body).toMatchObject({ id: opId, cluster: 'shown', type: 'create' });
  });

  it('answers an unknown cluster or operation with 404 and a bad name with 400', async () => {
    expect(reply(await getCluster(httpEvent({ method: 'GET', path: '/v1/clusters/nope', pathParameters: { name: 'nope' } }), lambdaContext)).status).toBe(404);
    expect(reply(await getOperation(httpEvent({ method: 'GET', path: '/v1/operations/nope', pathParameters: { id: 'nope' } }), lambdaContext)).status).toBe(404);
    const bad = reply(await getCluster(httpEvent({ method: 'GET', path: '/v1/clusters/Bad_Name', pathParameters: { name: 'Bad_Name' } }), lambdaContext));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('path.name');
  });

  it('reports a stored record that cannot be read for that cluster only', async () => {
    expect((await post({ name: 'readable', region: 'us-east-1' })).status).toBe(202);
    // A record cut short (no spec), as a hand edit or an older writer could leave it.
    await env.dynamo.ddb.send(new PutCommand({
      TableName: env.dynamo.tableName,
      Item: { pk: 'CLUSTER#broken', sk: 'CLUSTER', gsi1pk: 'CLUSTERS', gsi1sk: 'Ready#broken', entity: 'cluster', name: 'broken', uid: 'u-1', status: 'Ready', version: 3, createdAt: '2030-01-01T00:00:00Z', updatedAt: '2030-01-01T00:00:00Z', instanceGroups: {} },
    }));
    const list = reply(await listClusters(httpEvent({ method: 'GET', path: '/v1/clusters' }), lambdaContext));
    expect(list.status).toBe(200);
    expect((list.body.clusters as { name: string }[]).map((c) => c.name)).toContain('readable');
    expect(list.body.unreadable).toEqual([{ name: 'broken', problems: [expect.stringMatching(/^spec: /)] }]);
    const got = reply(await getCluster(httpEvent({ method: 'GET', path: '/v1/clusters/broken', pathParameters: { name: 'broken' } }), lambdaContext));
    expect(got.status).toBe(500);
    expect(got.body.error).toMatchObject({ code: 'UnreadableRecord', message: expect.stringContaining('the stored record of cluster broken cannot be read (spec: ') });
    expect(reply(await getCluster(httpEvent({ method: 'GET', path: '/v1/clusters/readable', pathParameters: { name: 'readable' } }), lambdaContext)).status).toBe(200);
  });
});
