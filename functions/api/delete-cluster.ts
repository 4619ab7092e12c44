/**
 * `DELETE /v1/clusters/{name}`: take the lock, mark the cluster Deleting, start delete-cluster.
 * 202. `?deleteBackups=true` deletes the cluster's etcd backups too; without it they stay.
 */
import * as z from 'zod';
import { apiDeps, type ApiDeps } from './deps';
import { booleanQuery, route, type ApiRequest, type ApiResponse } from './http';
import { beginWorkflow } from './operations';
import { clusterParams } from './params';
import { clusterSummary, operationView } from './views';
import { allow, ref, table, stopExecutions, stateMachineArn } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

const query = z.object({ deleteBackups: booleanQuery });

export async function deleteCluster(req: ApiRequest<unknown, z.infer<typeof clusterParams>, z.infer<typeof query>>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  // The request's body is what the delete asked for; a plain delete keeps its old, empty one.
  const body = req.query.deleteBackups ? { deleteBackups: true } : {};
  const { cluster, operation } = await beginWorkflow(deps, record, { workflow: 'delete', body, owner: req.requestId, status: 'Deleting' });
  return { status: 202, body: { cluster: clusterSummary(cluster), operation: operationView(operation) } };
}

export const lambda = defineFunction({
  environment: { DELETE_CLUSTER_STATE_MACHINE_ARN: ref('DeleteClusterStateMachine') },
  events: [
    { httpApi: { method: 'DELETE', path: '/v1/clusters/{name}', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    allow(['states:StartExecution'], [stateMachineArn('delete-cluster')]),
    // A take-over stops the execution of the operation whose lease ran out.
    stopExecutions(),
  ],
});

export const handler = route({ params: clusterParams, query }, (req) => deleteCluster(req));
