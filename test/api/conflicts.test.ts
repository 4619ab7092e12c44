import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as createCluster } from '../../functions/api/create-cluster';
import { handler as deleteCluster } from '../../functions/api/delete-cluster';
import { handler as putGroup } from '../../functions/api/put-instance-group';
import { handler as validateCluster } from '../../functions/api/validate-cluster';
import { finishWorkflow } from '../../functions/workflow/finish-workflow';
import { httpEvent, lambdaContext, reply, startApiEnv, type ApiEnv } from './api-env';
import type { StepDeps } from '../../functions/lib/deps';

let env: ApiEnv;
beforeAll(async () => {
  env = await startApiEnv();
});
afterAll(() => env.stop());

async function created(name: string): Promise<string> {
  const res = reply(await createCluster(httpEvent({ method: 'POST', path: '/v1/clusters', body: { name, region: 'us-east-1' } }), lambdaContext));
  expect(res.status).toBe(202);
  return (res.body.operation as { id: string }).id;
}
const del = async (name: string) => reply(await deleteCluster(httpEvent({ method: 'DELETE', path: `/v1/clusters/${name}`, pathParameters: { name } }), lambdaContext));
const put = async (name: string, group: string, body: unknown) =>
  reply(await putGroup(httpEvent({ method: 'PUT', path: `/v1/clusters/${name}/instance-groups/${group}`, pathParameters: { name, group }, body }), lambdaContext));
const deps = (): StepDeps => ({ store: env.store, clients: undefined as never, parameterPrefix: '/hopper', parameterKey: '', now: () => new Date() });

describe('one operation per cluster', () => {
  it('answers a second mutation with 409 naming the operation that holds the cluster, and changes nothing', async () => {
    const opId = await created('busy');
    const before = await env.store.getCluster('busy');
    const starts = env.sfn.commandCalls(StartExecutionCommand).length;
    const res = await del('busy');
    expect(res.status).toBe(409);
    expect((res.body.error as { message: string }).message).toContain(opId);
    expect((res.body.error as { details: Array<{ operationId: string }> }).details[0].operationId).toBe(opId);
    const edit = await put('busy', 'nodes', { max: 5 });
    expect(edit.status).toBe(409);
    // Validation takes no lock, but a cluster being created has nothing to validate yet.
    const validate = reply(await validateCluster(httpEvent({ method: 'POST', path: '/v1/clusters/busy/validate', pathParameters: { name: 'busy' } }), lambdaContext));
    expect(validate.status).toBe(409);
    expect((validate.body.error as { message: string }).message).toMatch(new RegExp(`busy is (Pending|Creating).*${opId}`));
    expect(await env.store.getCluster('busy')).toEqual(before);
    expect(env.sfn.commandCalls(StartExecutionCommand)).toHaveLength(starts);
  });

  it('takes the cluster for a delete once the create has released it', async () => {
    const opId = await created('freed');
    await finishWorkflow({ cluster: 'freed', operationId: opId, status: 'Ready' }, deps());
    const res = await del('freed');
    expect(res.status).toBe(202);
    expect(res.body.operation).toMatchObject({ type: 'delete', status: 'Running' });
    expect((await env.store.getCluster('freed'))?.status).toBe('Deleting');
  });
});

describe('PUT /v1/clusters/{name}/instance-groups/{group}', () => {
  it('stores the new desired size and returns the cluster', async () => {
    const opId = await created('sized');
    await finishWorkflow({ cluster: 'sized', operationId: opId, status: 'Ready' }, deps());
    const res = await put('sized', 'nodes', { min: 2, max: 3 });
    expect(res.status).toBe(200);
    const group = (res.body.instanceGroups as Array<{ name: string; max: number }>).find((g) => g.name === 'nodes');
    expect(group?.max).toBe(3);
    expect(((await env.store.getCluster('sized'))?.spec as { instanceGroups: Array<{ max: number }> }).instanceGroups[0].max).toBe(3);
  });

  it('refuses min > max with a 400 listing the problem and keeps the old spec', async () => {
    const opId = await created('minmax');
    await finishWorkflow({ cluster: 'minmax', operationId: opId, status: 'Ready' }, deps());
    const before = await env.store.getCluster('minmax');
    const res = await put('minmax', 'nodes', { min: 5, max: 3 });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('instanceGroups[0].min');
    expect(await env.store.getCluster('minmax')).toEqual(before);
  });

  it('refuses a body whose group name differs from the path', async () => {
    const res = await put('minmax', 'nodes', { name: 'other', max: 3 });
    expect(res.status).toBe(400);
  });
});
