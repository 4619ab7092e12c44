/**
 * instanceHealthSweep (every 5 minutes): asks EC2 how every live cluster's instances are
 * (DescribeInstanceStatus) and acts on what the events alone could miss — failed status
 * checks (no event announces them) and scheduled retirements whose AWS Health event was lost
 * or whose repair was skipped while the cluster was busy. A node-group or control-plane
 * instance gets a repair (functions/repair/start-repair.ts: at most one started per cluster and
 * sweep, never beside another operation, never past the group's repair budget); a bastion, or a
 * control plane of fewer than three, in trouble degrades the cluster, saying why. A
 * control-plane seat left with no instance is filled again once the cluster is free.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterRecord } from '../../shared/store';
import { liveLock } from '../../shared/store/locks';
import { clusterTagKey, HOPPER_GROUP_TAG, HOPPER_ROLE_TAG, tagRecord } from '../../shared/tags';
import { allow, anywhere, getAtt, ref, stopExecutions, tableIndex, stateMachineArn } from '../../shared/aws/iam';
import { describeInstances } from '../lib/ec2';
import { defineFunction } from '../lib/function';
import { NODE_ROLE } from '../nodes/common';
import { CONTROL_PLANE_ROLE } from '../control-plane/render-context';
import { SEAT_TAG, seatOfTags } from '../control-plane/seats';
import { describeTrouble } from '../repair/policy';
import { startRepair, troubledInstances, type RepairDecision } from '../repair/start-repair';
import { degradeGroup } from './degrade-group';
import { eventDeps, type EventDeps } from './deps';
import { eachCluster } from './each-cluster';

const logger = new Logger({ serviceName: 'hopper-health-sweep' });

/** How long after a failed repair of an empty control-plane seat the sweep waits before trying it again. */
const EMPTY_SEAT_RETRY_MS = 3_600_000;

/** Clusters whose machines are looked after (a create or delete in progress is left alone). */
const LOOKED_AFTER = new Set(['Ready', 'Degraded', 'Updating']);

export type SweepFinding =
  | RepairDecision
  | { action: 'degraded'; cluster: string; instanceId: string; trouble: string; group: string }
  | { action: 'failed'; cluster: string; reason: string };

async function sweepCluster(deps: EventDeps, record: ClusterRecord): Promise<SweepFinding[]> {
  const instances = await describeInstances(deps, [
    { Name: `tag:${clusterTagKey(record.name)}`, Values: ['owned'] },
    { Name: 'instance-state-name', Values: ['running'] },
  ]);
  const troubled = await troubledInstances(deps, instances.map((i) => i.InstanceId!).filter(Boolean));
  const findings: SweepFinding[] = [];
  let repairing = false;
  for (const inst of instances) {
    const trouble = troubled.get(inst.InstanceId!);
    if (!trouble) continue;
    const tags = tagRecord(inst.Tags);
    const group = tags[HOPPER_GROUP_TAG] ?? tags[HOPPER_ROLE_TAG] ?? 'unknown';
    const role = tags[HOPPER_ROLE_TAG];
    let why = `replace it (hopper update cluster recreates the ${group})`;
    if (role === NODE_ROLE || role === CONTROL_PLANE_ROLE) {
      // One repair per cluster at a time: the next sweep takes the next instance.
      if (repairing) continue;
      const controlPlane = role === CONTROL_PLANE_ROLE;
      const decision = await startRepair(deps, record, { instanceId: inst.InstanceId!, trouble, group, owner: 'sweep', controlPlane, seat: controlPlane ? seatOfTags(tags) : undefined });
      if (decision.action !== 'unrepairable') {
        repairing = decision.action === 'started';
        findings.push(decision);
        continue;
      }
      why = `${decision.reason}; it cannot be replaced without an outage`;
    }
    const message = `instance ${inst.InstanceId} of ${group} has ${describeTrouble(trouble)}: ${why}`;
    if (record.instanceGroups?.[group]?.reason !== message) {
      await deps.store.putEvent(record.name, { type: 'InstanceTrouble', message, detail: { group, trouble } });
      await degradeGroup(deps, record.name, group, message);
    }
    findings.push({ action: 'degraded', cluster: record.name, instanceId: inst.InstanceId!, trouble, group });
  }
  if (!repairing) findings.push(...(await fillEmptySeat(deps, record)));
  return findings;
}

/**
 * A control-plane seat with no instance at all — terminated behind Hopper's back while another
 * operation held the cluster, so its EC2 event could start no repair then (and no event comes
 * again) — is filled now, as that event would have had it: a repair of the seat (a forced
 * rolling update, whose plan replaces a seat with no instance). Only once the cluster is free
 * and at rest: an operation under way may be replacing that seat itself.
 */
