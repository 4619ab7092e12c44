/**
 * Fencing: a workflow step with side effects runs only while its operation holds the
 * cluster, and the cluster stays held until every such step of the operation has returned.
 *
 * Why: when a workflow fails, Step Functions takes the Catch at once, but a Lambda already
 * running in another branch finishes its side effect afterwards (AWS does not kill it). If
 * the lock were released at the Catch, a `delete` started at once would discover the
 * cluster's resources while that Lambda is still creating one — and leave it behind.
 *
 * How (all single-item conditional writes on the cluster item, like the lock itself):
 * - `enterStep` registers the invocation in `lock.inflight` (with the latest moment its
 *   Lambda can still be alive) and renews the lease — only if the operation still holds the
 *   lock and has not ended (`lock.closing`). Otherwise SupersededError: the step changes
 *   nothing. The operation id is the fencing token: it is derived from the cluster's
 *   version when the lock was taken, so every acquisition has its own.
 * - `exitStep` removes the entry; the last step out of a closing lock releases it.
 * - `closeLock` (the workflow's end, success, failure or interruption) marks the lock
 *   closing, so no new step enters, and releases it when nothing is in flight; otherwise the
 *   lease is cut to the latest in-flight deadline, so even a Lambda that died without
 *   exiting holds the cluster no longer than it could have lived.
 */
import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SupersededError } from '../errors';
import { isConditionFailed, type StoreContext } from './context';
import { getCluster } from './clusters';
import { CLUSTER_SK, clusterPk, stripKeys } from './keys';
import type { ClusterRecord, OperationLock } from './types';
import { readClusterItem } from './read-record';

/** An invocation registered in the lock; `exitStep` takes it back. */
export interface StepTicket {
  key: string;
  until: number;
  /**
   * The cluster as the entry left it (the update's ALL_NEW): the step's first read of its
   * cluster, one GetItem fewer per step (functions/lib/cluster.ts `loadCluster`).
   */
  record?: ClusterRecord;
}

/** What `closeLock` did. */
export interface CloseResult {
  released: boolean;
  /** Why nothing was released: there was no lock, or it belongs to another operation. */
  reason?: 'not-held' | 'held-by-other';
  heldBy?: OperationLock;
  /** Steps still running: the last of them releases the lock when it returns. */
  waitingFor?: string[];
}

/** The step names still in flight in a lock, and their deadlines (epoch ms), live ones only. */
export function liveSteps(lock: OperationLock, nowMs: number): { step: string; until: number }[] {
  return Object.entries(lock.inflight ?? {})
    .filter(([, until]) => until > nowMs)
    .map(([ticket, until]) => ({ step: ticket.split('#')[0], until }));
}

/**
 * One conditional update of the lock while `operationId` holds it (and `also`, if given).
 * `held: false` when the condition failed; `lock` and `item`: the lock and the stored item
 * after the update, when asked (`returnItem`).
 */
async function updateHeldLock(
  ctx: StoreContext,
  name: string,
  operationId: string,
  update: { expression: string; also?: string; names?: Record<string, string>; values?: Record<string, unknown>; returnItem?: boolean },
): Promise<{ held: boolean; lock?: OperationLock; item?: Record<string, unknown> }> {
  try {
    const out = await ctx.ddb.send(
      new UpdateCommand({
        TableName: ctx.table,
        Key: { pk: clusterPk(name), sk: CLUSTER_SK },
        UpdateExpression: update.expression,
        ConditionExpression: `#lock.operationId = :operationId${update.also ? ` AND ${update.also}` : ''}`,
        ExpressionAttributeNames: { '#lock': 'lock', ...update.names },
        ExpressionAttributeValues: { ':operationId': operationId, ...update.values },
        ...(update.returnItem ? { ReturnValues: 'ALL_NEW' as const } : {}),
      }),
    );
    return out.Attributes ? { held: true, lock: stripKeys<ClusterRecord>(out.Attributes).lock, item: out.Attributes } : { held: true };
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    return { held: false };
  }
}

/**
 * Register a step invocation of `operationId` and renew the lease; SupersededError when
 * the operation no longer holds the cluster or has ended. `maxSeconds`: how long the
 * invocation can live at most (its Lambda's remaining time).
 */
