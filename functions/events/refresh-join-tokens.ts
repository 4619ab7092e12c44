/**
 * refreshJoinTokens (an hourly schedule): a fresh bootstrap token for every cluster that has
 * a control plane, so that whatever launches a node — an Auto Scaling group replacing a lost
 * one, the cluster autoscaler, a scale from the console — finds a valid token in Parameter
 * Store at any time in the cluster's life. Tokens live `JOIN_TOKEN_TTL` (two hours), so
 * an hourly refresh always leaves one valid; an old token expires by itself, and a token
 * taken from one cluster is worthless to another (each API server knows only its own).
 *
 * Fire and forget: the command is sent (SSM Run Command on one control-plane instance) and
 * not waited for; a failure shows in the command's history and the next hour tries again.
 * Workflows that add nodes do not rely on it: they mint their own token first
 * (SendRefreshJoinToken). A cluster being created, deleted or already deleted is skipped.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { renderRefreshJoinTokenScript } from '../../shared/render';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, getAtt, runShellScript, allow, tableIndex } from '../../shared/aws/iam';
import type { ClusterRecord } from '../../shared/store';
import { sendScript } from '../commands/send-script';
import { loadRenderContext } from '../control-plane/render-context';
import { defaultDeps, type StepDeps } from '../lib/deps';
import { eachCluster } from './each-cluster';
import { scheduledAt } from './scheduled-at';
import { defineFunction } from '../lib/function';
import { kubectlRunner } from '../rolling/common';
import { worldNow } from '../../shared/clock';

const logger = new Logger({ serviceName: 'hopper-refresh-join-tokens' });

/** Statuses with a control plane that can mint tokens. */
const LIVE = new Set(['Ready', 'Updating', 'Upgrading', 'Degraded', 'Failed']);

export type Refresh = { cluster: string; commandId: string; instanceId: string } | { cluster: string; skipped: string };

async function refreshOne(deps: StepDeps, record: ClusterRecord, now: Date): Promise<Refresh> {
  if (!LIVE.has(record.status)) return { cluster: record.name, skipped: `the cluster is ${record.status}` };
  const instanceId = await kubectlRunner(deps, record.name);
  const ctx = await loadRenderContext(deps, record.spec);
  const hour = now.toISOString().slice(0, 13);
  const commandId = await sendScript(deps, {
    instanceIds: [instanceId],
    script: renderRefreshJoinTokenScript(ctx),
    // One per cluster and hour: a retried invocation finds the command it sent.
    comment: `hopper ${record.name} RefreshJoinToken ${hour}`,
    timeoutSeconds: 300,
  });
  return { cluster: record.name, commandId, instanceId };
}

/** Every cluster, one at a time (a failure for one is logged and does not stop the rest). */
export async function refreshJoinTokens(deps: StepDeps, now: Date = worldNow()): Promise<{ refreshed: Refresh[] }> {
  const refreshed = await eachCluster<Refresh>(deps, logger, 'join token refresh', (record) => refreshOne(deps, record, now), (record, message) => ({ cluster: record.name, skipped: message }));
  logger.info('join tokens refreshed', { refreshed });
  return { refreshed };
}

export const lambda = defineFunction({
  timeout: 120,
  events: [{ schedule: 'rate(1 hour)' }],
  permissions: [
    allow(['dynamodb:GetItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
});

export const handler = middy().handler((event: unknown) => {
  const deps = defaultDeps([ec2Client, ssmClient], 'refreshJoinTokens');
  // The hour is the schedule's, not this function's clock: one token per scheduled hour.
  return refreshJoinTokens(deps, scheduledAt(event, worldNow()));
});
