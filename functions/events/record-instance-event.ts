/**
 * recordInstanceEvent: EC2 instance state changes (stopping, stopped, shutting-down,
 * terminated — the rule's pattern filters the states) and Auto Scaling "EC2 Instance Launch
 * Unsuccessful" events. Events for instances and groups of a Hopper cluster (found by the
 * `hopper:cluster` tag, or for a group already gone by its `<group>.<cluster>` name) are
 * recorded on the cluster; the others are ignored.
 *
 * What degrades: a failed launch always (the group cannot reach its size); an instance
 * stopping or stopped (an Auto Scaling group does not stop instances); an instance
 * terminating while NO operation holds the cluster (a spot reclaim, a failed health check).
 * Terminations during an operation (a rolling update, a scale-in, a delete) are expected
 * and only recorded. Degraded marks the group in the record's `instanceGroups` and turns a
 * Ready cluster Degraded; the next successful update or validation clears it.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import type { ClusterRecord } from '../../shared/store';
import { groupResourceName, HOPPER_CLUSTER_TAG, HOPPER_GROUP_TAG, HOPPER_ROLE_TAG, tagRecord } from '../../shared/tags';
import { eventDeps, type EventDeps } from './deps';
import { allow, anywhere, getAtt, tableIndex } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

const logger = new Logger({ serviceName: 'hopper-instance-events' });

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
const instanceEvent = z.union([stateChange, launchUnsuccessful]);

export type InstanceEventResult = { recorded: false; reason: string } | { recorded: true; cluster: string; group: string; degraded: boolean };

interface Owner {
  cluster: string;
  group: string;
}

/** The group name of a tagged resource: its instance group, else its role (control-plane, bastion). */
function ownerOf(tags: Record<string, string>): Owner | undefined {
  const cluster = tags[HOPPER_CLUSTER_TAG];
  if (!cluster) return undefined;
  return { cluster, group: tags[HOPPER_GROUP_TAG] ?? tags[HOPPER_ROLE_TAG] ?? 'unknown' };
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
  return (record.lock !== undefined && record.lock.expiresAt > now.getTime()) || !['Ready', 'Degraded'].includes(record.status);
}

export async function recordInstanceEvent(raw: unknown, deps: EventDeps): Promise<InstanceEventResult> {
  const parsed = instanceEvent.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignoring an event that is not an instance state change or a failed launch', { issues: parsed.error.issues });
    return { recorded: false, reason: 'not an instance event' };
  }
  const event = parsed.data;
  const ec2 = event.source === 'aws.ec2' ? stateChange.parse(event) : undefined;
  const asg = event.source === 'aws.autoscaling' ? launchUnsuccessful.parse(event) : undefined;
  const owner = ec2 ? await instanceOwner(deps, ec2.detail['instance-id']) : await groupOwner(deps, asg!.detail.AutoScalingGroupName);
  if (!owner) return { recorded: false, reason: 'not a Hopper cluster instance' };
  const record = await deps.store.getCluster(owner.cluster);
  if (!record || record.status === 'Deleted') return { recorded: false, reason: `cluster ${owner.cluster} is gone` };

  const now = deps.now();
  let message: string;
  let degraded: boolean;
  if (ec2) {
    const state = ec2.detail.state;
    message = `instance ${ec2.detail['instance-id']} of ${owner.group} is ${state}`;
    degraded = state === 'stopping' || state === 'stopped' || ((state === 'shutting-down' || state === 'terminated') && !busy(record, now));
  } else {
    message = `launch failed in ${asg!.detail.AutoScalingGroupName}: ${asg!.detail.StatusMessage ?? asg!.detail.Cause ?? 'no reason given'}`;
    degraded = record.status !== 'Deleting';
  }
  await deps.store.putEvent(owner.cluster, {
    type: ec2 ? 'InstanceStateChange' : 'InstanceLaunchUnsuccessful',
    message,
    detail: { group: owner.group, degraded, event: event.detail },
  });
  if (degraded) {
    await deps.store.mutateCluster(owner.cluster, (current) => ({
      instanceGroups: { ...current.instanceGroups, [owner.group]: { ...current.instanceGroups?.[owner.group], status: 'Degraded', reason: message, since: now.toISOString() } },
      ...(current.status === 'Ready' ? { status: 'Degraded' as const, message } : {}),
    }));
  }
  return { recorded: true, cluster: owner.cluster, group: owner.group, degraded };
}

export const lambda = defineFunction({
  events: [
    { eventBridge: { pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['stopping', 'stopped', 'shutting-down', 'terminated'] } } } },
    { eventBridge: { pattern: { source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance Launch Unsuccessful'] } } },
  ],
  permissions: [
    allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
    anywhere('ec2:DescribeInstances', 'autoscaling:DescribeAutoScalingGroups'),
  ],
});

export const handler = middy().handler((event: unknown) => recordInstanceEvent(event, eventDeps()));
