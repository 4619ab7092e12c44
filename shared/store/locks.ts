/**
 * The operation lock. It lives ON the cluster item, so taking it and storing the new
 * desired spec is one conditional UpdateItem: there is no moment where the spec changed
 * but no operation owns the change (dynalite has no transactions, and none are needed).
 */
import type { ClusterSpec } from '../spec';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { executionNowMs } from '../clock';
import { ConflictError, NotFoundError } from '../errors';
import { compact, isConditionFailed, type StoreContext } from './context';
import { getCluster as readCluster, patchExpression } from './clusters';
import { putEvent } from './events';
import { liveSteps } from './fencing';
import { CLUSTER_SK, clusterPk, stripKeys } from './keys';
import { finishOperation, getOperation, putOperationOnce } from './operations';
import type { ClusterPatch, ClusterRecord, ClusterStatus, OperationLock, OperationRecord, OperationType } from './types';

/** What `beginOperation` (and `createCluster` with an operation) needs to know. */
export interface BeginOperationInput {
  operationId: string;
  type: OperationType;
  /** Who runs it: an execution name, a request id, a user. */
  owner: string;
  /** How long the lock holds without a renewal. */
  leaseSeconds: number;
  /** The operation's input (the request), kept on the operation record. */
  input?: unknown;
}

export interface BeginOperationResult {
  cluster: ClusterRecord;
  operation: OperationRecord;
  /** True when this operationId already held the lock (an idempotent retry). */
  retried: boolean;
  /** The expired lock this operation took over, if any. */
  tookOverFrom?: OperationLock;
}

/** A lock for `input`, acquired now. */
export function newLock(ctx: StoreContext, input: BeginOperationInput): OperationLock {
  const now = ctx.now();
  return {
    operationId: input.operationId,
    type: input.type,
    owner: input.owner,
    since: now.toISOString(),
    expiresAt: now.getTime() + input.leaseSeconds * 1000,
    leaseMs: input.leaseSeconds * 1000,
    inflight: {},
  };
}

/** A fresh operation record for a lock just taken. */
export function newOperation(
  cluster: ClusterRecord,
  input: BeginOperationInput,
  lock: OperationLock,
  tookOverFrom?: OperationLock,
): OperationRecord {
  return compact({
    id: input.operationId,
    cluster: cluster.name,
    clusterUid: cluster.uid,
    type: input.type,
    status: 'Pending',
    owner: input.owner,
    input: input.input,
    steps: [],
    startedAt: lock.since,
    tookOverFrom,
    version: 1,
  });
}

/** The lock an operation still holds on the cluster at `nowMs` (its lease not run out), if any. */
export function liveLock(record: Pick<ClusterRecord, 'lock'>, nowMs: number): OperationLock | undefined {
  return record.lock && record.lock.expiresAt > nowMs ? record.lock : undefined;
}

/** ConflictError naming the operation that holds the cluster. */
export function heldBy(name: string, lock: OperationLock, nowMs = executionNowMs(), operationEndedAt?: string): ConflictError {
  // An operation whose record says it ended, but whose lock is not closed yet (an
  // interruption is recorded before its lock is closed; a finisher may die in between):
  // as good as closing — ask again shortly.
  const ending = !lock.closing && operationEndedAt !== undefined;
  const running = ending ? ['the end of the workflow'] : liveSteps(lock, nowMs).map((s) => s.step);
  const why = ending
    ? `operation ${lock.operationId} (${lock.type}) has ended and is releasing it (at the latest ${new Date(lock.expiresAt).toISOString()})`
    : lock.closing && running.length > 0
    ? `operation ${lock.operationId} (${lock.type}) has ended but still holds it until ${running.length === 1 ? 'its step' : 'its steps'} ${running.join(', ')} ${running.length === 1 ? 'returns' : 'return'} (at the latest ${new Date(lock.expiresAt).toISOString()})`
    : `operation ${lock.operationId} (${lock.type}) holds it since ${lock.since}`;
  return new ConflictError(
    `cluster ${name} is busy: ${why}`,
    [
      {
        cluster: name,
        operationId: lock.operationId,
        type: lock.type,
        owner: lock.owner,
        since: lock.since,
        expiresAt: new Date(lock.expiresAt).toISOString(),
        // An ended operation waiting for its last steps: clients may ask again shortly (the CLI does).
        ...((lock.closing || ending) && running.length > 0 ? { endedAt: lock.closing ?? operationEndedAt, waitingFor: running } : {}),
      },
    ],
  );
}

/**
 * Take the cluster's lock for an operation and, in the same write, store the new desired
 * `spec` and/or `status`; then record the operation. Succeeds when there is no lock, when
 * the lock's lease expired (a take-over: the old operation is marked Interrupted and an
 * event says so), or when this operationId already holds it (a retry of the same request).
 * Otherwise ConflictError naming the holder; NotFoundError for an unknown or Deleted cluster.
 */
