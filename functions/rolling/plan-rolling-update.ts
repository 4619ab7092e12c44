/**
 * PlanRollingUpdate: the options (from the execution input, else the API request stored on
 * the operation, with kops' defaults) and the plan — which control-plane seats and node
 * instances run an old launch template version or image. The workflow makes this call the
 * `Plan` stage; the plan is its detail, where `GET /v1/operations/{id}` shows it.
 */
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { loadCluster } from '../lib/cluster';
import { defineStep, stepEnvelope } from '../lib/step';
import { observeRollout, planView, remaining, rollingOptionsSchema, type RollingOptions } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { allow, anywhere, table, tableIndex } from '../../shared/aws/iam';

export const planRollingUpdateInput = stepEnvelope.extend({ options: z.record(z.string(), z.unknown()).optional() });

export interface PlanRollingUpdateOutput {
  options: RollingOptions;
  remaining: number;
  /** With `force`: the instances found at the first plan, the ones to replace (empty without). */
  forced: string[];
  /** What the Plan stage records: seats and instances to replace, and why. */
  view: ReturnType<typeof planView>;
  /** The earlier, unfinished forced run this one continues. */
  resumedFrom?: string;
}

/** The options a rolling update runs with: given, or from the operation's request. */
export async function rollingOptions(deps: StepDeps, operationId: string, given?: Record<string, unknown>): Promise<RollingOptions> {
  const op = await deps.store.getOperation(operationId);
  const request = (op?.input as { request?: unknown } | undefined)?.request;
  const raw = given ?? (request && typeof request === 'object' ? (request as Record<string, unknown>) : {});
  const options = rollingOptionsSchema.parse(raw);
  // With neither surge nor unavailability there is no way forward: kops surges one.
  if (options.maxSurge === 0 && options.maxUnavailable === 0) options.maxSurge = 1;
  return options;
}

export async function planRollingUpdate(input: z.infer<typeof planRollingUpdateInput>, deps: StepDeps): Promise<PlanRollingUpdateOutput> {
  const { spec } = await loadCluster(deps, input.cluster);
  const options = await rollingOptions(deps, input.operationId, input.options);
  const op = await deps.store.getOperation(input.operationId);
  // A resumed run keeps the set of instances its first plan forced; a rolling update started
  // again after an interrupted or failed one continues with what that one had left.
  const recorded = (op?.steps.find((s) => s.name === 'Plan')?.detail as { forced?: string[] } | undefined)?.forced;
  let forced: string[] | undefined;
  let resumedFrom: string | undefined;
  if (options.force) {
    const earlier = recorded || options.instances ? undefined : await unfinishedForcedRun(deps, input.cluster, input.operationId, options);
    if (recorded) forced = recorded;
    else if (options.instances) forced = options.instances;
    else if (earlier) {
      const live = await observeRollout(deps, spec, options);
      const ids = new Set([...live.controlPlane.seats.map((s) => s.instanceId), ...live.groups.flatMap((g) => [...g.outdated.map((o) => o.instanceId), ...g.detached])]);
      forced = earlier.forced.filter((id) => ids.has(id));
      resumedFrom = earlier.operationId;
    } else {
      const everything = await observeRollout(deps, spec, options);
      forced = [...everything.controlPlane.seats.map((s) => s.instanceId), ...everything.groups.flatMap((g) => g.outdated.map((o) => o.instanceId))].filter(
        (id): id is string => id !== undefined,
      );
    }
  }
  const rollout = await observeRollout(deps, spec, options, forced ? new Set(forced) : undefined);
  return { options, remaining: remaining(rollout), forced: forced ?? [], view: planView(rollout), ...(resumedFrom ? { resumedFrom } : {}) };
}

/**
 * The forced set of the cluster's latest other operation, when that is a forced rolling update
 * over the same instance groups that ended without finishing (Interrupted, Failed): without it,
 * a new forced run would force the replacements the earlier one launched all over again.
 */
async function unfinishedForcedRun(deps: StepDeps, cluster: string, operationId: string, options: RollingOptions): Promise<{ operationId: string; forced: string[] } | undefined> {
  const latest = (await deps.store.listOperations(cluster, { limit: 5 })).find((o) => o.id !== operationId);
  if (!latest || latest.type !== 'rolling-update' || (latest.status !== 'Interrupted' && latest.status !== 'Failed')) return undefined;
  const plan = latest.steps.find((s) => s.name === 'Plan')?.detail as { forced?: string[]; options?: { instanceGroups?: string[] } } | undefined;
  if (!plan?.forced) return undefined;
  const groups = (g: string[] | undefined) => [...(g ?? [])].sort().join(',');
  if (groups(plan.options?.instanceGroups) !== groups(options.instanceGroups)) return undefined;
  return { operationId: latest.id, forced: plan.forced };
}

export const step = defineStep({
  name: 'PlanRollingUpdate',
  clients: [ec2Client, autoscalingClient],
  input: planRollingUpdateInput,
  // --- rolling-update -------------------------------------------------------------------------
  //
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    // The cluster's recent operations (a rolling update resumes an interrupted one's plan): gsi1.
    allow(['dynamodb:Query'], [tableIndex()]),
    anywhere('ec2:DescribeInstances', 'ec2:DescribeImages', 'ec2:DescribeLaunchTemplateVersions', 'autoscaling:DescribeAutoScalingGroups'),
  ],
  // `forced` is in the detail only when the run forces: a resumed run reads it back from there.
  describeStage: (plan) => ({ detail: { options: plan.options, ...plan.view, ...(plan.options.force ? { forced: plan.forced } : {}), ...(plan.resumedFrom ? { resumedFrom: plan.resumedFrom } : {}) } }),
  run: planRollingUpdate,
});
export const { handler, run: runStep } = step;
