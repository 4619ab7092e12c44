/**
 * `POST /v1/clusters/{name}/update`: the plan from the desired spec to what AWS runs
 * (`?dryRun=true`: 200 PlanView, no lock taken, nothing changed), or — without dryRun —
 * take the cluster's lock and start the update-cluster workflow (202 `{cluster, operation}`).
 * Edits the cloud cannot take (a CIDR, a removed or moved subnet) are refused with 422
 * before anything starts; 409 while another operation holds the cluster.
 */
import * as z from 'zod';
import type { PlanView } from '../../shared/api/types';
import { clientsFor } from '../../shared/aws/clients';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { planUpdate } from '../update/observe-plan';
import type { ObserveDeps } from '../update/observe';
import { apiDeps, type ApiDeps } from './deps';
import { booleanQuery, route, type ApiRequest, type ApiResponse } from './http';
import { beginWorkflow } from './operations';
import { clusterParams } from './params';
import { clusterSummary, operationView } from './views';
import { allow, anywhere, ref, table, stopExecutions, stateMachineArn } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

const query = z.object({ dryRun: booleanQuery });

/** The API's dependencies plus the read-only AWS clients the plan observes with. */
export type UpdateDeps = ApiDeps & { observe: ObserveDeps };

const cached = new WeakMap<object, UpdateDeps>();
/** Keyed by the clients (new endpoints or credentials give new ones), as `apiDeps` is. */
function updateDeps(): UpdateDeps {
  const clients = clientsFor([ec2Client, autoscalingClient], 'the update API');
  let deps = cached.get(clients);
  if (!deps) {
    const api = apiDeps();
    cached.set(clients, (deps = { ...api, observe: { clients, store: api.store, parameterPrefix: api.parameterPrefix, parameterKey: api.parameterKey } }));
  }
  return deps;
}

export async function updateCluster(req: ApiRequest<unknown, z.infer<typeof clusterParams>, z.infer<typeof query>>, deps: UpdateDeps = updateDeps()): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  // Observed first: a 422 (impossible edit) is said before a lock is taken.
  const plan = await planUpdate(deps.observe, record.spec);
  if (req.query.dryRun) {
    const view: PlanView = { cluster: plan.cluster, changes: plan.changes, rollingUpdateRequired: plan.rollingUpdateRequired, summary: plan.summary };
    return { status: 200, body: view };
  }
  const { cluster, operation } = await beginWorkflow(deps, record, { workflow: 'update', body: {}, owner: req.requestId });
  return { status: 202, body: { cluster: clusterSummary(cluster), operation: operationView(operation) } };
}

export const lambda = defineFunction({
  environment: { UPDATE_CLUSTER_STATE_MACHINE_ARN: ref('UpdateClusterStateMachine') },
  events: [
    { httpApi: { method: 'POST', path: '/v1/clusters/{name}/update', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    allow(['states:StartExecution'], [stateMachineArn('update-cluster')]),
    // A take-over stops the execution of the operation whose lease ran out.
    stopExecutions(),
    // The plan observes: Auto Scaling groups, launch template versions, the VPC, the control plane's image.
    anywhere('autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeVpcs', 'ec2:DescribeInstances'),
  ],
});

export const handler = route({ params: clusterParams, query }, (req) => updateCluster(req));
