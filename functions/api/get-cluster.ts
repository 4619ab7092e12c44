/** `GET /v1/clusters/{name}`: spec, status, instance groups, resources and the last operation. */
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterParams } from './params';
import { clusterView } from './views';
import type * as z from 'zod';

export async function getCluster(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  const [resources, lastOperation] = await Promise.all([
    deps.store.listResources(record.name),
    record.lastOperationId ? deps.store.getOperation(record.lastOperationId) : Promise.resolve(undefined),
  ]);
  return { status: 200, body: clusterView(record, resources, lastOperation) };
}

export const handler = route({ params: clusterParams }, (req) => getCluster(req));
