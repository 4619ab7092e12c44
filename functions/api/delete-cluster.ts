/** `DELETE /v1/clusters/{name}`: take the lock, mark the cluster Deleting, start delete-cluster. 202. */
import type * as z from 'zod';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { beginWorkflow } from './operations';
import { clusterParams } from './params';
import { clusterSummary, operationView } from './views';

export async function deleteCluster(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  const { cluster, operation } = await beginWorkflow(deps, record, { workflow: 'delete', body: {}, owner: req.requestId, status: 'Deleting' });
  return { status: 202, body: { cluster: clusterSummary(cluster), operation: operationView(operation) } };
}

export const handler = route({ params: clusterParams }, (req) => deleteCluster(req));
