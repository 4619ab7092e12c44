/** `GET /v1/clusters/{name}/spec`: the full spec, every default filled in. */
import type * as z from 'zod';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterParams } from './params';

export async function getClusterSpec(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  return { status: 200, body: record.spec };
}

export const handler = route({ params: clusterParams }, (req) => getClusterSpec(req));
