/**
 * Operation records: one item per operation, changed by read-modify-write under the
 * record's own `version` (an operation is written by one workflow at a time, so
 * conflicts are rare; the version check makes a racing retry safe anyway).
 */
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { NotFoundError, VersionConflictError } from '../errors';
import { backoff, clip, compact, isConditionFailed, type StoreContext } from './context';
import { OPERATION_SK, operationGsiSk, operationPk, operationsGsiPk, stripKeys } from './keys';
import { GSI1 } from './table';
import {
  FINISHED_OPERATION_STATUSES,
  type OperationRecord,
  type OperationStatus,
  type OperationStep,
  type RecordedError,
  type StepStatus,
} from './types';

function operationItem(op: OperationRecord): Record<string, unknown> {
  return compact({
    pk: operationPk(op.id),
    sk: OPERATION_SK,
    gsi1pk: operationsGsiPk(op.cluster),
    gsi1sk: operationGsiSk(op.startedAt, op.id),
    entity: 'operation',
    ...op,
  });
}

/**
 * Write a new operation record unless one with this id exists (an idempotent retry of the
 * same request): returns the stored record either way.
 */
export async function putOperationOnce(ctx: StoreContext, op: OperationRecord): Promise<OperationRecord> {
  try {
    await ctx.ddb.send(
      new PutCommand({
        TableName: ctx.table,
        Item: operationItem(op),
        // First write wins: a retried beginOperation must not reset steps already recorded.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return op;
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    return requireOperation(ctx, op.id);
  }
}

export async function getOperation(ctx: StoreContext, id: string): Promise<OperationRecord | undefined> {
  const out = await ctx.ddb.send(
    new GetCommand({ TableName: ctx.table, Key: { pk: operationPk(id), sk: OPERATION_SK }, ConsistentRead: true }),
  );
  return out.Item ? stripKeys<OperationRecord>(out.Item) : undefined;
}

export async function requireOperation(ctx: StoreContext, id: string): Promise<OperationRecord> {
  const op = await getOperation(ctx, id);
  if (!op) throw new NotFoundError(`operation ${id} not found`);
  return op;
}

/** Operations of a cluster name (every incarnation), newest first. Reads gsi1: eventually consistent in AWS. */
export async function listOperations(
  ctx: StoreContext,
  cluster: string,
  options: { limit?: number } = {},
): Promise<OperationRecord[]> {
  const ops: OperationRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await ctx.ddb.send(
      new QueryCommand({
        TableName: ctx.table,
        IndexName: GSI1,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': operationsGsiPk(cluster) },
        ScanIndexForward: false,
        ExclusiveStartKey: startKey,
        Limit: options.limit,
      }),
    );
    for (const item of out.Items ?? []) ops.push(stripKeys<OperationRecord>(item));
    startKey = out.LastEvaluatedKey;
  } while (startKey && (options.limit === undefined || ops.length < options.limit));
  return options.limit === undefined ? ops : ops.slice(0, options.limit);
}

/**
 * Read the operation, let `fn` return the changed record (or `undefined` for "no change"),
 * write it back only if nobody wrote in between, retrying on conflict.
 */
export async function mutateOperation(
  ctx: StoreContext,
  id: string,
  fn: (op: OperationRecord) => OperationRecord | undefined,
  maxAttempts = 20,
): Promise<OperationRecord> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await requireOperation(ctx, id);
    const next = fn(structuredClone(current));
    if (next === undefined) return current;
    const written = { ...next, version: current.version + 1 };
    try {
      await ctx.ddb.send(
        new PutCommand({
          TableName: ctx.table,
          Item: operationItem(written),
          // Optimistic lock: replace the record only if it is still the version we read.
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': current.version },
        }),
      );
      return written;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      await backoff(attempt);
    }
  }
  throw new VersionConflictError(`operation ${id}: too many concurrent writers`);
}

const isFinished = (status: OperationStatus) => FINISHED_OPERATION_STATUSES.includes(status);

/**
 * How often, at most, a running stage's activity is rewritten while the same step runs with
 * other subjects. Parallel branches of one stage run the same poll on several things (a NAT
 * gateway per zone, control planes joining), each saying what it waits for; without a floor
 * every poll of each would rewrite the record in turn. Another step's activity (the stage
 * moved on) is written as soon as the shown one has been up ACTIVITY_SWITCH_SECONDS.
 */
export const ACTIVITY_REFRESH_SECONDS = 3;
/**
 * Another step's activity replaces the shown one once that has been up this long: the
 * parallel branches of a stage start within moments of each other, and each rewriting the one
 * operation record (a read and a conditional write, again on every conflict) was most of the
 * store's traffic at a create's start — for texts no watcher would have seen.
 */
export const ACTIVITY_SWITCH_SECONDS = 0.1;

type Activity = { step: string; text: string };

/** Whether a running stage's activity should become `next` now. */
function activityDue(stage: OperationStep | undefined, next: Activity | undefined, now: string): boolean {
  if (!next) return false;
  const current = stage?.status === 'Running' ? stage.activity : undefined;
  if (!current) return true;
  const shownFor = Date.parse(now) - Date.parse(current.since);
  if (current.step !== next.step) return shownFor >= ACTIVITY_SWITCH_SECONDS * 1000;
  if (current.text === next.text) return false;
  return shownFor >= ACTIVITY_REFRESH_SECONDS * 1000;
}

