import { Validator } from '@seriousme/openapi-schema-validator';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { handler } from '../../functions/api/openapi';
import { ROUTES } from '../../shared/api/routes';
import { httpEvent, lambdaContext, reply } from './api-env';

describe('GET /v1/openapi.json', () => {
  it('serves an OpenAPI 3.1 document that a real validator accepts', async () => {
    const { status, body } = reply(await handler(httpEvent({ method: 'GET', path: '/v1/openapi.json' }), lambdaContext));
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes the cluster spec with the schema the API validates with', async () => {
    const { body } = reply(await handler(httpEvent({ method: 'GET', path: '/v1/openapi.json' }), lambdaContext));
    const create = (body.paths as Record<string, Record<string, { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>>)['/v1/clusters'].post;
    const props = create.requestBody.content['application/json'].schema.properties;
    expect(Object.keys(props)).toEqual(expect.arrayContaining(['name', 'region', 'zones', 'kubernetesVersion', 'networkCidr', 'topology', 'networking', 'controlPlane', 'instanceGroups']));
  });

  it('documents exactly the HTTP routes serverless.yml wires', () => {
    const files = ['api.yml', 'day2.yml', 'rolling.yml'].map((f) => `serverless/functions/${f}`);
    const wired = new Set<string>();
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      const fns = parse(text) as Record<string, { events?: Array<{ httpApi?: { method: string; path: string } }> }>;
      for (const fn of Object.values(fns)) for (const e of fn.events ?? []) if (e.httpApi) wired.add(`${e.httpApi.method} ${e.httpApi.path}`);
    }
    for (const key of wired) expect(ROUTES.map((r) => `${r.method} ${r.path}`)).toContain(key);
  });
});
