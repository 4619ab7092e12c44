/** `GET /healthz`: the API answers. */
import middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { defineFunction } from '../lib/function';

export async function healthz(): Promise<APIGatewayProxyResultV2> {
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'ok' }) };
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/healthz' } },
  ],
  permissions: [],
});

export const handler = middy().handler(healthz);
