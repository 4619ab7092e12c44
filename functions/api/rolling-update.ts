/**
 * `POST /v1/clusters/{name}/rolling-update`: replace out-of-date instances, control plane
 * first (body: rollingUpdateBodySchema — groups, force, maxSurge, maxUnavailable, drain
 * deadline, forceDrain, failOnValidationError). The plan is computed first from the cloud:
 * with nothing to replace (and no `force`) the answer is 200 with that plan and no workflow;
 * otherwise the rolling-update workflow starts under the cluster's lock: 202. `?dryRun=true`
 * answers 200 with the plan whatever it holds, and changes nothing (what `hopper
 * rolling-update cluster` without --yes and the console show).
 */
import * as z from 'zod';
import { rollingUpdateBodySchema } from '../../shared/api/routes';
import { clientsFor } from '../../shared/aws/clients';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { UnprocessableError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { observeRollout, planView, remaining, rollingOptionsSchema } from '../rolling/common';
import { apiDeps, type ApiDeps } from './deps';
import { booleanQuery, route, type ApiRequest, type ApiResponse } from './http';
import { beginWorkflow } from './operations';
import { clusterParams } from './params';
import { clusterSummary, operationView } from './views';
import { allow, anywhere, ref, table, stopExecutions, stateMachineArn } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

const body = rollingUpdateBodySchema.optional();
type Body = z.infer<typeof body>;
const query = z.object({ dryRun: booleanQuery });

/** What planning needs beside the store: the cloud's clients (Describe* only). */
export function planningDeps(deps: ApiDeps): StepDeps {
  return { clients: clientsFor([ec2Client, autoscalingClient], 'the rolling-update API'), store: deps.store, parameterPrefix: deps.parameterPrefix, parameterKey: deps.parameterKey, now: () => deps.now() };
}

export async function rollingUpdate(req: ApiRequest<Body, z.infer<typeof clusterParams>, Partial<z.infer<typeof query>>>, deps: ApiDeps = apiDeps(), cloud: StepDeps = planningDeps(deps)): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  const spec = record.spec;
  const request = req.body ?? {};
  const unknownGroups = (request.instanceGroups ?? []).filter((g) => g !== 'control-plane' && !spec.instanceGroups.some((x) => x.name === g));
  if (unknownGroups.length > 0) {
    throw new UnprocessableError(`cluster ${spec.name} has no instance group ${unknownGroups.join(', ')}`, unknownGroups.map((g) => ({ path: 'instanceGroups', message: `no instance group ${g}` })));
  }
  const rollout = await observeRollout(cloud, spec, rollingOptionsSchema.parse(request));
  if (req.query?.dryRun) return { status: 200, body: { cluster: clusterSummary(record), plan: planView(rollout) } };
  if (remaining(rollout) === 0 && !request.force) {
    return { status: 200, body: { cluster: clusterSummary(record), plan: { ...planView(rollout), message: 'every instance is up to date: nothing to do' } } };
  }
  const { cluster, operation } = await beginWorkflow(deps, record, { workflow: 'rolling-update', body: request, owner: req.requestId });
  return { status: 202, body: { cluster: clusterSummary(cluster), operation: operationView(operation), plan: planView(rollout) } };
}

export const lambda = defineFunction({
  environment: { ROLLING_UPDATE_STATE_MACHINE_ARN: ref('RollingUpdateStateMachine') },
  events: [
    { httpApi: { method: 'POST', path: '/v1/clusters/{name}/rolling-update', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    // The plan: which instances run an old launch template version or image.
    anywhere('ec2:DescribeInstances', 'ec2:DescribeImages', 'ec2:DescribeLaunchTemplateVersions', 'autoscaling:DescribeAutoScalingGroups'),
    allow(['states:StartExecution'], [stateMachineArn('rolling-update')]),
    // A take-over stops the execution of the operation whose lease ran out.
    stopExecutions(),
  ],
});

export const handler = route({ params: clusterParams, body, query }, (req) => rollingUpdate(req));
