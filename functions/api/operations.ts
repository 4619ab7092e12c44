/**
 * Starting a workflow from an API request, exactly once.
 *
 * The operation id is derived from the request (cluster incarnation, type, canonical body,
 * the record's version when read), and doubles as the execution name. So:
 * - a retried request whose operation still holds the cluster gets the same 202 back, and
 *   StartExecution with the same name and input starts nothing new (AWS semantics);
 * - a different request while an operation holds the cluster gets a 409 naming it;
 * - if we crash between taking the lock and starting the execution, the retry finds its own
 *   lock and starts the execution then.
 */
import type { ClusterSpec } from '../../shared/spec';
import { createHash } from 'node:crypto';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { ClusterRecord, OperationLock, OperationRecord, ClusterStatus } from '../../shared/store';
import type { ApiDeps, WorkflowName } from './deps';
import { leaseSeconds, type StateMachineName } from '../../shared/workflow-limits';

/** The state machine each workflow runs. */
const MACHINE: Record<WorkflowName, StateMachineName> = {
  create: 'create-cluster',
  delete: 'delete-cluster',
  update: 'update-cluster',
  'rolling-update': 'rolling-update',
  upgrade: 'upgrade-cluster',
  validate: 'validate-cluster',
  scale: 'update-cluster',
  'renew-certificates': 'renew-certificates',
  repair: 'repair-node',
  restore: 'restore-cluster',
};

/** How long an operation may hold the cluster before another may take it over: its workflow's timeout and a margin. */
export const LEASE_SECONDS = Object.fromEntries(Object.entries(MACHINE).map(([w, m]) => [w, leaseSeconds(m)])) as Record<WorkflowName, number>;

/** JSON with sorted keys, so equal requests hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** A hash of what the request asks for. */
export function requestHash(type: string, body: unknown): string {
  return createHash('sha256').update(`${type}\n${canonicalJson(body)}`).digest('hex').slice(0, 16);
}

/** A deterministic operation id, valid as a Step Functions execution name (≤ 80 chars). */
export function operationId(cluster: string, type: string, parts: string[]): string {
  const digest = createHash('sha256').update([cluster, type, ...parts].join('\n')).digest('hex').slice(0, 20);
  return `${cluster}-${type}-${digest}`.slice(0, 80);
}

/** The execution's input: steps read everything else from the store. */
export function executionInput(cluster: string, opId: string): string {
  return JSON.stringify({ cluster, operationId: opId });
}

/** Start (or confirm) the execution behind an operation and record its ARN. */
export async function startExecution(deps: ApiDeps, workflow: WorkflowName, op: OperationRecord): Promise<OperationRecord> {
  const out = await deps.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: deps.stateMachineArn(workflow),
      name: op.id,
      input: executionInput(op.cluster, op.id),
    }),
  );
  if (!out.executionArn) return op;
  return deps.store.setExecutionArn(op.id, out.executionArn);
}

/**
 * Take the cluster's lock for a new operation (storing `spec`/`status` in the same write)
 * and start its workflow; or, for a retry of the request that holds the lock, return that
 * operation. ConflictError (409) when another operation holds the cluster.
 */
export async function beginWorkflow(
  deps: ApiDeps,
  cluster: ClusterRecord,
  request: { workflow: WorkflowName; type?: string; body: unknown; owner: string; spec?: ClusterSpec; status?: ClusterStatus },
): Promise<{ cluster: ClusterRecord; operation: OperationRecord }> {
  const type = request.type ?? request.workflow;
  const hash = requestHash(type, request.body);
  if (cluster.lock && cluster.lock.type === type) {
    const held = await deps.store.getOperation(cluster.lock.operationId);
    if (held && (held.input as { requestHash?: string } | undefined)?.requestHash === hash) {
      return { cluster, operation: await startExecution(deps, request.workflow, held) };
    }
  }
  const opId = operationId(cluster.name, type, [cluster.uid, String(cluster.version), hash]);
  const begun = await deps.store.beginOperation(cluster.name, {
    operationId: opId,
    type,
    owner: request.owner,
    leaseSeconds: LEASE_SECONDS[request.workflow],
    input: { requestHash: hash, request: request.body ?? null },
    spec: request.spec,
    status: request.status,
  });
  if (begun.tookOverFrom) await stopSuperseded(deps, begun.tookOverFrom);
  const operation = await startOrRelease(deps, request.workflow, begun.operation, cluster.name);
  return { cluster: begun.cluster, operation };
}

/**
 * A take-over stops the old operation's execution (if it still runs): whatever it would do
 * next, its steps would refuse anyway (fencing), but a stopped execution says so at once and
 * holds no Lambda or poll any longer.
 */
async function stopSuperseded(deps: ApiDeps, old: OperationLock): Promise<void> {
  const op = await deps.store.getOperation(old.operationId);
  if (!op?.executionArn) return;
  try {
    await deps.sfn.send(
      new StopExecutionCommand({ executionArn: op.executionArn, error: 'Hopper.LeaseExpired', cause: `the lease of operation ${old.operationId} expired and another operation took the cluster over` }),
    );
  } catch (err) {
    // Already gone (or never started): there is nothing left to stop.
    if ((err as Error).name !== 'ExecutionDoesNotExist') throw err;
  }
}

/**
 * Records an operation that did not run — a scheduler's or an event's request the cluster could
 * not take now — as Skipped with why, under an id the caller derives from what was asked (so a
 * repeat finds it rather than adding another). `fresh`: recorded by this call.
 */
export async function recordSkippedOperation(
  deps: Pick<ApiDeps, 'store'>,
  record: ClusterRecord,
  skip: { operationId: string; type: string; owner: string; input: unknown; code: string; reason: string },
): Promise<{ fresh: boolean }> {
  const op = await deps.store.recordOperation(record, { operationId: skip.operationId, type: skip.type, owner: skip.owner, leaseSeconds: 0, input: skip.input });
  if (op.status !== 'Pending') return { fresh: false };
  await deps.store.finishOperation(skip.operationId, { status: 'Skipped', error: { code: skip.code, message: skip.reason } });
  return { fresh: true };
}

/** Start the execution; if AWS refuses, give the cluster back and record why. */
export async function startOrRelease(deps: ApiDeps, workflow: WorkflowName, op: OperationRecord, cluster: string): Promise<OperationRecord> {
  try {
    return await startExecution(deps, workflow, op);
  } catch (err) {
    await deps.store.finishOperation(op.id, {
      status: 'Failed',
      error: { code: (err as Error).name ?? 'StartExecutionFailed', message: `The workflow could not start: ${(err as Error).message}` },
    });
    await deps.store.releaseLock(cluster, op.id);
    throw err;
  }
}
