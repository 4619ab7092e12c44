/**
 * ObservePlan: compute the update plan (desired spec against what AWS runs), refuse edits
 * the cloud cannot take (422-equivalent: a terminal UnprocessableError), record the plan on
 * the operation's Plan step, and return the groups the Apply Map works on.
 */
import { UnprocessableError } from '../../shared/errors';
import { observedImmutableProblems, updatePlan, type GroupPlan, type UpdatePlan } from '../../shared/plan/update-plan';
import type { ClusterSpec } from '../../shared/spec';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { desiredCapacityOf } from './common';
import { observeCluster, type ObserveDeps } from './observe';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { anywhere, table } from '../../shared/aws/iam';

const input = stepEnvelope;

export interface ObservePlanOutput {
  summary: string;
  rollingUpdateRequired: boolean;
  /** Groups with something to do (create, update, delete). */
  groups: GroupPlan[];
  /** Running groups whose instances will be on an old launch template version. */
  rollingGroups: string[];
  /** Every change, as the Plan stage records it. */
  changes: UpdatePlan['changes'];
}

/** The plan for `spec` now, or UnprocessableError listing what the cloud cannot take. */
export async function planUpdate(deps: ObserveDeps, spec: ClusterSpec, desiredCapacity: Record<string, number> = {}): Promise<UpdatePlan> {
  const { observed, rendered } = await observeCluster(deps, spec);
  const problems = observedImmutableProblems(spec, observed.network);
  if (problems.length > 0) throw new UnprocessableError(`The spec of cluster ${spec.name} asks for changes the cloud cannot make.`, problems);
  return updatePlan(spec, observed, { rendered, desiredCapacity });
}

export async function observePlan(event: { cluster: string; operationId: string }, deps: StepDeps): Promise<ObservePlanOutput> {
  const { spec } = await loadCluster(deps, event.cluster);
  const op = await deps.store.getOperation(event.operationId);
  const plan = await planUpdate(deps, spec, desiredCapacityOf(op));
  return { summary: plan.summary, rollingUpdateRequired: plan.rollingUpdateRequired, groups: plan.groups.filter((g) => g.action !== 'none'),
    rollingGroups: plan.groups.filter((g) => g.action === 'update' && g.launchTemplateChanged).map((g) => g.group),
    changes: plan.changes,
  };
}

export const step = defineStep({
  name: 'ObservePlan',
  clients: [ec2Client, autoscalingClient], input,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeVpcs', 'ec2:DescribeInstances'),
  ],
  describeStage: (plan) => ({ detail: { summary: plan.summary, rollingUpdateRequired: plan.rollingUpdateRequired, changes: plan.changes } }),
  run: observePlan,
});
export const { handler } = step;
