/**
 * certificateRenewals (a daily schedule): asks the control planes of every live cluster when
 * their certificates expire (`kubeadm certs check-expiration` over SSM, answered within
 * seconds), records it (`certificatesExpireAt`), and gives a cluster with less than
 * `RENEW_WITHIN_DAYS` left a `renew-certificates` operation — long before kubeadm's one year
 * runs out and the API server stops being trusted. (Cluster API's `certificatesExpiryDays`
 * does the same by replacing machines; kops leaves it to upgrades.) How much time is left is
 * what kubeadm measures on the control plane itself, so the decision never rests on a
 * reading from months ago or on this function's clock.
 *
 * Never beside another operation: a cluster that is busy is skipped, and the skip is
 * recorded as an operation with status Skipped and the reason, plus a cluster event; the
 * next day tries again, with weeks of margin left.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { ConflictError, NotReadyError } from '../../shared/errors';
import { readCertificateExpiry, renderCertificateExpiryScript, type CertificateExpiry } from '../../shared/render';
import { liveLock, type ClusterRecord } from '../../shared/store';
import { clientsFor } from '../../shared/aws/clients';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { allow, anywhere, getAtt, ref, runShellScript, stopExecutions, tableIndex, stateMachineArn } from '../../shared/aws/iam';
import { checkCommand } from '../commands/check-command';
import { sendScript } from '../commands/send-script';
import { loadRenderContext } from '../control-plane/render-context';
import type { StepDeps } from '../lib/deps';
import { controlPlaneInstances, onlineInstances } from '../rolling/common';
import { apiDeps, type ApiDeps } from '../api/deps';
import { beginWorkflow, operationId, recordSkippedOperation } from '../api/operations';
import { RENEWABLE } from '../api/renew-certificates';
import { defineFunction } from '../lib/function';
import { scheduledAt } from './scheduled-at';
import { eachCluster } from './each-cluster';
import { worldNow } from '../../shared/clock';

const logger = new Logger({ serviceName: 'hopper-certificate-renewals' });

/** Renew when less than this is left (kubeadm's certificates live 365 days). */
export const RENEW_WITHIN_DAYS = 30;

export type RenewalDecision =
  | { cluster: string; action: 'started'; expiresAt: string; operationId: string }
  | { cluster: string; action: 'skipped'; expiresAt: string; reason: string; operationId: string }
  | { cluster: string; action: 'failed'; reason: string }
  | { cluster: string; action: 'none'; reason: 'not-due' | 'not-running'; expiresAt?: string };

async function recordSkip(deps: ApiDeps, record: ClusterRecord, expiresAt: string, day: string, reason: string): Promise<RenewalDecision> {
  const id = operationId(record.name, 'renew-certificates', [record.uid, day, 'skipped']);
  await recordSkippedOperation(deps, record, { operationId: id, type: 'renew-certificates', owner: 'scheduler', input: { request: { expiresAt }, day }, code: 'ClusterBusy', reason });
  await deps.store.putEvent(record.name, { type: 'CertificateRenewalSkipped', message: `certificate renewal skipped (they expire at ${expiresAt}): ${reason}`, detail: { operationId: id } });
  return { cluster: record.name, action: 'skipped', expiresAt, reason, operationId: id };
}

/** How long a control plane takes to answer the expiry question before the cluster is left for tomorrow. */
const ANSWER_WITHIN_MS = 30_000;

/**
 * When the cluster's certificates expire first and how long is left: kubeadm's table on every
 * control plane that answers (SSM online), the earliest of them — control planes of different
 * ages (one replaced, one re-joined) expire at different times.
 */
