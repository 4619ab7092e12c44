/**
 * recordInstanceEvent: what AWS says about a cluster's machines, recorded on the cluster and
 * acted on.
 *
 * - EC2 instance state changes (stopping, stopped, shutting-down, terminated — the rule's
 *   pattern filters the states). A node-group instance that stops or goes is replaced by its
 *   group (EC2 health check) and its Node deleted by the cloud controller manager: recorded
 *   only. A control-plane or bastion instance stopping degrades the cluster, as does one
 *   terminating while NO operation holds the cluster; a control plane terminated then gets
 *   its seat filled again by a repair (a rolling update of that seat: the new instance takes
 *   the seat's etcd volume). Terminations during an operation (a rolling update, a delete)
 *   are expected. The image
 *   builder stops as part of a bake: ignored.
 * - Auto Scaling "EC2 Instance Launch Unsuccessful": the group cannot reach its size, so it
 *   degrades — unless the launch was only the group rebalancing its zones (it is at size).
 * - A spot interruption warning and an AWS Health scheduled retirement (or stop): a repair
 *   (functions/repair/) — a node-group instance drained, replaced and its Node deleted; a
 *   control-plane instance's seat replaced by a rolling update of it alone, with three or more
 *   control planes (with fewer, the cluster degrades, saying why) — or a recorded skip when the
 *   cluster is busy or too much of the group is in trouble at once.
 *
 * Instances and groups are the cluster's by the `hopper:cluster` tag (a group already gone by
 * its `<group>.<cluster>` name); others are ignored. Degraded marks the group in the record's
 * `instanceGroups` and turns a Ready cluster Degraded; the next successful update or
 * validation clears it.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import { liveLock, type ClusterRecord } from '../../shared/store';
import { groupResourceName, HOPPER_CLUSTER_TAG, HOPPER_GROUP_TAG, HOPPER_ROLE_TAG, tagRecord } from '../../shared/tags';
import { seatOfTags } from '../control-plane/seats';
import { degradeGroup } from './degrade-group';
import { eventDeps, type EventDeps } from './deps';
import { allow, anywhere, getAtt, ref, stopExecutions, tableIndex, stateMachineArn } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';
import { BUILDER_ROLE } from '../image/common';
import { NODE_ROLE } from '../nodes/common';
import { CONTROL_PLANE_ROLE } from '../control-plane/render-context';
import { startRepair, type RepairDecision } from '../repair/start-repair';

/** This function's log (tests watch what it says about ignored events). */
export const logger = new Logger({ serviceName: 'hopper-instance-events' });

const stateChange = z.looseObject({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EC2 Instance State-change Notification'),
  detail: z.looseObject({ 'instance-id': z.string(), state: z.string() }),
});
const launchUnsuccessful = z.looseObject({
  source: z.literal('aws.autoscaling'),
  'detail-type': z.literal('EC2 Instance Launch Unsuccessful'),
  detail: z.looseObject({ AutoScalingGroupName: z.string(), StatusMessage: z.string().optional(), Cause: z.string().optional(), EC2InstanceId: z.string().optional() }),
});
const spotWarning = z.looseObject({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EC2 Spot Instance Interruption Warning'),
  detail: z.looseObject({ 'instance-id': z.string(), 'instance-action': z.string().optional() }),
});
const healthEvent = z.looseObject({
  id: z.string().optional(),
  source: z.literal('aws.health'),
  'detail-type': z.literal('AWS Health Event'),
  resources: z.array(z.string()).optional(),
  detail: z.looseObject({
    eventTypeCode: z.string(),
    startTime: z.string().optional(),
    affectedEntities: z.array(z.looseObject({ entityValue: z.string() })).optional(),
  }),
});
const instanceEvent = z.union([stateChange, launchUnsuccessful, spotWarning, healthEvent]);

/** AWS Health event types that announce an instance will be taken away. */
const RETIREMENT_CODES = /^AWS_EC2_(PERSISTENT_)?INSTANCE_(RETIREMENT|STOP)_SCHEDULED$/;

export type InstanceEventResult =
  | { recorded: false; reason: string }
  | { recorded: true; cluster: string; group: string; degraded: boolean; repair?: RepairDecision };

interface Owner {
  cluster: string;
  group: string;
  /** A control plane's seat (its tag). */
  seat?: number;
  role?: string;
}

/** The group name of a tagged resource: its instance group, else its role (control-plane, bastion). */
function ownerOf(tags: Record<string, string>): Owner | undefined {
  const cluster = tags[HOPPER_CLUSTER_TAG];
  if (!cluster) return undefined;
  const seat = seatOfTags(tags);
  return { cluster, group: tags[HOPPER_GROUP_TAG] ?? tags[HOPPER_ROLE_TAG] ?? 'unknown', role: tags[HOPPER_ROLE_TAG], ...(seat === undefined ? {} : { seat }) };
}

