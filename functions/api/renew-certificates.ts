/**
 * `POST /v1/clusters/{name}/renew-certificates`: renew the control plane's certificates now —
 * `kubeadm certs renew all` on each control-plane instance in turn, its static pods restarted
 * so they load them — under the cluster's lock: 202. The daily certificate check starts the
 * same workflow by itself well before they expire; this is for an operator who wants it now
 * (after a CA incident, before a long freeze).
 */
import * as z from 'zod';
import { ConflictError } from '../../shared/errors';
import { allow, ref, table, stopExecutions, stateMachineArn } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { beginWorkflow } from './operations';
import { clusterParams } from './params';
import { clusterSummary, operationView } from './views';

/** Statuses with a working control plane whose certificates can be renewed. */
export const RENEWABLE = new Set(['Ready', 'Degraded']);

export async function renewCertificates(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  // A live lock answers for itself (409 naming it); an expired one would be taken over, so the status decides.
  const held = record.lock !== undefined && record.lock.expiresAt > deps.now().getTime();
  if (!RENEWABLE.has(record.status) && !held) {
    throw new ConflictError(`cluster ${record.name} is ${record.status}: its certificates can be renewed once it is Ready or Degraded`);
  }
  const { cluster, operation } = await beginWorkflow(deps, record, { workflow: 'renew-certificates', body: {}, owner: req.requestId });
  return { status: 202, body: { cluster: clusterSummary(cluster), operation: operationView(operation) } };
}

export const lambda = defineFunction({
  environment: { RENEW_CERTIFICATES_STATE_MACHINE_ARN: ref('RenewCertificatesStateMachine') },
  events: [{ httpApi: { method: 'POST', path: '/v1/clusters/{name}/renew-certificates', authorizer: { type: 'aws_iam' } } }],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    allow(['states:StartExecution'], [stateMachineArn('renew-certificates')]),
    stopExecutions(),
  ],
});

export const handler = route({ params: clusterParams }, (req) => renewCertificates(req));
