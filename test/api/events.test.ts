/** `GET /v1/clusters/{name}/events`: a cluster's events, newest first, as many as asked. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as createCluster } from '../../functions/api/create-cluster';
import { handler as listEvents } from '../../functions/api/list-events';
import { httpEvent, lambdaContext, reply, startApiEnv, type ApiEnv } from './api-env';

let env: ApiEnv;
beforeAll(async () => {
  env = await startApiEnv();
  const res = reply(await createCluster(httpEvent({ method: 'POST', path: '/v1/clusters', body: { name: 'evented', region: 'us-east-1' } }), lambdaContext));
  expect(res.status).toBe(202);
});
afterAll(() => env.stop());

const get = async (name: string, query?: Record<string, string>) => reply(await listEvents(httpEvent({ method: 'GET', path: `/v1/clusters/${name}/events`, pathParameters: { name }, query }), lambdaContext));

describe('GET /v1/clusters/{name}/events', () => {
  it('lists the events newest first, up to the limit asked', async () => {
    for (const n of [1, 2, 3]) await env.store.putEvent('evented', { type: 'ScaleAccepted', message: `scaling nodes to ${n}`, detail: { n } });
    const all = await get('evented');
    expect(all.status).toBe(200);
    expect((all.body.events as { message: string }[]).map((e) => e.message)).toEqual(['scaling nodes to 3', 'scaling nodes to 2', 'scaling nodes to 1']);
    expect((all.body.events as { detail: unknown }[])[0].detail).toEqual({ n: 3 });
    const one = await get('evented', { limit: '1' });
    expect((one.body.events as unknown[]).length).toBe(1);
  });

  it('answers 404 for an unknown cluster and 400 for a limit out of range', async () => {
    expect((await get('nobody')).status).toBe(404);
    expect((await get('evented', { limit: '0' })).status).toBe(400);
  });
});
