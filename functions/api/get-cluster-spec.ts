/** `GET /v1/clusters/{name}/spec`: the full spec, every default filled in. */
import type * as z from 'zod';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterParams } from './params';
import { table } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

export async function getClusterSpec(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  return { status: 200, body: record.spec };
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/v1/clusters/{name}/spec', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem'),
  ],
});

export const handler = route({ params: clusterParams }, (req) => getClusterSpec(req));
