/** `GET /healthz`: the API answers. */
import middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';

export async function healthz(): Promise<APIGatewayProxyResultV2> {
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'ok' }) };
}

export const handler = middy().handler(healthz);
