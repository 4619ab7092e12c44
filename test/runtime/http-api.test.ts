import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpApi } from '../../local/runtime/http-api';
import { applyFunctionEnvironment, createLambdaInvoker } from '../../local/runtime/lambda';
import type { RunningServer } from '../../local/runtime/http-util';
import { loadFixture } from './helpers';

/** The parts of the payload 2.0 event the assertions read. */
interface EchoedEvent {
  routeKey: string;
  body?: string;
  isBase64Encoded: boolean;
  headers: Record<string, string>;
  requestContext: { requestId: string };
}

describe('HTTP API', () => {
  let api: RunningServer;
  const env: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    const config = loadFixture();
    applyFunctionEnvironment(config.functions, env, (name, value) => {
      env[name] = value;
      process.env[name] = value;
    });
    api = await startHttpApi({ port: 0, functions: config.functions, lambda: createLambdaInvoker(config.functions, config.region) });
  });

  afterAll(async () => {
    await api.close();
    for (const name of Object.keys(env)) delete process.env[name];
  });

  it('refuses what another web site sends through the browser, and a Host that is not this machine (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const send = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${api.url}/hello/world`, { method: 'GET', headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    const host = new URL(api.url).host;
    expect(await send({ host, origin: 'https://evil.example' })).toBe(403);
    expect(await send({ host, 'sec-fetch-site': 'cross-site' })).toBe(403);
    expect(await send({ host: `attacker.example:${new URL(api.url).port}` })).toBe(403);
    // The console on this very address, and clients that send no Origin, are served.
    expect(await send({ host, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' })).toBe(200);
    expect(await send({ host })).toBe(200);
  });

  it('routes to the function with path parameters and a payload 2.0 event', async () => {
    const res = await fetch(`${api.url}/hello/world%20wide?dryRun=true&tag=a&tag=b`, { headers: { 'X-Custom': 'Yes' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fixture')).toBe('yes');
    const { event, greeting, flowArn } = (await res.json()) as { event: EchoedEvent; greeting: string; flowArn: string };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /hello/{name}',
      rawPath: '/hello/world%20wide',
      rawQueryString: 'dryRun=true&tag=a&tag=b',
      queryStringParameters: { dryRun: 'true', tag: 'a,b' },
      pathParameters: { name: 'world wide' },
      isBase64Encoded: false,
      requestContext: { http: { method: 'GET', path: '/hello/world%20wide' }, routeKey: 'GET /hello/{name}' },
    });
    expect(event.headers['x-custom']).toBe('Yes');
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.body).toBeUndefined();
    // The function's environment (provider + own, intrinsics resolved) is visible to it.
    expect(greeting).toBe('hello');
    expect(flowArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:fixture-retry');
  });

  it('passes a JSON body as text and matches the route by method', async () => {
    const res = await fetch(`${api.url}/hello/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    const { event } = (await res.json()) as { event: EchoedEvent };
    expect(event.routeKey).toBe('POST /hello/{name}');
    expect(event.body).toBe('{"a":1}');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('answers a result without statusCode as a 200 JSON response', async () => {
    const res = await fetch(`${api.url}/plain`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ ok: true });
  });

  it('answers 404 in the API error format for an unknown route or method', async () => {
    for (const [method, path] of [['GET', '/nowhere'], ['PUT', '/hello/x']]) {
      const res = await fetch(`${api.url}${path}`, { method });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'NotFound', message: `No route for ${method} ${path}` } });
    }
  });

  it('answers 500 JSON when the handler throws', async () => {
    const res = await fetch(`${api.url}/hello/x`, { method: 'DELETE' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'InternalError', message: 'Internal Server Error' } });
  });
});
