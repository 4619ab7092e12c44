/**
 * SendRefreshJoinToken: a fresh bootstrap token in Parameter Store (`join/token`) before
 * nodes join. Tokens live `JOIN_TOKEN_TTL` only (hours, not the day kubeadm defaults to),
 * so the one minted at create is long gone when a group grows a week later: a workflow that
 * adds nodes (update, scale, rolling update) mints one first, on a control-plane instance,
 * and the scheduled refresh keeps one valid for the launches no workflow makes (an Auto
 * Scaling group replacing a lost node). Sent once per operation and `round` (a rolling
 * update mints one per batch: a long rollout outlives a token); checkCommand waits for it.
 */
import { renderRefreshJoinTokenScript } from '../../shared/render';
import { sendOnce, type SentCommand } from '../control-plane/send-once';
import { loadRenderContext } from '../control-plane/render-context';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import * as z from 'zod';
import { defineStep, stepEnvelope } from '../lib/step';
import { kubectlRunner } from '../rolling/common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';

export const sendRefreshJoinTokenInput = stepEnvelope.extend({
  /** Which token of the operation this is (a rolling update's batch number); one per operation when absent. */
  round: z.number().int().min(0).optional(),
});

export async function sendRefreshJoinToken(input: z.infer<typeof sendRefreshJoinTokenInput>, deps: StepDeps): Promise<SentCommand> {
  const { spec } = await loadCluster(deps, input.cluster);
  const ctx = await loadRenderContext(deps, spec);
  return sendOnce(deps, {
    cluster: spec.name,
    operationId: input.operationId,
    purpose: input.round === undefined ? 'RefreshJoinToken' : `RefreshJoinToken-${input.round}`,
    instanceId: await kubectlRunner(deps, spec.name),
    script: renderRefreshJoinTokenScript(ctx),
    timeoutSeconds: 300,
  });
}

export const step = defineStep({
  name: 'SendRefreshJoinToken',
  clients: [ec2Client, ssmClient],
  input: sendRefreshJoinTokenInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
  run: sendRefreshJoinToken,
});
export const { handler, run: runStep } = step;