export async function readExpiry(cloud: StepDeps, record: ClusterRecord): Promise<CertificateExpiry> {
  const all = (await controlPlaneInstances(cloud, record.name)).map((i) => i.InstanceId!).filter(Boolean);
  const instanceIds = await onlineInstances(cloud, all);
  if (instanceIds.length === 0) throw new Error(`cluster ${record.name} has no control-plane instance online in Systems Manager to ask`);
  const ctx = await loadRenderContext(cloud, record.spec);
  const commandId = await sendScript(cloud, {
    instanceIds,
    script: renderCertificateExpiryScript(ctx),
    // Unique per run: sendScript would hand back an earlier run's command for the same comment.
    comment: `hopper ${record.name} ReadCertificateExpiry ${cloud.now().toISOString()}`,
    timeoutSeconds: 60,
  });
  const deadline = Date.now() + ANSWER_WITHIN_MS;
  const readings = await Promise.all(instanceIds.map((instanceId) => readOne(cloud, commandId, instanceId, deadline)));
  return readings.reduce((first, r) => (r.residualSeconds < first.residualSeconds ? r : first));
}

async function readOne(cloud: StepDeps, commandId: string, instanceId: string, deadline: number): Promise<CertificateExpiry> {
  for (;;) {
    try {
      const { output } = await checkCommand({ commandId, instanceId, step: 'ReadCertificateExpiry' }, cloud);
      const read = readCertificateExpiry(output);
      if (!read) throw new Error(`kubeadm on ${instanceId} printed no certificate expiry table`);
      return read;
    } catch (err) {
      if (!(err instanceof NotReadyError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

export async function renewalFor(deps: ApiDeps, cloud: StepDeps, record: ClusterRecord, now: Date): Promise<RenewalDecision> {
  const lock = liveLock(record, deps.now().getTime());
  if (!lock && !RENEWABLE.has(record.status)) return { cluster: record.name, action: 'none', reason: 'not-running' };
  const { expiresAt, residualSeconds } = await readExpiry(cloud, record);
  if (record.certificatesExpireAt !== expiresAt) await deps.store.mutateCluster(record.name, () => ({ certificatesExpireAt: expiresAt }));
  if (residualSeconds > RENEW_WITHIN_DAYS * 86_400) return { cluster: record.name, action: 'none', reason: 'not-due', expiresAt };
  const day = now.toISOString().slice(0, 10);
  if (lock && lock.type !== 'renew-certificates') return recordSkip(deps, record, expiresAt, day, `operation ${lock.operationId} (${lock.type}) holds the cluster`);
  try {
    const { operation } = await beginWorkflow(deps, record, { workflow: 'renew-certificates', body: { due: expiresAt }, owner: 'scheduler' });
    await deps.store.putEvent(record.name, { type: 'CertificateRenewalStarted', message: `the control plane certificates expire at ${expiresAt}: renewal started`, detail: { operationId: operation.id } });
    return { cluster: record.name, action: 'started', expiresAt, operationId: operation.id };
  } catch (err) {
    if (err instanceof ConflictError) return recordSkip(deps, record, expiresAt, day, err.message);
    throw err;
  }
}

/** Every cluster, one at a time (a failure for one is logged and does not stop the rest). */
export async function certificateRenewals(deps: ApiDeps, now: Date = worldNow()): Promise<{ decisions: RenewalDecision[] }> {
  const cloud: StepDeps = { clients: clientsFor([ec2Client, ssmClient], 'certificateRenewals'), store: deps.store, parameterPrefix: deps.parameterPrefix, parameterKey: deps.parameterKey, now: () => deps.now() };
  const decisions = await eachCluster<RenewalDecision>(deps, logger, 'certificate renewal check', (record) => renewalFor(deps, cloud, record, now), (record, reason) => ({ cluster: record.name, action: 'failed', reason }));
  logger.info('certificate renewals', { decisions });
  return { decisions };
}

export const lambda = defineFunction({
  timeout: 120,
  environment: { RENEW_CERTIFICATES_STATE_MACHINE_ARN: ref('RenewCertificatesStateMachine') },
  events: [{ schedule: 'rate(1 day)' }],
  permissions: [
    allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
    // The question, on one control plane of each cluster.
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ssm:GetCommandInvocation', 'ec2:DescribeInstances'),
    ...runShellScript(),
    allow(['states:StartExecution'], [stateMachineArn('renew-certificates')]),
    stopExecutions(),
  ],
});

export const handler = middy().handler((event: unknown) => {
  const deps = apiDeps([ec2Client, ssmClient]);
  // The day (a skip's identity) is the schedule's; how long is left, the cluster's own measure.
  return certificateRenewals(deps, scheduledAt(event, worldNow()));
});