async function instanceOwner(deps: EventDeps, instanceId: string): Promise<Owner | undefined> {
  try {
    const out = await deps.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return ownerOf(tagRecord(out.Reservations?.[0]?.Instances?.[0]?.Tags));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function groupOwner(deps: EventDeps, name: string): Promise<Owner | undefined> {
  const found = (await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
  const tagged = found ? ownerOf(tagRecord(found.Tags)) : undefined;
  if (tagged) return tagged;
  // Gone already: the name says `<group>.<cluster>` (groupResourceName); believed only if that cluster has that group.
  const [group, cluster] = name.split('.', 2);
  if (!group || !cluster || groupResourceName(cluster, group) !== name) return undefined;
  const record = await deps.store.getCluster(cluster);
  if (!record || record.status === 'Deleted' || !record.spec.instanceGroups.some((g) => g.name === group)) return undefined;
  return { cluster, group };
}

function busy(record: ClusterRecord, now: Date): boolean {
  return liveLock(record, now.getTime()) !== undefined || !['Ready', 'Degraded'].includes(record.status);
}

/** A machine AWS is taking away: a node gets a repair, a control plane degrades the cluster. */
async function onTrouble(deps: EventDeps, instanceId: string, trouble: 'spot-interruption' | 'retirement', event: unknown, eventId: string | undefined, when?: string): Promise<InstanceEventResult> {
  const owner = await instanceOwner(deps, instanceId);
  if (!owner) return { recorded: false, reason: 'not a Hopper cluster instance' };
  const record = await deps.store.getCluster(owner.cluster);
  if (!record || record.status === 'Deleted' || record.status === 'Deleting') return { recorded: false, reason: `cluster ${owner.cluster} is gone` };
  const what = trouble === 'spot-interruption' ? 'has a spot interruption notice (terminated in two minutes)' : `is scheduled for retirement${when ? ` (from ${when})` : ''}`;
  const message = `instance ${instanceId} of ${owner.group} ${what}`;
  await deps.store.putEvent(owner.cluster, { type: 'InstanceTrouble', message, detail: { group: owner.group, trouble, event } });
  if (owner.role === NODE_ROLE || owner.role === CONTROL_PLANE_ROLE) {
    const repair = await startRepair(deps, record, { instanceId, trouble, group: owner.group, owner: `eventbridge:${eventId ?? 'unknown'}`, controlPlane: owner.role === CONTROL_PLANE_ROLE, seat: owner.role === CONTROL_PLANE_ROLE ? owner.seat : undefined });
    if (repair.action !== 'unrepairable') return { recorded: true, cluster: owner.cluster, group: owner.group, degraded: false, repair };
    await degradeGroup(deps, owner.cluster, owner.group, `${message}: ${repair.reason}; it cannot be replaced without an outage`);
    return { recorded: true, cluster: owner.cluster, group: owner.group, degraded: true, repair };
  }
  await degradeGroup(deps, owner.cluster, owner.group, `${message}: replace it before then (hopper update cluster recreates the ${owner.group})`);
  return { recorded: true, cluster: owner.cluster, group: owner.group, degraded: true };
}

/**
 * Records an instance event for the cluster it concerns and starts what it calls for. An event
 * that concerns no cluster (another team's instance, a health event that is not a retirement)
 * changes nothing and is logged with why it was ignored.
 */
export async function recordInstanceEvent(raw: unknown, deps: EventDeps): Promise<InstanceEventResult> {
  const result = await handleInstanceEvent(raw, deps);
  if (!result.recorded) {
    const detail = (raw as { detail?: Record<string, unknown> } | undefined)?.detail ?? {};
    logger.info('instance event ignored', { reason: result.reason, detailType: (raw as { 'detail-type'?: string } | undefined)?.['detail-type'], instanceId: detail['instance-id'], eventId: (raw as { id?: string } | undefined)?.id });
  }
  return result;
}

async function handleInstanceEvent(raw: unknown, deps: EventDeps): Promise<InstanceEventResult> {
  const parsed = instanceEvent.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignoring an event that is not an instance state change, a failed launch, a spot warning or a health event', { issues: parsed.error.issues });
    return { recorded: false, reason: 'not an instance event' };
  }
  const event = parsed.data;
  const eventId = (raw as { id?: string }).id;
  if (event['detail-type'] === 'EC2 Spot Instance Interruption Warning') {
    const spot = spotWarning.parse(event);
    return onTrouble(deps, spot.detail['instance-id'], 'spot-interruption', spot.detail, eventId);
  }
  if (event['detail-type'] === 'AWS Health Event') {
    const health = healthEvent.parse(event);
    if (!RETIREMENT_CODES.test(health.detail.eventTypeCode)) return { recorded: false, reason: `health event ${health.detail.eventTypeCode} is not a retirement` };
    const ids = [...new Set([...(health.detail.affectedEntities ?? []).map((e) => e.entityValue), ...(health.resources ?? [])])].filter((id) => /^i-[0-9a-f]+$/.test(id));
    let last: InstanceEventResult = { recorded: false, reason: 'the health event names no instance' };
    // One event may name several instances: each is handled (and each repair queues behind the first).
    for (const id of ids) {
      const result = await onTrouble(deps, id, 'retirement', { eventTypeCode: health.detail.eventTypeCode, startTime: health.detail.startTime }, eventId, health.detail.startTime);
      if (result.recorded || !last.recorded) last = result;
    }
    return last;
  }
  const ec2 = event.source === 'aws.ec2' ? stateChange.parse(event) : undefined;
  const asg = event.source === 'aws.autoscaling' ? launchUnsuccessful.parse(event) : undefined;
  const owner = ec2 ? await instanceOwner(deps, ec2.detail['instance-id']) : await groupOwner(deps, asg!.detail.AutoScalingGroupName);
  if (!owner) return { recorded: false, reason: 'not a Hopper cluster instance' };
  if (owner.role === BUILDER_ROLE) return { recorded: false, reason: 'the image builder stops and goes as part of a bake' };
  const record = await deps.store.getCluster(owner.cluster);
  if (!record || record.status === 'Deleted') return { recorded: false, reason: `cluster ${owner.cluster} is gone` };

  const now = deps.now();
  // A control plane terminated outside Hopper: its seat is filled again (the volume keeps its data).
  if (ec2?.detail.state === 'terminated' && owner.role === CONTROL_PLANE_ROLE && !busy(record, now)) {
    const id = ec2.detail['instance-id'];
    const message = `control-plane instance ${id} was terminated outside Hopper`;
    await deps.store.putEvent(owner.cluster, { type: 'InstanceStateChange', message, detail: { group: owner.group, event: event.detail } });
    const repair = await startRepair(deps, record, { instanceId: id, trouble: 'terminated', group: owner.group, owner: `eventbridge:${eventId ?? 'unknown'}`, controlPlane: true, seat: owner.seat });
    if (repair.action !== 'unrepairable') return { recorded: true, cluster: owner.cluster, group: owner.group, degraded: false, repair };
    await degradeGroup(deps, owner.cluster, owner.group, `${message}: ${repair.reason}`);
    return { recorded: true, cluster: owner.cluster, group: owner.group, degraded: true, repair };
  }
  let message: string;
  let degraded: boolean;
  if (ec2) {
    const state = ec2.detail.state;
    message = `instance ${ec2.detail['instance-id']} of ${owner.group} is ${state}`;
    const stopping = state === 'stopping' || state === 'stopped';
    // A node's group replaces it; nothing replaces a control plane or the bastion by itself.
    degraded = owner.role !== NODE_ROLE && (stopping || !busy(record, now));
  } else {
    message = `launch failed in ${asg!.detail.AutoScalingGroupName}: ${asg!.detail.StatusMessage ?? asg!.detail.Cause ?? 'no reason given'}`;
    const rebalancing = /balancing the group/.test(asg!.detail.Cause ?? '');
    degraded = record.status !== 'Deleting' && !rebalancing;
  }
  await deps.store.putEvent(owner.cluster, {
    type: ec2 ? 'InstanceStateChange' : 'InstanceLaunchUnsuccessful',
    message,
    detail: { group: owner.group, degraded, event: event.detail },
  });
  if (degraded) await degradeGroup(deps, owner.cluster, owner.group, message);
  return { recorded: true, cluster: owner.cluster, group: owner.group, degraded };
}

export const lambda = defineFunction({
  environment: { REPAIR_NODE_STATE_MACHINE_ARN: ref('RepairNodeStateMachine'), ROLLING_UPDATE_STATE_MACHINE_ARN: ref('RollingUpdateStateMachine') },
  events: [
    { eventBridge: { pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['stopping', 'stopped', 'shutting-down', 'terminated'] } } } },
    { eventBridge: { pattern: { source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance Launch Unsuccessful'] } } },
    { eventBridge: { pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] } } },
    { eventBridge: { pattern: { source: ['aws.health'], 'detail-type': ['AWS Health Event'], detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] } } } },
  ],
  permissions: [
    allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
    anywhere('ec2:DescribeInstances', 'ec2:DescribeInstanceStatus', 'autoscaling:DescribeAutoScalingGroups'),
    // A repair starts its workflow (a control plane's, the rolling update); a take-over stops the execution whose lease ran out.
    allow(['states:StartExecution'], [stateMachineArn('repair-node'), stateMachineArn('rolling-update')]),
    stopExecutions(),
  ],
});

export const handler = middy().handler((event: unknown) => recordInstanceEvent(event, eventDeps()));
