/**
 * `POST /v1/clusters/{name}/validate`: start the validate workflow (one pass of the same
 * check create runs twice). It reads only, so it takes no lock and runs beside other
 * operations. 202 `{cluster, operation}`; the report lands in the operation's Validate step.
 * A cluster still being created (or being deleted) has nothing to validate yet: 409, naming
 * the operation to wait for, rather than a validation that can only fail.
 */
import type * as z from 'zod';
import { ConflictError } from '../../shared/errors';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { LEASE_SECONDS, operationId, startOrRelease } from './operations';
import { clusterParams } from './params';
import { clusterSummary, operationView } from './views';
import { allow, ref, table, stateMachineArn } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

export async function validateCluster(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  if (['Pending', 'Creating', 'Deleting'].includes(record.status)) {
    const waitFor = record.lastOperationId ? ` (operation ${record.lastOperationId})` : '';
    throw new ConflictError(`cluster ${record.name} is ${record.status}: there is nothing to validate until that operation${waitFor} has ended`, [{ path: 'status', message: record.status }]);
  }
  const id = operationId(record.name, 'validate', [record.uid, req.requestId]);
  const op = await deps.store.recordOperation(record, { operationId: id, type: 'validate', owner: req.requestId, leaseSeconds: LEASE_SECONDS.validate });
  const operation = await startOrRelease(deps, 'validate', op, record.name);
  return { status: 202, body: { cluster: clusterSummary(record), operation: operationView(operation) } };
}

export const lambda = defineFunction({
  environment: { VALIDATE_CLUSTER_STATE_MACHINE_ARN: ref('ValidateClusterStateMachine') },
  events: [
    { httpApi: { method: 'POST', path: '/v1/clusters/{name}/validate', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    allow(['states:StartExecution'], [stateMachineArn('validate-cluster')]),
  ],
});

export const handler = route({ params: clusterParams }, (req) => validateCluster(req));