export async function enterStep(ctx: StoreContext, name: string, operationId: string, step: string, maxSeconds: number): Promise<StepTicket> {
  const nowMs = ctx.now().getTime();
  const ticket: StepTicket = { key: `${step}#${randomUUID().slice(0, 8)}`, until: nowMs + Math.ceil(maxSeconds * 1000) };
  const entered = await updateHeldLock(ctx, name, operationId, {
    expression: 'SET #lock.#inflight.#ticket = :until, #lock.expiresAt = :nowMs + #lock.leaseMs, #lock.renewedAt = :now',
    also: 'attribute_not_exists(#lock.closing) AND attribute_exists(#lock.#inflight)',
    names: { '#inflight': 'inflight', '#ticket': ticket.key },
    values: { ':until': ticket.until, ':nowMs': nowMs, ':now': new Date(nowMs).toISOString() },
    returnItem: true,
  });
  if (!entered.held) throw superseded(name, operationId, step, await getCluster(ctx, name));
  // Read as a record only here (exits and closes need the lock alone); a record this code
  // cannot read is left to the step's own read, which says why.
  const read = entered.item ? readClusterItem(entered.item) : undefined;
  return read && 'record' in read ? { ...ticket, record: read.record } : ticket;
}

function superseded(name: string, operationId: string, step: string, current: ClusterRecord | undefined): SupersededError {
  const lock = current?.status === 'Deleted' ? undefined : current?.lock;
  const why = !current || current.status === 'Deleted'
    ? `cluster ${name} no longer exists`
    : !lock
      ? `operation ${operationId} has ended and no longer holds cluster ${name}`
      : lock.operationId !== operationId
        ? `operation ${operationId} was superseded: ${lock.operationId} (${lock.type}) holds cluster ${name}`
        : lock.closing
          ? `operation ${operationId} has ended (since ${lock.closing}); no new step of it runs`
          : `operation ${operationId} holds cluster ${name} with a lock from before fencing; retry the operation`;
  return new SupersededError(`${step} refused to run: ${why}. It changed nothing.`);
}

/** Take back a ticket; the last step out of a closing lock releases it. */
export async function exitStep(ctx: StoreContext, name: string, operationId: string, ticket: StepTicket): Promise<void> {
  // Not held any more (its deadline passed and someone took it over): nothing of ours to take back.
  const { lock } = await updateHeldLock(ctx, name, operationId, {
    expression: 'REMOVE #lock.#inflight.#ticket',
    names: { '#inflight': 'inflight', '#ticket': ticket.key },
    returnItem: true,
  });
  if (lock?.closing && liveSteps(lock, ctx.now().getTime()).length === 0) await removeClosingLock(ctx, name, operationId);
}

/**
 * The operation's workflow has ended (its finish or failure step, or its execution stopped):
 * no new step of it may start, and the cluster is free once the steps still running return.
 */
export async function closeLock(ctx: StoreContext, name: string, operationId: string): Promise<CloseResult> {
  const nowMs = ctx.now().getTime();
  // A second close keeps the first one's time.
  const closed = await updateHeldLock(ctx, name, operationId, {
    expression: 'SET #lock.closing = if_not_exists(#lock.closing, :now)',
    values: { ':now': new Date(nowMs).toISOString() },
    returnItem: true,
  });
  if (!closed.held) {
    const current = await getCluster(ctx, name);
    return current?.lock ? { released: false, reason: 'held-by-other', heldBy: current.lock } : { released: false, reason: 'not-held' };
  }
  const live = closed.lock ? liveSteps(closed.lock, nowMs) : [];
  if (live.length === 0) return { released: await removeClosingLock(ctx, name, operationId) };
  // Nothing new can enter now: the latest deadline in flight is the latest the lock is needed.
  const cut = await updateHeldLock(ctx, name, operationId, { expression: 'SET #lock.expiresAt = :until', values: { ':until': Math.max(...live.map((s) => s.until)) } });
  // Not held: the last step returned meanwhile and released it.
  return cut.held ? { released: false, waitingFor: live.map((s) => s.step) } : { released: false, reason: 'not-held' };
}

/** Remove a closing lock of `operationId`; false when it is not (or no longer) there (another step's exit released it). */
async function removeClosingLock(ctx: StoreContext, name: string, operationId: string): Promise<boolean> {
  return (await updateHeldLock(ctx, name, operationId, { expression: 'REMOVE #lock', also: 'attribute_exists(#lock.closing)' })).held;
}
