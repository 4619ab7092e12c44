/** `DELETE /v1/clusters/{name}`: take the lock, mark the cluster Deleting, start delete-cluster. 202. */
import type * as z from 'zod';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { beginWorkflow } from './operations';
import { clusterParams } from './params';
import { clusterSummary, operationView } from './views';
import { allow, ref, table, stopExecutions } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

export async function deleteCluster(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  const { cluster, operation } = await beginWorkflow(deps, record, { workflow: 'delete', body: {}, owner: req.requestId, status: 'Deleting' });
  return { status: 202, body: { cluster: clusterSummary(cluster), operation: operationView(operation) } };
}

export const lambda = defineFunction({
  environment: { DELETE_CLUSTER_STATE_MACHINE_ARN: ref('DeleteClusterStateMachine') },
  events: [
    { httpApi: { method: 'DELETE', path: '/v1/clusters/{name}', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    allow(['states:StartExecution'], [ref('DeleteClusterStateMachine')]),
    // A take-over stops the execution of the operation whose lease ran out.
    stopExecutions(),
  ],
});

export const handler = route({ params: clusterParams }, (req) => deleteCluster(req));
