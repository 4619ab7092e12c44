/** `GET /v1/operations/{id}`: type, status, current step, steps with times, error, execution ARN. */
import type * as z from 'zod';
import { NotFoundError } from '../../shared/errors';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { operationParams } from './params';
import { operationView } from './views';
import { table } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

export async function getOperation(req: ApiRequest<unknown, z.infer<typeof operationParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const op = await deps.store.getOperation(req.params.id);
  if (!op) throw new NotFoundError(`operation ${req.params.id} not found`);
  return { status: 200, body: operationView(op) };
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/v1/operations/{id}', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem'),
  ],
});

export const handler = route({ params: operationParams }, (req) => getOperation(req));
