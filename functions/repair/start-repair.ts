/**
 * Starting a repair, from an AWS event (functions/events/record-instance-event.ts) or from the
 * health sweep (functions/events/instance-health-sweep.ts). A node-group instance gets the
 * repair-node workflow; a control-plane instance gets its seat replaced — a forced rolling
 * update of that instance alone (kubeadm reset so its etcd member leaves, a new instance in the
 * seat joins), only with three or more control planes, one at a time, as etcd's quorum allows,
 * and only while it still answers (a retirement, not failed checks); otherwise it is
 * `unrepairable` and the caller degrades the cluster, saying why. Never beside another
 * operation and never past the group's repair budget (policy.ts): either is recorded as a
 * Skipped operation with the reason (once per blocking operation, not at every sweep) and a
 * cluster event; the sweep tries again while the trouble lasts. The request is the instance
 * and the trouble, so the event and the sweep asking for the same repair while it runs get
 * the same operation.
 */
import { everySeatHasVolume } from '../control-plane/etcd-volumes';
import { DescribeInstanceStatusCommand } from '@aws-sdk/client-ec2';
import { ConflictError } from '../../shared/errors';
import { liveLock, type ClusterRecord } from '../../shared/store';
import { clusterTagKey, HOPPER_GROUP_TAG, HOPPER_ROLE_TAG } from '../../shared/tags';
import { CONTROL_PLANE_ROLE } from '../control-plane/render-context';
import type { ApiDeps } from '../api/deps';
import { beginWorkflow, operationId, recordSkippedOperation } from '../api/operations';
import type { EventDeps } from '../events/deps';
import { describeInstances } from '../lib/ec2';
import { describeTrouble, MAX_UNHEALTHY_PERCENT, repairBudget, type Trouble } from './policy';

export type RepairDecision =
  | { action: 'started'; cluster: string; instanceId: string; trouble: Trouble; operationId: string }
  | { action: 'unrepairable'; cluster: string; instanceId: string; trouble: Trouble; reason: string }
  | { action: 'skipped'; cluster: string; instanceId: string; trouble: Trouble; reason: string; operationId: string };

export interface RepairRequest {
  instanceId: string;
  trouble: Trouble;
  group: string;
  /** Who asks: the event's id, or `sweep`. */
  owner: string;
  /** A control-plane instance (its seat is replaced), not a node-group one. */
  controlPlane?: boolean;
  /**
   * The control-plane seat it held, when known: kept on the operation, so a failed repair is
   * found by its seat even after EC2 has stopped showing the instance (instance-health-sweep.ts).
   */
  seat?: number;
}

/** Fewer control planes than this cannot lose one to a replacement without losing etcd's quorum. */
export const MIN_CONTROL_PLANES_TO_REPLACE = 3;

/** Instances in trouble now: failing a status check, or with a retirement still to come. */
export async function troubledInstances(deps: Pick<EventDeps, 'clients'>, instanceIds: string[]): Promise<Map<string, Exclude<Trouble, 'spot-interruption'>>> {
  const troubled = new Map<string, Exclude<Trouble, 'spot-interruption'>>();
  for (let i = 0; i < instanceIds.length; i += 100) {
    const out = await deps.clients.ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: instanceIds.slice(i, i + 100), IncludeAllInstances: true }));
    for (const s of out.InstanceStatuses ?? []) {
      if (!s.InstanceId) continue;
      if (s.InstanceStatus?.Status === 'impaired' || s.SystemStatus?.Status === 'impaired') troubled.set(s.InstanceId, 'status-check');
      else if ((s.Events ?? []).some((e) => /retirement|stop/.test(e.Code ?? '') && !/^\[Completed\]|^\[Canceled\]/.test(e.Description ?? ''))) troubled.set(s.InstanceId, 'retirement');
    }
  }
  return troubled;
}

async function groupInstanceIds(deps: Pick<EventDeps, 'clients'>, cluster: string, request: RepairRequest): Promise<string[]> {
  const found = await describeInstances(deps, [
    { Name: `tag:${clusterTagKey(cluster)}`, Values: ['owned'] },
    request.controlPlane ? { Name: `tag:${HOPPER_ROLE_TAG}`, Values: [CONTROL_PLANE_ROLE] } : { Name: `tag:${HOPPER_GROUP_TAG}`, Values: [request.group] },
    { Name: 'instance-state-name', Values: ['pending', 'running'] },
  ]);
  return found.map((i) => i.InstanceId!).filter(Boolean);
}

