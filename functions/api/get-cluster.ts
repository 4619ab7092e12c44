/** `GET /v1/clusters/{name}`: spec, status, instance groups, resources and the last operation. */
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterParams } from './params';
import { clusterView } from './views';
import type * as z from 'zod';
import { allow, getAtt, tableIndex } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

export async function getCluster(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  const [resources, lastOperation] = await Promise.all([
    deps.store.listResources(record.name),
    record.lastOperationId ? deps.store.getOperation(record.lastOperationId) : Promise.resolve(undefined),
  ]);
  return { status: 200, body: clusterView(record, resources, lastOperation) };
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/v1/clusters/{name}', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    allow(['dynamodb:GetItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
  ],
});

export const handler = route({ params: clusterParams }, (req) => getCluster(req));