async function fillEmptySeat(deps: EventDeps, record: ClusterRecord): Promise<SweepFinding[]> {
  if (liveLock(record, deps.now().getTime()) || !['Ready', 'Degraded'].includes(record.status)) return [];
  const held = await describeInstances(deps, [
    { Name: `tag:${clusterTagKey(record.name)}`, Values: ['owned'] },
    { Name: `tag:${HOPPER_ROLE_TAG}`, Values: [CONTROL_PLANE_ROLE] },
    { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
  ]);
  const occupied = new Set(held.map((i) => Number(tagRecord(i.Tags)[SEAT_TAG])));
  const seat = record.spec.controlPlane.zones.findIndex((_zone, i) => !occupied.has(i));
  if (seat < 0) return [];
  // The seat's last instance names the repair (EC2 shows a terminated one for about an hour).
  const gone = await describeInstances(deps, [
    { Name: `tag:${clusterTagKey(record.name)}`, Values: ['owned'] },
    { Name: `tag:${SEAT_TAG}`, Values: [String(seat)] },
    { Name: 'instance-state-name', Values: ['shutting-down', 'terminated'] },
  ]);
  const last = gone.sort((a, b) => (b.LaunchTime?.getTime() ?? 0) - (a.LaunchTime?.getTime() ?? 0))[0]?.InstanceId ?? `control-plane-seat-${seat}`;
  // A repair of this seat that failed within the hour (its zone may not launch now) is not
  // started again every sweep: the failure degraded the cluster and says why; the seat is
  // tried again once the hour has passed. Found by its seat (or, for a repair that did not
  // record one, its instance): EC2 may have stopped showing the instance before the hour is up.
  const now = deps.now().getTime();
  const failedLately = (await deps.store.listOperations(record.name, { limit: 20 })).some((o) => {
    const asked = (o.input as { request?: { instanceId?: string; seat?: number } } | undefined)?.request;
    const ofSeat = asked?.seat === undefined ? asked?.instanceId === last : asked.seat === seat;
    return o.type === 'repair' && o.status === 'Failed' && ofSeat && now - Date.parse(o.endedAt ?? o.startedAt) < EMPTY_SEAT_RETRY_MS;
  });
  if (failedLately) return [{ action: 'degraded', cluster: record.name, instanceId: last, trouble: 'terminated', group: CONTROL_PLANE_ROLE }];
  const decision = await startRepair(deps, record, { instanceId: last, trouble: 'terminated', group: CONTROL_PLANE_ROLE, owner: 'sweep', controlPlane: true, seat });
  if (decision.action !== 'unrepairable') return [decision];
  const message = `control-plane seat ${seat} has no instance (${last} is gone): ${decision.reason}`;
  if (record.instanceGroups?.[CONTROL_PLANE_ROLE]?.reason !== message) {
    await deps.store.putEvent(record.name, { type: 'InstanceTrouble', message, detail: { group: CONTROL_PLANE_ROLE, trouble: 'terminated' } });
    await degradeGroup(deps, record.name, CONTROL_PLANE_ROLE, message);
  }
  return [{ action: 'degraded', cluster: record.name, instanceId: last, trouble: 'terminated', group: CONTROL_PLANE_ROLE }];
}

/** Every live cluster, one at a time (a failure for one is logged and does not stop the rest). */
export async function instanceHealthSweep(deps: EventDeps): Promise<{ findings: SweepFinding[] }> {
  const findings = await eachCluster<SweepFinding>(
    deps,
    logger,
    'health sweep',
    async (record) => (LOOKED_AFTER.has(record.status) ? sweepCluster(deps, record) : []),
    (record, reason) => ({ action: 'failed', cluster: record.name, reason }),
  );
  if (findings.length) logger.info('health sweep', { findings });
  return { findings };
}

export const lambda = defineFunction({
  timeout: 120,
  environment: { REPAIR_NODE_STATE_MACHINE_ARN: ref('RepairNodeStateMachine'), ROLLING_UPDATE_STATE_MACHINE_ARN: ref('RollingUpdateStateMachine') },
  events: [{ schedule: 'rate(5 minutes)' }],
  permissions: [
    allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
    anywhere('ec2:DescribeInstances', 'ec2:DescribeInstanceStatus'),
    allow(['states:StartExecution'], [stateMachineArn('repair-node'), stateMachineArn('rolling-update')]),
    stopExecutions(),
  ],
});

export const handler = middy().handler(() => instanceHealthSweep(eventDeps()));