/**
 * Mark a step as running. Starting a running step again changes nothing; starting a step
 * that ended (a retried Lambda) runs it again and counts the attempt. `activity` says what
 * it does now (the workflow step it runs, in words): written when another step's (once the
 * shown one has been up ACTIVITY_SWITCH_SECONDS), at most every ACTIVITY_REFRESH_SECONDS when
 * the same step's with another subject.
 */
export function startStep(ctx: StoreContext, opId: string, step: string, activity?: Activity): Promise<OperationRecord> {
  const now = ctx.now().toISOString();
  return mutateOperation(ctx, opId, (op) => {
    if (isFinished(op.status)) return undefined;
    const existing = op.steps.find((s) => s.name === step);
    const newActivity = activityDue(existing, activity, now);
    if (existing?.status === 'Running' && op.currentStep === step && !newActivity) return undefined;
    if (existing) {
      if (existing.status !== 'Running') {
        existing.status = 'Running';
        existing.attempts += 1;
        delete existing.endedAt;
        delete existing.error;
      }
    } else {
      op.steps.push({ name: step, status: 'Running', startedAt: now, attempts: 1 });
    }
    if (activity && newActivity) op.steps.find((s) => s.name === step)!.activity = { ...activity, since: now };
    op.currentStep = step;
    if (op.status === 'Pending') op.status = 'Running';
    return op;
  });
}

/** Outcome of a step, as `endStep` records it. */
export interface StepOutcome {
  status: Exclude<StepStatus, 'Running'>;
  error?: { code: string; message: string };
  detail?: unknown;
}

/**
 * Record how a step ended. Idempotent: ending a step again with the same status leaves the
 * record exactly as it was (same `endedAt`). A step ended without being started is added.
 */
export function endStep(ctx: StoreContext, opId: string, step: string, outcome: StepOutcome): Promise<OperationRecord> {
  const now = ctx.now().toISOString();
  return mutateOperation(ctx, opId, (op) => {
    const existing = op.steps.find((s) => s.name === step);
    if (existing && existing.status === outcome.status) return undefined;
    const target: OperationStep = existing ?? { name: step, status: outcome.status, startedAt: now, attempts: 1 };
    if (!existing) op.steps.push(target);
    target.status = outcome.status;
    target.endedAt = now;
    if (outcome.error) target.error = recordedError(outcome.error, step);
    else delete target.error;
    if (outcome.detail !== undefined) target.detail = outcome.detail;
    return op;
  });
}

/**
 * What a stage is doing now, from a step that works for it without opening it (the image
 * bake's steps, in their own execution, for the create's or upgrade's Image stage). A stage
 * that is not running is left as it is.
 */
export function noteActivity(ctx: StoreContext, opId: string, step: string, activity: Activity): Promise<OperationRecord> {
  const now = ctx.now().toISOString();
  return mutateOperation(ctx, opId, (op) => {
    if (isFinished(op.status)) return undefined;
    const existing = op.steps.find((s) => s.name === step);
    if (!existing || existing.status !== 'Running' || !activityDue(existing, activity, now)) return undefined;
    existing.activity = { ...activity, since: now };
    return op;
  });
}

/**
 * Record that one part of a stage is done (a branch of its parallel work); the stage ends
 * Succeeded, at this moment, once every one of `parts` is. Concurrent branches each add
 * theirs (the write is conditional on the record's version, as every write here). A stage
 * that ended already (Failed, or closed by a later stage) is left as it is.
 */
export function endStagePart(ctx: StoreContext, opId: string, step: string, part: string, parts: readonly string[]): Promise<OperationRecord> {
  const now = ctx.now().toISOString();
  return mutateOperation(ctx, opId, (op) => {
    if (isFinished(op.status)) return undefined;
    const existing = op.steps.find((s) => s.name === step);
    if (!existing || existing.status !== 'Running') return undefined;
    const done = new Set(existing.partsDone ?? []);
    const complete = parts.every((p) => p === part || done.has(p));
    // A part recorded already ends nothing new, unless the stage was opened again since (a
    // retried step of a part that was done): then the last part to come closes it once more.
    if (done.has(part) && !complete) return undefined;
    done.add(part);
    existing.partsDone = [...done].sort();
    if (complete) {
      existing.status = 'Succeeded';
      existing.endedAt = now;
    }
    return op;
  });
}

/** Remember the Step Functions execution running the operation; the operation is then Running. */
export function setExecutionArn(ctx: StoreContext, opId: string, executionArn: string): Promise<OperationRecord> {
  return mutateOperation(ctx, opId, (op) => {
    if (op.executionArn === executionArn && op.status !== 'Pending') return undefined;
    op.executionArn = executionArn;
    if (op.status === 'Pending') op.status = 'Running';
    return op;
  });
}

/**
 * Finish the operation. The first finish wins: a finished operation is returned unchanged
 * (e.g. one marked Interrupted by a take-over stays Interrupted when its old execution ends).
 */
export function finishOperation(
  ctx: StoreContext,
  opId: string,
  result: { status: Exclude<OperationStatus, 'Pending' | 'Running'>; error?: { code: string; message: string; step?: string } },
): Promise<OperationRecord> {
  const now = ctx.now().toISOString();
  return mutateOperation(ctx, opId, (op) => {
    if (isFinished(op.status)) return undefined;
    op.status = result.status;
    op.endedAt = now;
    if (result.error) op.error = recordedError(result.error, result.error.step ?? op.currentStep);
    return op;
  });
}

function recordedError(error: { code: string; message: string }, step: string | undefined): RecordedError {
  return { code: error.code, message: clip(error.message), ...(step === undefined ? {} : { step }) };
}
