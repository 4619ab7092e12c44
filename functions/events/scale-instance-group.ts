/**
 * scaleInstanceGroup: the EventBridge rule `source: hopper.scaling`, `detail-type:
 * ScaleInstanceGroup`, detail `{cluster, group, desired?, min?, max?}`, on the stack's own
 * scaling bus (`hopper-<stage>-scaling`), never the default one.
 *
 * Who may scale what (the bus is the trust boundary: its policy denies every principal not
 * named in `custom.scalingPublishers`, and IAM decides who of them may PutEvents):
 * - the detail must parse (zod); a malformed event is rejected and recorded as a cluster
 *   event when it names a known cluster, else only logged; nothing changes;
 * - the cluster and group must exist (unknown ones are logged, nothing is created);
 * - min/max go through the same validation as `PUT …/instance-groups/{group}` (the whole
 *   spec re-parsed, impossible changes refused); `desired` must lie within the group's
 *   [min, max] after the event's own min/max — outside is refused, never clamped, since an
 *   event asking for 50 nodes of a group capped at 10 is a mistake or an abuse;
 * - the spec has no opt-out field yet (`shared/spec` is not this module's); until one exists,
 *   a cluster opts out by keeping event publishers off its bus.
 * A valid event stores min/max in the spec and starts the update workflow as a `scale`
 * operation in one lock write; `desired` rides on the operation (it is a one-shot request,
 * not desired state: the autoscaler moves it afterwards). A busy cluster refuses it (the
 * 409 of the API) and the refusal is recorded as a cluster event.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import { ConflictError } from '../../shared/errors';
import { immutableChanges, parseClusterSpec, type Problem } from '../../shared/spec';
import type { ApiDeps } from '../api/deps';
import { apiDeps } from '../api/deps';
import { beginWorkflow } from '../api/operations';
import { allow, getAtt, ref, table, stopExecutions, stateMachineArn } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

const logger = new Logger({ serviceName: 'hopper-scaling' });

const size = z.int().min(0).max(1000);

export const scaleDetailSchema = z
  .strictObject({
    cluster: z.string().min(1).max(20),
    group: z.string().min(1).max(40),
    desired: size.optional(),
    min: size.optional(),
    max: size.optional(),
  })
  .refine((d) => d.desired !== undefined || d.min !== undefined || d.max !== undefined, { message: 'give desired, min or max' });

const envelopeSchema = z.looseObject({
  id: z.string().optional(),
  source: z.literal('hopper.scaling'),
  'detail-type': z.literal('ScaleInstanceGroup'),
  detail: z.unknown(),
});

export type ScaleResult = { accepted: true; operationId: string } | { accepted: false; reason: string; problems?: Problem[] };

async function reject(deps: ApiDeps, cluster: string | undefined, reason: string, detail: unknown, problems?: Problem[]): Promise<ScaleResult> {
  const known = cluster ? await deps.store.getCluster(cluster) : undefined;
  if (known && known.status !== 'Deleted') {
    await deps.store.putEvent(known.name, { type: 'ScaleRejected', message: reason, detail: { event: detail, ...(problems ? { problems } : {}) } });
  } else {
    logger.warn('scaling event rejected', { reason, detail, problems });
  }
  return { accepted: false, reason, ...(problems ? { problems } : {}) };
}

export async function scaleInstanceGroup(event: unknown, deps: ApiDeps): Promise<ScaleResult> {
  const envelope = envelopeSchema.safeParse(event);
  if (!envelope.success) return reject(deps, undefined, 'not a ScaleInstanceGroup event from hopper.scaling', event);
  const raw = envelope.data.detail;
  const named = typeof (raw as { cluster?: unknown })?.cluster === 'string' ? (raw as { cluster: string }).cluster : undefined;
  const parsed = scaleDetailSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(detail)', message: i.message }));
    return reject(deps, named, 'malformed ScaleInstanceGroup event', raw, problems);
  }
  const d = parsed.data;
  const record = await deps.store.getCluster(d.cluster);
  if (!record || record.status === 'Deleted') return reject(deps, undefined, `no cluster ${d.cluster}`, d);
  const spec = record.spec;
  const index = spec.instanceGroups.findIndex((g) => g.name === d.group);
  if (index === -1) return reject(deps, d.cluster, `cluster ${d.cluster} has no instance group ${d.group}`, d);

  // The same validation as PUT instance-groups: the whole spec re-parsed, then the possible-change check.
  const groups = [...spec.instanceGroups];
  groups[index] = { ...groups[index], ...(d.min !== undefined ? { min: d.min } : {}), ...(d.max !== undefined ? { max: d.max } : {}) };
  const next = parseClusterSpec({ ...spec, instanceGroups: groups });
  if (!next.ok) return reject(deps, d.cluster, `the scaling of ${d.group} makes the spec invalid`, d, next.problems);
  const impossible = immutableChanges(spec, next.spec);
  if (impossible.length > 0) return reject(deps, d.cluster, `the scaling of ${d.group} is not possible`, d, impossible);
  const group = next.spec.instanceGroups[index];
  if (d.desired !== undefined && (d.desired < group.min || d.desired > group.max)) {
    return reject(deps, d.cluster, `desired ${d.desired} is outside ${d.group}'s bounds [${group.min}, ${group.max}]`, d, [
      { path: 'desired', message: `must be between ${group.min} and ${group.max}` },
    ]);
  }
  try {
    const { operation } = await beginWorkflow(deps, record, {
      workflow: 'scale',
      type: 'scale',
      // The event id makes a redelivered event the same request (no second operation).
      body: { ...d, ...(envelope.data.id ? { eventId: envelope.data.id } : {}) },
      owner: `eventbridge:${envelope.data.id ?? 'unknown'}`,
      spec: next.spec,
    });
    await deps.store.putEvent(d.cluster, { type: 'ScaleAccepted', message: `scaling ${d.group} (${describe(d)}) as operation ${operation.id}`, detail: { operationId: operation.id, event: d } });
    return { accepted: true, operationId: operation.id };
  } catch (err) {
    if (err instanceof ConflictError) return reject(deps, d.cluster, `cluster busy: ${err.message}`, d);
    throw err;
  }
}

function describe(d: z.infer<typeof scaleDetailSchema>): string {
  return [d.min !== undefined ? `min ${d.min}` : '', d.max !== undefined ? `max ${d.max}` : '', d.desired !== undefined ? `desired ${d.desired}` : ''].filter(Boolean).join(', ');
}

export const lambda = defineFunction({
  environment: { UPDATE_CLUSTER_STATE_MACHINE_ARN: ref('UpdateClusterStateMachine') },
  events: [
    // Its own bus, whose policy names who may publish (serverless/resources.yml): not the default one.
    { eventBridge: { eventBus: getAtt('ScalingEventBus', 'Name'), pattern: { source: ['hopper.scaling'], 'detail-type': ['ScaleInstanceGroup'] } } },
  ],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    allow(['states:StartExecution'], [stateMachineArn('update-cluster')]),
    // A take-over stops the execution of the operation whose lease ran out.
    stopExecutions(),
  ],
});

export const handler = middy().handler((event: unknown) => scaleInstanceGroup(event, apiDeps()));
