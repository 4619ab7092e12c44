/**
 * `POST /v1/clusters`: validate the spec (every problem at once), and either return the
 * plan (`?dryRun=true`, nothing written) or store the cluster — already locked by its
 * create operation — and start the create-cluster workflow. 202 `{cluster, operation}`.
 */
import * as z from 'zod';
import { parseClusterSpec, type ClusterSpec } from '../../shared/spec';
import { createPlan } from '../../shared/plan/create-plan';
import { ConflictError, ValidationError } from '../../shared/errors';
import { heldBy } from '../../shared/store/locks';
import { apiDeps, type ApiDeps } from './deps';
import { booleanQuery, route, type ApiRequest, type ApiResponse } from './http';
import { LEASE_SECONDS, operationId, requestHash, startExecution, startOrRelease } from './operations';
import { clusterSummary, operationView } from './views';
import { allow, ref, table, stateMachineArn } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

const query = z.object({ dryRun: booleanQuery });

/** Parse a spec or throw the 400 listing every problem. */
export function specOrThrow(body: unknown): ClusterSpec {
  if (body === undefined) throw new ValidationError('The request needs a cluster spec as its JSON body.', [{ path: '(root)', message: 'missing body' }]);
  const parsed = parseClusterSpec(body);
  if (!parsed.ok) {
    const n = parsed.problems.length;
    throw new ValidationError(`The cluster spec has ${n} problem${n === 1 ? '' : 's'}.`, parsed.problems);
  }
  return parsed.spec;
}

export async function createCluster(req: ApiRequest<unknown, Record<string, string>, z.infer<typeof query>>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const spec = specOrThrow(req.body);
  if (req.query.dryRun) return { status: 200, body: createPlan(spec) };

  const hash = requestHash('create', req.body);
  const existing = await deps.store.getCluster(spec.name);
  if (existing && existing.status !== 'Deleted') {
    // A retry of the request that created it gets the same answer; anything else is a clash.
    const held = existing.lock ? await deps.store.getOperation(existing.lock.operationId) : undefined;
    if (held && held.type === 'create' && (held.input as { requestHash?: string } | undefined)?.requestHash === hash) {
      return { status: 202, body: { cluster: clusterSummary(existing), operation: operationView(await startExecution(deps, 'create', held)) } };
    }
    if (existing.lock && existing.lock.expiresAt > deps.now().getTime()) throw heldBy(spec.name, existing.lock, deps.now().getTime());
    throw new ConflictError(`cluster name ${spec.name} is taken (status ${existing.status}); delete it first or choose another name`, [
      { cluster: spec.name, status: existing.status },
    ]);
  }
  const opId = operationId(spec.name, 'create', [existing?.uid ?? 'new', hash]);
  const created = await deps.store.createCluster({
    name: spec.name,
    spec: spec,
    status: 'Pending',
    operation: { operationId: opId, type: 'create', owner: req.requestId, leaseSeconds: LEASE_SECONDS.create, input: { requestHash: hash, request: req.body } },
  });
  try {
    const operation = await startOrRelease(deps, 'create', created.operation!, spec.name);
    return { status: 202, body: { cluster: clusterSummary(created.cluster), operation: operationView(operation) } };
  } catch (err) {
    // Nothing was built: free the name again rather than leave a cluster no workflow owns.
    await deps.store.mutateCluster(spec.name, () => ({ status: 'Deleted', message: 'the create workflow could not start' }));
    throw err;
  }
}

export const lambda = defineFunction({
  environment: { CREATE_CLUSTER_STATE_MACHINE_ARN: ref('CreateClusterStateMachine') },
  events: [
    { httpApi: { method: 'POST', path: '/v1/clusters', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    allow(['states:StartExecution'], [stateMachineArn('create-cluster')]),
  ],
});

export const handler = route({ query }, (req) => createCluster(req));
