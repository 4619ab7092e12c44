/**
 * SendRefreshJoinData / SendReplacementJoin: a replacement control-plane instance joins
 * with `kubeadm join --control-plane`. The join data published at create has expired by
 * now (the certificate key lives two hours), so a surviving control-plane instance first
 * publishes a fresh token and certificate key to Parameter Store (phase `refresh`), then
 * the new instance joins (phase `join`). Each is sent once per operation and instance;
 * checkCommand waits for it.
 */
import * as z from 'zod';
import { renderControlPlaneJoinScript, renderRefreshJoinDataScript } from '../../shared/render';
import { sendOnce, type SentCommand } from '../control-plane/send-once';
import { loadRenderContext } from '../control-plane/render-context';
import { JOIN_TIMEOUT_SECONDS } from '../control-plane/seats';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { kubectlRunner } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';

export const sendReplacementJoinInput = stepEnvelope.extend({ instanceId: z.string().min(1), phase: z.enum(['refresh', 'join']) });

export async function sendReplacementJoin(input: z.infer<typeof sendReplacementJoinInput>, deps: StepDeps): Promise<SentCommand> {
  const { spec } = await loadCluster(deps, input.cluster);
  const ctx = await loadRenderContext(deps, spec);
  if (input.phase === 'refresh') {
    const runner = await kubectlRunner(deps, spec.name, input.instanceId);
    return sendOnce(deps, {
      cluster: spec.name,
      operationId: input.operationId,
      purpose: `RefreshJoinData-${input.instanceId}`,
      instanceId: runner,
      script: renderRefreshJoinDataScript(ctx),
      timeoutSeconds: 300,
    });
  }
  return sendOnce(deps, {
    cluster: spec.name,
    operationId: input.operationId,
    purpose: 'ReplacementJoin',
    instanceId: input.instanceId,
    script: renderControlPlaneJoinScript(ctx),
    timeoutSeconds: JOIN_TIMEOUT_SECONDS,
  });
}

export const step = defineStep({
  name: 'SendReplacementJoin',
  describeActivity: (i) => (i.phase === 'refresh' ? `fresh join data for ${i.instanceId}` : `${i.instanceId} joining the control plane`),
  clients: [ec2Client, ssmClient],
  input: sendReplacementJoinInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
  run: sendReplacementJoin,
});
export const { handler, run: runStep } = step;
