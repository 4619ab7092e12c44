/**
 * SendRestorePhase: one phase of the restore (fetch and verify the backup; stop the control
 * plane and restore etcd's data; start it again — shared/render/restore.ts) on one
 * control-plane instance. Sent once per operation, phase and instance.
 */
import * as z from 'zod';
import { renderRestartKubeletScript, renderRestoreScript } from '../../shared/render';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';
import { recordedApiEndpoint, renderContext } from '../control-plane/render-context';
import { sendOnce, type SentCommand } from '../control-plane/send-once';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { restorePlanSchema } from './plan';

const PHASES = { fetch: 'FetchBackup', restore: 'RestoreMember', start: 'StartMember', kubelet: 'RestartKubelet', resume: 'ResumeMember' } as const;

export const sendRestorePhaseInput = stepEnvelope.extend({
  phase: z.enum(['fetch', 'restore', 'start', 'kubelet', 'resume']),
  instanceId: z.string().min(1),
  restore: restorePlanSchema,
});

/** Downloading a backup, or stopping the static pods and restoring: minutes; starting again waits up to three. */
export const RESTORE_PHASE_TIMEOUT_SECONDS = 600;

export async function sendRestorePhase(input: z.infer<typeof sendRestorePhaseInput>, deps: StepDeps): Promise<SentCommand> {
  const { spec } = await loadCluster(deps, input.cluster);
  const ctx = renderContext(spec, await recordedApiEndpoint(deps, spec.name), deps);
  const { restore } = input;
  return sendOnce(deps, {
    cluster: spec.name,
    operationId: input.operationId,
    purpose: PHASES[input.phase],
    instanceId: input.instanceId,
    script:
      input.phase === 'kubelet'
        ? renderRestartKubeletScript(ctx, restore.backup)
        : renderRestoreScript(ctx, { bucket: restore.bucket, key: restore.key, backup: restore.backup, sha256: restore.sha256, token: restore.token, members: restore.members }, input.phase),
    timeoutSeconds: RESTORE_PHASE_TIMEOUT_SECONDS,
  });
}

export const step = defineStep({
  name: 'SendRestorePhase',
  describeActivity: (i) => `${{ fetch: 'fetching and verifying the backup on', restore: 'restoring etcd on', start: 'starting the control plane again on', kubelet: 'restarting the kubelet on', resume: 'starting the control plane again (the restore failed) on' }[i.phase]} ${i.instanceId}`,
  clients: [ssmClient],
  input: sendRestorePhaseInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
  run: sendRestorePhase,
});
export const { handler } = step;
