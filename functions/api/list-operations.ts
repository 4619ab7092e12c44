/** `GET /v1/clusters/{name}/operations`: the cluster's operations, newest first (deleted incarnations too). */
import type * as z from 'zod';
import { NotFoundError } from '../../shared/errors';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterParams } from './params';
import { operationView } from './views';

export async function listOperations(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const record = await deps.store.getCluster(req.params.name);
  if (!record) throw new NotFoundError(`cluster ${req.params.name} not found`);
  const ops = await deps.store.listOperations(req.params.name);
  return { status: 200, body: { operations: ops.map(operationView) } };
}

export const handler = route({ params: clusterParams }, (req) => listOperations(req));
