/**
 * SendControlPlaneUpgrade: the in-place upgrade of one control-plane instance, the kubeadm
 * way — new kubeadm, `kubeadm upgrade apply vX --yes` on the first instance (the API server
 * moves first, so no kubelet is ever newer than it), `kubeadm upgrade node` on the others,
 * then kubelet and kubectl. The state machine sends them one at a time, first instance
 * first; checkCommand waits for each. Sent once per operation, instance and part.
 *
 * `part`: `kubeadm` (the API server and the other control-plane components) on every
 * instance first, then `kubelet` on every instance: a kubelet upgraded right after its own
 * instance's `upgrade apply` would be newer than the API servers not yet upgraded, which the
 * version-skew policy forbids. `full` does both on one instance (a single control plane).
 */
import * as z from 'zod';
import { renderUpgradeScripts } from '../../shared/render';
import { sendOnce, type SentCommand } from '../control-plane/send-once';
import { renderContext } from '../control-plane/render-context';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';

export const sendControlPlaneUpgradeInput = stepEnvelope.extend({
  instanceId: z.string().min(1),
  first: z.boolean(),
  from: z.string().min(1),
  to: z.string().min(1),
  apiEndpoint: z.string().min(1),
  part: z.enum(['kubeadm', 'kubelet', 'full']).default('full'),
});

/** kubeadm upgrade pulls images and restarts static pods: minutes. */
export const UPGRADE_TIMEOUT_SECONDS = 1200;

export async function sendControlPlaneUpgrade(input: z.infer<typeof sendControlPlaneUpgradeInput>, deps: StepDeps): Promise<SentCommand> {
  const { spec } = await loadCluster(deps, input.cluster);
  // The scripts are rendered from the running version: they refuse a skip or a downgrade.
  const ctx = renderContext({ ...spec, kubernetesVersion: input.from }, input.apiEndpoint, deps);
  const scripts = renderUpgradeScripts(ctx, { first: input.first, version: input.to });
  const purpose = input.part === 'kubelet' ? 'UpgradeKubelet' : input.first ? 'UpgradeApply' : 'UpgradeNode';
  return sendOnce(deps, {
    cluster: spec.name,
    operationId: input.operationId,
    purpose,
    instanceId: input.instanceId,
    script: scripts[input.part],
    timeoutSeconds: UPGRADE_TIMEOUT_SECONDS,
  });
}

export const step = defineStep({
  name: 'SendControlPlaneUpgrade',
  clients: [ssmClient],
  input: sendControlPlaneUpgradeInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
  run: sendControlPlaneUpgrade,
});
export const { handler, run: runStep } = step;