export async function beginOperation(
  ctx: StoreContext,
  name: string,
  input: BeginOperationInput & { spec?: ClusterSpec; status?: ClusterStatus },
): Promise<BeginOperationResult> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const lock = newLock(ctx, input);
    const patch: ClusterPatch = { spec: input.spec, status: input.status, lastOperationId: input.operationId };
    const { sets, names, values } = patchExpression(name, patch, lock.since);
    let old: Record<string, unknown>;
    try {
      const out = await ctx.ddb.send(
        new UpdateCommand({
          TableName: ctx.table,
          Key: { pk: clusterPk(name), sk: CLUSTER_SK },
          UpdateExpression: `SET #lock = :lock, ${sets.join(', ')}`,
          // Free, expired, or already ours (a retried request) — and a live cluster, so a
          // lock can never be taken on a Deleted incarnation or create an item by upsert.
          ConditionExpression:
            'attribute_exists(pk) AND #status <> :deleted AND ' +
            '(attribute_not_exists(#lock) OR #lock.expiresAt < :nowMs OR #lock.operationId = :operationId)',
          ExpressionAttributeNames: { ...names, '#lock': 'lock', '#status': 'status' },
          ExpressionAttributeValues: {
            ...values,
            ':lock': lock,
            ':deleted': 'Deleted',
            ':nowMs': Date.parse(lock.since),
            ':operationId': input.operationId,
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      old = out.Attributes ?? {};
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      await explainRefusal(ctx, name);
      continue; // The lock went away between our write and our read: try again.
    }
    const previous = stripKeys<ClusterRecord>(old);
    const cluster: ClusterRecord = {
      ...previous,
      // compact: a spec or status not given leaves the stored one, as the write did.
      ...compact(patch),
      lock,
      version: previous.version + 1,
      updatedAt: lock.since,
    };
    const retried = previous.lock?.operationId === input.operationId;
    const tookOverFrom = previous.lock && !retried ? previous.lock : undefined;
    if (retried && previous.lock) cluster.lock = await keepSince(ctx, name, lock, previous.lock.since);
    const operation = await putOperationOnce(ctx, newOperation(cluster, input, lock, tookOverFrom));
    if (tookOverFrom) await recordTakeover(ctx, name, tookOverFrom, input.operationId);
    return { cluster, operation, retried, ...(tookOverFrom ? { tookOverFrom } : {}) };
  }
  throw new ConflictError(`cluster ${name}: the lock changed hands repeatedly, try again`);
}

/**
 * A retry rewrote the whole lock (one expression cannot say "keep `since` if the lock is
 * ours"): put the original acquisition time back, still only if the lock is ours.
 */
async function keepSince(ctx: StoreContext, name: string, lock: OperationLock, since: string): Promise<OperationLock> {
  try {
    await ctx.ddb.send(
      new UpdateCommand({
        TableName: ctx.table,
        Key: { pk: clusterPk(name), sk: CLUSTER_SK },
        UpdateExpression: 'SET #lock.since = :since',
        ConditionExpression: '#lock.operationId = :operationId',
        ExpressionAttributeNames: { '#lock': 'lock' },
        ExpressionAttributeValues: { ':since': since, ':operationId': lock.operationId },
      }),
    );
    return { ...lock, since };
  } catch (error) {
    // Lost the lock in between (released by our own finisher): nothing to correct.
    if (!isConditionFailed(error)) throw error;
    return lock;
  }
}

/** After a refused lock write: throw what the caller should hear, or return to retry. */
async function explainRefusal(ctx: StoreContext, name: string): Promise<void> {
  const current = await readCluster(ctx, name);
  if (!current || current.status === 'Deleted') throw new NotFoundError(`cluster ${name} not found`);
  if (current.lock && current.lock.expiresAt >= ctx.now().getTime()) {
    const holder = current.lock.closing ? undefined : await getOperation(ctx, current.lock.operationId);
    throw heldBy(name, current.lock, ctx.now().getTime(), holder?.endedAt);
  }
}

/** The old operation lost its lease: say so on its record and in the cluster's events. */
async function recordTakeover(ctx: StoreContext, name: string, old: OperationLock, newOperationId: string): Promise<void> {
  const message = `lease of operation ${old.operationId} (${old.type}) expired; taken over by ${newOperationId}`;
  try {
    await finishOperation(ctx, old.operationId, { status: 'Interrupted', error: { code: 'LeaseExpired', message } });
  } catch (error) {
    // An old lock without an operation record (e.g. written by hand) has nothing to mark.
    if (!(error instanceof NotFoundError)) throw error;
  }
  await putEvent(ctx, name, { type: 'LockTakenOver', message, detail: { previous: old, operationId: newOperationId } });
}

/** What `releaseLock` did. */
export interface ReleaseResult {
  released: boolean;
  /** Why nothing was released: there was no lock, or it belongs to another operation. */
  reason?: 'not-held' | 'held-by-other';
  heldBy?: OperationLock;
}

/**
 * Release the lock if this operation holds it. Releasing an absent lock is a no-op
 * (idempotent); someone else's lock is left in place, and the result says whose it is.
 */
export async function releaseLock(ctx: StoreContext, name: string, operationId: string): Promise<ReleaseResult> {
  try {
    await ctx.ddb.send(
      new UpdateCommand({
        TableName: ctx.table,
        Key: { pk: clusterPk(name), sk: CLUSTER_SK },
        UpdateExpression: 'REMOVE #lock',
        // Only the holder may release: a late finisher must not free a lock taken over since.
        ConditionExpression: '#lock.operationId = :operationId',
        ExpressionAttributeNames: { '#lock': 'lock' },
        ExpressionAttributeValues: { ':operationId': operationId },
      }),
    );
    return { released: true };
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    const current = await readCluster(ctx, name);
    if (current?.lock) return { released: false, reason: 'held-by-other', heldBy: current.lock };
    return { released: false, reason: 'not-held' };
  }
}
