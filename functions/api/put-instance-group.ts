/**
 * `PUT /v1/clusters/{name}/instance-groups/{group}`: store a node group's desired state
 * (min, max, machine type, zones, labels, taints, image). Nothing changes in the cloud until
 * `update` applies it. The whole spec is re-validated (400 listing every problem) and the
 * change must be possible (422 otherwise); refused while an operation holds the cluster.
 */
import * as z from 'zod';
import { immutableChanges, parseClusterSpec, type ClusterSpec } from '../../shared/spec';
import { ConflictError, UnprocessableError, ValidationError } from '../../shared/errors';
import { heldBy } from '../../shared/store/locks';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { groupParams } from './params';
import { clusterView } from './views';
import { table } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

/** The group as the user edits it; the name comes from the path. */
const body = z.looseObject({ name: z.string().optional() });

export async function putInstanceGroup(req: ApiRequest<z.infer<typeof body>, z.infer<typeof groupParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const { name, group } = req.params;
  if (req.body.name !== undefined && req.body.name !== group) {
    throw new ValidationError('The group name in the body differs from the path.', [{ path: 'name', message: `must be ${group} (the path's group), got ${req.body.name}` }]);
  }
  const updated = await deps.store.mutateCluster(name, (record) => {
    if (record.lock && record.lock.expiresAt > deps.now().getTime()) throw heldBy(name, record.lock, deps.now().getTime());
    if (record.status === 'Deleting') throw new ConflictError(`cluster ${name} is being deleted`);
    const current = record.spec;
    const groups = [...current.instanceGroups];
    const index = groups.findIndex((g) => g.name === group);
    const merged = { ...(index >= 0 ? groups[index] : {}), ...req.body, name: group };
    if (index >= 0) groups[index] = merged as ClusterSpec['instanceGroups'][number];
    else groups.push(merged as ClusterSpec['instanceGroups'][number]);
    const parsed = parseClusterSpec({ ...current, instanceGroups: groups });
    if (!parsed.ok) throw new ValidationError(`The instance group ${group} has ${parsed.problems.length} problem(s).`, parsed.problems);
    const impossible = immutableChanges(current, parsed.spec);
    if (impossible.length > 0) throw new UnprocessableError(`The change to ${group} is not possible.`, impossible);
    return { spec: parsed.spec };
  });
  const resources = await deps.store.listResources(name);
  return { status: 200, body: clusterView(updated, resources) };
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'PUT', path: '/v1/clusters/{name}/instance-groups/{group}', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    // The record, and the inventory the reply lists (a Query of the cluster's partition).
    table('GetItem', 'UpdateItem', 'Query'),
  ],
});

export const handler = route({ params: groupParams, body }, (req) => putInstanceGroup(req));
