/** `GET /v1/clusters/{name}/operations`: the cluster's operations, newest first (deleted incarnations too). */
import type * as z from 'zod';
import { NotFoundError } from '../../shared/errors';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterParams } from './params';
import { operationView } from './views';
import { allow, getAtt, tableIndex } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

export async function listOperations(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const record = await deps.store.getCluster(req.params.name);
  if (!record) throw new NotFoundError(`cluster ${req.params.name} not found`);
  const ops = await deps.store.listOperations(req.params.name);
  return { status: 200, body: { operations: ops.map(operationView) } };
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/v1/clusters/{name}/operations', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    allow(['dynamodb:GetItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
  ],
});

export const handler = route({ params: clusterParams }, (req) => listOperations(req));