async function recordSkip(deps: ApiDeps, record: ClusterRecord, request: RepairRequest, reason: string, blocker: string): Promise<RepairDecision> {
  const id = operationId(record.name, 'repair', [record.uid, request.instanceId, request.trouble, 'skipped', blocker]);
  const { fresh } = await recordSkippedOperation(deps, record, {
    operationId: id,
    type: 'repair',
    owner: request.owner,
    input: { request: { instanceId: request.instanceId, trouble: request.trouble } },
    code: blocker === 'budget' ? 'RepairBudgetSpent' : 'ClusterBusy',
    reason,
  });
  if (fresh) {
    await deps.store.putEvent(record.name, { type: 'NodeRepairSkipped', message: `repair of ${request.instanceId} (${describeTrouble(request.trouble)}) skipped: ${reason}`, detail: { operationId: id, group: request.group } });
  }
  return { action: 'skipped', cluster: record.name, instanceId: request.instanceId, trouble: request.trouble, reason, operationId: id };
}

export async function startRepair(deps: EventDeps, record: ClusterRecord, request: RepairRequest): Promise<RepairDecision> {
  const lock = liveLock(record, deps.now().getTime());
  const body = { instanceId: request.instanceId, trouble: request.trouble, ...(request.seat === undefined ? {} : { seat: request.seat }) };
  if (lock && lock.type !== 'repair') return recordSkip(deps, record, request, `operation ${lock.operationId} (${lock.type}) holds the cluster`, lock.operationId);
  if (lock) {
    // This very repair, asked again (the event and the sweep, or a redelivery): it runs already.
    const held = await deps.store.getOperation(lock.operationId);
    const asked = (held?.input as { request?: { instanceId?: string; trouble?: string } } | undefined)?.request;
    if (asked?.instanceId === request.instanceId) return { action: 'started', cluster: record.name, instanceId: request.instanceId, trouble: request.trouble, operationId: lock.operationId };
    return recordSkip(deps, record, request, `repair ${lock.operationId} of ${asked?.instanceId ?? 'another instance'} holds the cluster`, lock.operationId);
  }

  const unrepairable = (reason: string): RepairDecision => ({ action: 'unrepairable', cluster: record.name, instanceId: request.instanceId, trouble: request.trouble, reason });
  if (request.controlPlane && request.trouble === 'status-check') {
    // The seat's replacement goes where the seat is: during a zone outage it cannot launch, and
    // the old member, which cannot leave etcd while it does not answer, would be gone for nothing.
    return unrepairable(
      'a control plane that does not answer is not replaced automatically (its etcd member cannot leave, and its zone may be unable to launch the replacement); once its zone launches again, replace it with a forced rolling update of the control plane',
    );
  }
  const members = await groupInstanceIds(deps, record.name, request);
  // With each seat's etcd data on its own volume any seat can be filled again (a single control
  // plane's API is down meanwhile); a cluster made before etcd volumes keeps the old limit.
  const durable = request.controlPlane && (await everySeatHasVolume(deps, record.name, record.spec.controlPlane.count));
  if (request.controlPlane && !durable && members.length < MIN_CONTROL_PLANES_TO_REPLACE) {
    return unrepairable(`the control plane has ${members.length} instance(s); replacing one would take etcd and the API down (${MIN_CONTROL_PLANES_TO_REPLACE} or more are needed)`);
  }
  const troubled = new Set((await troubledInstances(deps, members)).keys());
  troubled.add(request.instanceId);
  // One control plane at a time: two members out of three is etcd's quorum gone.
  const budget = request.controlPlane ? 1 : repairBudget(members.length);
  if (troubled.size > budget) {
    return recordSkip(
      deps,
      record,
      request,
      `${troubled.size} of group ${request.group}'s ${members.length} instances are in trouble at once, more than the ${budget} (${request.controlPlane ? 'one control plane at a time' : `${MAX_UNHEALTHY_PERCENT}%`}) a repair may act on: the cause is wider than one machine`,
      'budget',
    );
  }
  try {
    const { operation } = request.controlPlane
      ? await beginWorkflow(deps, record, {
          workflow: 'rolling-update',
          type: 'repair',
          body: { ...body, force: true, instanceGroups: [CONTROL_PLANE_ROLE], instances: [request.instanceId] },
          owner: request.owner,
        })
      : await beginWorkflow(deps, record, { workflow: 'repair', body, owner: request.owner });
    await deps.store.putEvent(record.name, {
      type: 'NodeRepairStarted',
      message: `repairing ${request.instanceId} of ${request.group}: ${describeTrouble(request.trouble)}`,
      detail: { operationId: operation.id, group: request.group, trouble: request.trouble },
    });
    return { action: 'started', cluster: record.name, instanceId: request.instanceId, trouble: request.trouble, operationId: operation.id };
  } catch (err) {
    if (err instanceof ConflictError) return recordSkip(deps, record, request, err.message, record.lock?.operationId ?? 'busy');
    throw err;
  }
}
