/**
 * `POST /v1/clusters/{name}/upgrade`: upgrade Kubernetes one minor at a time. The target
 * defaults to the latest known patch of the next minor; a skipped minor or a downgrade is
 * refused with 422. `?dryRun=true` answers 200 `{from, to}` and changes nothing. Otherwise
 * the target is stored in the spec in the same write that takes the lock (the image bake
 * reads spec.kubernetesVersion), while the record's `kubernetesVersion` keeps the version
 * that runs until the workflow finishes: 202.
 */
import * as z from 'zod';
import { upgradeBodySchema } from '../../shared/api/routes';
import { UnprocessableError } from '../../shared/errors';
import { kubernetesVersionChangeProblems } from '../../shared/spec';
import { nextMinorVersion, resolveVersion } from '../../shared/spec/versions';
import { apiDeps, type ApiDeps } from './deps';
import { booleanQuery, route, type ApiRequest, type ApiResponse } from './http';
import { beginWorkflow } from './operations';
import { clusterParams } from './params';
import { clusterSummary, operationView } from './views';
import { allow, ref, table, stopExecutions, stateMachineArn } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

const body = upgradeBodySchema.optional();
const query = z.object({ dryRun: booleanQuery });

export async function upgradeCluster(
  req: ApiRequest<z.infer<typeof body>, z.infer<typeof clusterParams>, z.infer<typeof query>>,
  deps: ApiDeps = apiDeps(),
): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  const spec = record.spec;
  const from = record.kubernetesVersion ?? spec.kubernetesVersion;
  const asked = req.body?.kubernetesVersion;
  const to = asked !== undefined ? resolveVersion(asked) : nextMinorVersion(from);
  if (to === undefined) {
    throw new UnprocessableError(`Kubernetes ${from} is the newest version Hopper knows; there is nothing to upgrade to`, [{ path: 'kubernetesVersion', message: `no supported version after ${from}` }]);
  }
  const problems = kubernetesVersionChangeProblems(from, to);
  if (problems.length > 0) throw new UnprocessableError(`cluster ${spec.name} cannot be upgraded from ${from} to ${to}`, problems);
  if (req.query.dryRun) return { status: 200, body: { cluster: clusterSummary(record), from, to } };
  if (to === from) return { status: 200, body: { cluster: clusterSummary(record), from, to, message: `cluster ${spec.name} already runs Kubernetes ${to}: nothing to do` } };
  const { cluster, operation } = await beginWorkflow(deps, record, {
    workflow: 'upgrade',
    body: { kubernetesVersion: to },
    owner: req.requestId,
    spec: { ...record.spec, kubernetesVersion: to },
  });
  return { status: 202, body: { cluster: clusterSummary(cluster), operation: operationView(operation), from, to } };
}

export const lambda = defineFunction({
  environment: { UPGRADE_CLUSTER_STATE_MACHINE_ARN: ref('UpgradeClusterStateMachine') },
  events: [
    { httpApi: { method: 'POST', path: '/v1/clusters/{name}/upgrade', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    allow(['states:StartExecution'], [stateMachineArn('upgrade-cluster')]),
    // A take-over stops the execution of the operation whose lease ran out.
    stopExecutions(),
  ],
});

export const handler = route({ params: clusterParams, body, query }, (req) => upgradeCluster(req));
