/**
 * scheduledUpgrades (a daily schedule): for every cluster whose `upgradePolicy.enabled`,
 * inside its maintenance window and with a newer version allowed by its channel, start a
 * `scheduled-upgrade` operation through the API's start path (take the lock and set the
 * desired version in one write, then StartExecution of the upgrade state machine).
 *
 * Never beside another operation: a cluster that is busy (or not Ready) at its window is
 * skipped, and the skip is RECORDED as an operation with status Skipped and the reason
 * (`GET /v1/clusters/{name}/operations` shows it) plus a cluster event. Outside the window or
 * with nothing newer nothing is recorded — that is every cluster on most days, and an
 * event per cluster per day would bury the ones that matter; the invocation's result and
 * log list every decision.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { ConflictError } from '../../shared/errors';
import { kubernetesVersionChangeProblems } from '../../shared/spec/immutable';
import { liveLock, type ClusterRecord } from '../../shared/store';
import type { ApiDeps } from '../api/deps';
import { beginWorkflow, operationId, recordSkippedOperation } from '../api/operations';
import { apiDeps } from '../api/deps';
import { currentWindowStart, upgradeTarget } from './maintenance-window';
import { allow, getAtt, ref, tableIndex, stopExecutions, stateMachineArn } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';
import { scheduledAt } from './scheduled-at';
import { eachCluster } from './each-cluster';
import { worldNow } from '../../shared/clock';

const logger = new Logger({ serviceName: 'hopper-scheduled-upgrades' });

export const SCHEDULED_UPGRADE = 'scheduled-upgrade';

export type Decision =
  | { cluster: string; action: 'started'; from: string; to: string; operationId: string }
  | { cluster: string; action: 'skipped'; reason: string; operationId: string }
  | { cluster: string; action: 'none'; reason: 'disabled' | 'outside-window' | 'up-to-date' };

/** Record a skipped run: an operation that ended Skipped (with why) and a cluster event. */
async function recordSkip(deps: ApiDeps, record: ClusterRecord, windowStart: Date, to: string, reason: string, code = 'ClusterBusy'): Promise<Decision> {
  const id = operationId(record.name, SCHEDULED_UPGRADE, [record.uid, windowStart.toISOString(), 'skipped']);
  await recordSkippedOperation(deps, record, { operationId: id, type: SCHEDULED_UPGRADE, owner: 'scheduler', input: { request: { kubernetesVersion: to }, window: windowStart.toISOString() }, code, reason });
  await deps.store.putEvent(record.name, { type: 'ScheduledUpgradeSkipped', message: `scheduled upgrade to ${to} skipped: ${reason}`, detail: { operationId: id, window: windowStart.toISOString() } });
  return { cluster: record.name, action: 'skipped', reason, operationId: id };
}

/**
 * Decide (and act) for one cluster at `now`: the time the schedule fired, which the window is
 * judged by. Whether another operation's lease still runs is the store's clock's question.
 */
export async function scheduleCluster(deps: ApiDeps, record: ClusterRecord, now: Date): Promise<Decision> {
  const spec = record.spec;
  const policy = spec.upgradePolicy;
  if (!policy?.enabled) return { cluster: record.name, action: 'none', reason: 'disabled' };
  const windowStart = currentWindowStart(policy.window, now);
  if (!windowStart) return { cluster: record.name, action: 'none', reason: 'outside-window' };
  const current = record.kubernetesVersion ?? spec.kubernetesVersion;
  const to = upgradeTarget(current, policy.channel);
  if (!to || kubernetesVersionChangeProblems(current, to).length > 0) return { cluster: record.name, action: 'none', reason: 'up-to-date' };

  const lock = liveLock(record, deps.now().getTime());
  if (lock && lock.type !== SCHEDULED_UPGRADE) {
    return recordSkip(deps, record, windowStart, to, `operation ${lock.operationId} (${lock.type}) holds the cluster`);
  }
  if (!lock && record.status !== 'Ready') return recordSkip(deps, record, windowStart, to, `the cluster is ${record.status}, not Ready`, 'ClusterNotReady');
  try {
    const { operation } = await beginWorkflow(deps, record, {
      workflow: 'upgrade',
      type: SCHEDULED_UPGRADE,
      body: { kubernetesVersion: to },
      owner: 'scheduler',
      // The desired version is part of the spec, as an API upgrade sets it.
      spec: { ...record.spec, kubernetesVersion: to },
    });
    await deps.store.putEvent(record.name, { type: 'ScheduledUpgradeStarted', message: `scheduled upgrade ${current} → ${to} started`, detail: { operationId: operation.id } });
    return { cluster: record.name, action: 'started', from: current, to, operationId: operation.id };
  } catch (err) {
    // Taken between our read and our write.
    if (err instanceof ConflictError) return recordSkip(deps, record, windowStart, to, err.message);
    throw err;
  }
}

/** Every live cluster, one at a time (a failure for one is logged and does not stop the rest). */
export async function scheduledUpgrades(deps: ApiDeps, now: Date = worldNow()): Promise<{ decisions: Decision[] }> {
  const decisions = await eachCluster<Decision>(deps, logger, 'scheduled upgrade', (record) => scheduleCluster(deps, record, now));
  logger.info('scheduled upgrades', { decisions });
  return { decisions };
}

export const lambda = defineFunction({
  // A cluster's maintenance window decides; the schedule only looks. NB: with rate(1 day) a
  // window shorter than a day is hit only when the daily run falls inside it.
  timeout: 120,
  environment: { UPGRADE_CLUSTER_STATE_MACHINE_ARN: ref('UpgradeClusterStateMachine') },
  events: [
    { schedule: 'rate(1 day)' },
  ],
  permissions: [
    allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
    allow(['states:StartExecution'], [stateMachineArn('upgrade-cluster')]),
    // A take-over stops the execution of the operation whose lease ran out.
    stopExecutions(),
  ],
});

export const handler = middy().handler((event: unknown) => {
  const deps = apiDeps();
  return scheduledUpgrades(deps, scheduledAt(event, worldNow()));
});
