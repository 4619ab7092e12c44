/**
 * ResumeMembers: on the failure path of a restore that had begun stopping control planes,
 * every member gets its static pods back (shared/render/restore.ts `resume`), so that no
 * control plane stays stopped: each starts on the data it has, and whichever etcd lineage has
 * a quorum serves. Sent once to all members; not waited for (the failure is recorded either
 * way, and its output is in the command's history).
 */
import * as z from 'zod';
import { renderRestoreScript } from '../../shared/render';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';
import { sendScript } from '../commands/send-script';
import { recordedApiEndpoint, renderContext } from '../control-plane/render-context';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { restorePlanSchema } from './plan';

export const resumeMembersInput = stepEnvelope.extend({ restore: restorePlanSchema });

export async function resumeMembers(input: z.infer<typeof resumeMembersInput>, deps: StepDeps): Promise<{ commandId: string }> {
  const { spec } = await loadCluster(deps, input.cluster);
  const ctx = renderContext(spec, await recordedApiEndpoint(deps, spec.name), deps);
  const { restore } = input;
  const commandId = await sendScript(deps, {
    instanceIds: restore.members.map((m) => m.instanceId),
    script: renderRestoreScript(ctx, { bucket: restore.bucket, key: restore.key, backup: restore.backup, sha256: restore.sha256, token: restore.token, members: restore.members }, 'resume'),
    comment: `hopper ${spec.name} ResumeMembers ${input.operationId}`,
    timeoutSeconds: 300,
  });
  return { commandId };
}

export const step = defineStep({
  name: 'ResumeMembers',
  describeActivity: () => 'starting the control planes again after the failed restore',
  clients: [ssmClient],
  input: resumeMembersInput,
  permissions: [
    table('GetItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
  run: resumeMembers,
});
export const { handler } = step;
