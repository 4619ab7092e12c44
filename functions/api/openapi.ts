/** `GET /v1/openapi.json`: the OpenAPI 3.1 document generated from the route schemas. */
import { openApiDocument } from '../../shared/api/openapi';
import { route } from './http';
import { defineFunction } from '../lib/function';

let document: Record<string, unknown> | undefined;

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/v1/openapi.json', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [],
});

export const handler = route({}, async () => {
  document ??= openApiDocument();
  return { status: 200, body: document };
});
