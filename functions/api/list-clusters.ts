/** `GET /v1/clusters[?status=Ready]`: every live cluster, by name (and any record that cannot be read, apart). */
import * as z from 'zod';
import { clusterStatusSchema } from '../../shared/api/schemas';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterSummary } from './views';
import { allow, tableIndex } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

const query = z.object({ status: clusterStatusSchema.optional() });

export async function listClusters(req: ApiRequest<unknown, Record<string, string>, z.infer<typeof query>>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const { clusters, unreadable } = await deps.store.listClusterRecords(req.query.status ? { status: req.query.status } : {});
  // A record that does not parse is listed on its own, with why; the others are served as usual.
  return { status: 200, body: { clusters: clusters.map(clusterSummary), ...(unreadable.length ? { unreadable } : {}) } };
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/v1/clusters', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    allow(['dynamodb:Query'], [tableIndex()]),
  ],
});

export const handler = route({ query }, (req) => listClusters(req));
