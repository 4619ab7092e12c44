/**
 * NextBatch: the loop's head. Plans the next batch from the cloud as it is now (the workflow
 * records it as the stage `Batch <n>`, with its `summary` as detail when it is done):
 * control-plane seats first, one at a time; then each node group in spec order, instances
 * detached by an earlier (interrupted) batch first, then outdated ones — `maxSurge` of them
 * detached so the group launches replacements first, up to `maxUnavailable` more terminated
 * inside the group. `done` when nothing is left.
 *
 * The state machine carries only this one batch, so a 30-node rollout stays far below the
 * 25,000 history events of an execution.
 */
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { observeRollout, remaining, rollingOptionsSchema } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { anywhere, table } from '../../shared/aws/iam';

export const batchSchema = z.object({
  number: z.number().int().min(0),
  done: z.boolean(),
  kind: z.enum(['control-plane', 'node', 'none']),
  group: z.string(),
  /** Node instances to detach now (the surge). */
  detach: z.array(z.string()),
  /** Instances to cordon, drain and terminate; `inGroup` ones are terminated by their group (replaced without a surge). */
  drain: z.array(z.object({ instanceId: z.string(), inGroup: z.boolean() })),
  /** Control plane: the seat being replaced. */
  seat: z.object({ seat: z.number().int(), zone: z.string(), subnetId: z.string().optional() }).optional(),
  /** What validateCluster needs. */
  controlPlane: z.object({ instanceIds: z.array(z.string()), first: z.string(), others: z.array(z.string()), apiEndpoint: z.string() }),
  /** Instances left after this batch (for progress). */
  remaining: z.number().int(),
  reasons: z.record(z.string(), z.string()).optional(),
  /** What the `Batch <n>` stage records when the batch is done. */
  summary: z
    .object({ kind: z.enum(['control-plane', 'node']), group: z.string(), replaced: z.array(z.string()), seat: z.number().int().optional(), reasons: z.record(z.string(), z.string()) })
    .optional(),
});
export type Batch = z.infer<typeof batchSchema>;

export const nextBatchInput = stepEnvelope.extend({
  options: rollingOptionsSchema,
  forced: z.array(z.string()).optional(),
  previous: batchSchema.optional(),
});

export async function nextBatch(input: z.infer<typeof nextBatchInput>, deps: StepDeps): Promise<Batch> {
  const { spec } = await loadCluster(deps, input.cluster);
  const prev = input.previous;
  const number = (prev?.number ?? 0) + 1;
  const options = input.options;
  const rollout = await observeRollout(deps, spec, options, input.forced ? new Set(input.forced) : undefined);
  const left = remaining(rollout);
  const base = { number, controlPlane: rollout.validation, detach: [] as string[], drain: [] as Batch['drain'], remaining: left };

  // Control plane first, one seat at a time.
  const seat = rollout.controlPlane.blocked ? undefined : rollout.controlPlane.seats.find((s) => s.reason);
  if (seat) {
    if (!seat.zone) throw new StepFailedError(`control-plane seat ${seat.seat} has no zone`);
    const reasons = { [seat.instanceId ?? `seat-${seat.seat}`]: seat.reason ?? '' };
    const replaced = seat.instanceId ? [seat.instanceId] : [];
    return {
      ...base,
      done: false,
      kind: 'control-plane',
      group: 'control-plane',
      drain: replaced.map((instanceId) => ({ instanceId, inGroup: false })),
      seat: { seat: seat.seat, zone: seat.zone, ...(seat.subnetId ? { subnetId: seat.subnetId } : {}) },
      remaining: left - 1,
      reasons,
      summary: { kind: 'control-plane', group: 'control-plane', replaced, seat: seat.seat, reasons },
    };
  }

  for (const g of rollout.groups) {
    if (g.detached.length === 0 && g.outdated.length === 0) continue;
    if (!g.exists) throw new StepFailedError(`instance group ${g.name} has no Auto Scaling group ${g.autoScalingGroupName}`);
    const size = Math.max(1, options.maxSurge + options.maxUnavailable);
    const leftovers = g.detached.slice(0, size);
    const fresh = g.outdated.slice(0, size - leftovers.length);
    const surge = Math.max(0, options.maxSurge - leftovers.length);
    const detach = fresh.slice(0, surge).map((o) => o.instanceId);
    const inGroup = fresh.slice(surge).map((o) => o.instanceId);
    const drain = [...leftovers, ...detach].map((instanceId) => ({ instanceId, inGroup: false })).concat(inGroup.map((instanceId) => ({ instanceId, inGroup: true })));
    const reasons: Record<string, string> = Object.fromEntries([...leftovers.map((id) => [id, 'detached by an earlier batch']), ...fresh.map((o) => [o.instanceId, o.reason])]);
    return {
      ...base,
      done: false,
      kind: 'node',
      group: g.name,
      detach,
      drain,
      remaining: left - drain.length,
      reasons,
      summary: { kind: 'node', group: g.name, replaced: drain.map((d) => d.instanceId), reasons },
    };
  }
  return { ...base, done: true, kind: 'none', group: '', remaining: 0 };
}

export const step = defineStep({
  name: 'NextBatch',
  clients: [ec2Client, autoscalingClient],
  input: nextBatchInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ec2:DescribeInstances', 'ec2:DescribeImages', 'ec2:DescribeLaunchTemplateVersions', 'autoscaling:DescribeAutoScalingGroups'),
  ],
  run: nextBatch,
});
export const { handler, run: runStep } = step;
