/**
 * Starting a node repair, from an AWS event (functions/events/record-instance-event.ts) or
 * from the health sweep (functions/events/instance-health-sweep.ts). Never beside another
 * operation and never past the group's repair budget (policy.ts): either is recorded as a
 * Skipped operation with the reason (once per blocking operation, not at every sweep) and a
 * cluster event; the sweep tries again while the trouble lasts. The request is the instance
 * and the trouble, so the event and the sweep asking for the same repair while it runs get
 * the same operation.
 */
import { DescribeInstanceStatusCommand } from '@aws-sdk/client-ec2';
import { ConflictError } from '../../shared/errors';
import type { ClusterRecord } from '../../shared/store';
import { clusterTagKey, HOPPER_GROUP_TAG } from '../../shared/tags';
import type { ApiDeps } from '../api/deps';
import { beginWorkflow, operationId } from '../api/operations';
import type { EventDeps } from '../events/deps';
import { describeInstances } from '../lib/ec2';
import { describeTrouble, MAX_UNHEALTHY_PERCENT, repairBudget, type Trouble } from './policy';

export type RepairDecision =
  | { action: 'started'; cluster: string; instanceId: string; trouble: Trouble; operationId: string }
  | { action: 'skipped'; cluster: string; instanceId: string; trouble: Trouble; reason: string; operationId: string };

export interface RepairRequest {
  instanceId: string;
  trouble: Trouble;
  group: string;
  /** Who asks: the event's id, or `sweep`. */
  owner: string;
}

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

async function groupInstanceIds(deps: Pick<EventDeps, 'clients'>, cluster: string, group: string): Promise<string[]> {
  const found = await describeInstances(deps, [
    { Name: `tag:${clusterTagKey(cluster)}`, Values: ['owned'] },
    { Name: `tag:${HOPPER_GROUP_TAG}`, Values: [group] },
    { Name: 'instance-state-name', Values: ['pending', 'running'] },
  ]);
  return found.map((i) => i.InstanceId!).filter(Boolean);
}

async function recordSkip(deps: ApiDeps, record: ClusterRecord, request: RepairRequest, reason: string, blocker: string): Promise<RepairDecision> {
  const id = operationId(record.name, 'repair', [record.uid, request.instanceId, request.trouble, 'skipped', blocker]);
  const op = await deps.store.recordOperation(record, { operationId: id, type: 'repair', owner: request.owner, leaseSeconds: 0, input: { request: { instanceId: request.instanceId, trouble: request.trouble } } });
  if (op.status === 'Pending') {
    await deps.store.finishOperation(id, { status: 'Skipped', error: { code: blocker === 'budget' ? 'RepairBudgetSpent' : 'ClusterBusy', message: reason } });
    await deps.store.putEvent(record.name, { type: 'NodeRepairSkipped', message: `repair of ${request.instanceId} (${describeTrouble(request.trouble)}) skipped: ${reason}`, detail: { operationId: id, group: request.group } });
  }
  return { action: 'skipped', cluster: record.name, instanceId: request.instanceId, trouble: request.trouble, reason, operationId: id };
}

export async function startRepair(deps: EventDeps, record: ClusterRecord, request: RepairRequest): Promise<RepairDecision> {
  const now = deps.now().getTime();
  const lock = record.lock && record.lock.expiresAt > now ? record.lock : undefined;
  const body = { instanceId: request.instanceId, trouble: request.trouble };
  if (lock && lock.type !== 'repair') return recordSkip(deps, record, request, `operation ${lock.operationId} (${lock.type}) holds the cluster`, lock.operationId);
  if (lock) {
    // This very repair, asked again (the event and the sweep, or a redelivery): it runs already.
    const held = await deps.store.getOperation(lock.operationId);
    const asked = (held?.input as { request?: { instanceId?: string; trouble?: string } } | undefined)?.request;
    if (asked?.instanceId === request.instanceId) return { action: 'started', cluster: record.name, instanceId: request.instanceId, trouble: request.trouble, operationId: lock.operationId };
    return recordSkip(deps, record, request, `repair ${lock.operationId} of ${asked?.instanceId ?? 'another instance'} holds the cluster`, lock.operationId);
  }

  const members = await groupInstanceIds(deps, record.name, request.group);
  const troubled = new Set((await troubledInstances(deps, members)).keys());
  troubled.add(request.instanceId);
  const budget = repairBudget(members.length);
  if (troubled.size > budget) {
    return recordSkip(
      deps,
      record,
      request,
      `${troubled.size} of group ${request.group}'s ${members.length} instances are in trouble at once, more than the ${budget} (${MAX_UNHEALTHY_PERCENT}%) a repair may act on: the cause is wider than one machine`,
      'budget',
    );
  }
  try {
    const { operation } = await beginWorkflow(deps, record, { workflow: 'repair', body, owner: request.owner });
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
