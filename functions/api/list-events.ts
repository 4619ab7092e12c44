/**
 * `GET /v1/clusters/{name}/events[?limit=N]`: what happened to the cluster outside its
 * operations' steps, newest first — scaling events taken or refused, repairs started or
 * skipped, scheduled upgrades and certificate renewals — as `kubectl get events` lists them.
 * Kept 90 days.
 */
import * as z from 'zod';
import { NotFoundError } from '../../shared/errors';
import { table } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterParams } from './params';

const query = z.object({ limit: z.coerce.number().int().min(1).max(500).optional() });

export async function listClusterEvents(req: ApiRequest<unknown, z.infer<typeof clusterParams>, z.infer<typeof query>>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const record = await deps.store.getCluster(req.params.name);
  if (!record) throw new NotFoundError(`cluster ${req.params.name} not found`);
  const events = await deps.store.listEvents(record.name, req.query.limit ?? 50);
  return { status: 200, body: { events: events.map((e) => ({ at: e.at, type: e.type, message: e.message, ...(e.detail !== undefined ? { detail: e.detail } : {}) })) } };
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/v1/clusters/{name}/events', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem', 'Query'),
  ],
});

export const handler = route({ params: clusterParams, query }, (req) => listClusterEvents(req));
