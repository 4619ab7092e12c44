/**
 * InstallPackages: run the rendered bake script on the builder over SSM (containerd,
 * pinned kubeadm/kubelet/kubectl, kernel settings, cleanup). Sent once: a retry finds the
 * command already sent to the builder and returns it.
 */
import * as z from 'zod';
import { renderBakeScript } from '../../shared/render';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { sendScript } from '../commands/send-script';
import { architectureSchema, bakeRenderContext } from './common';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { allow, anywhere, arn, shellDocument, table } from '../../shared/aws/iam';

export const installPackagesInput = stepEnvelope.extend({
  instanceId: z.string(),
  kubernetesVersion: z.string(),
  architecture: architectureSchema,
  region: z.string(),
});

export interface InstallPackagesOutput {
  commandId: string;
  instanceId: string;
}

/** The bake's deadline on the instance: the install takes about 2 minutes, apt mirrors can be slow. */
export const BAKE_TIMEOUT_SECONDS = 1800;

export async function installPackages(input: z.infer<typeof installPackagesInput>, deps: StepDeps): Promise<InstallPackagesOutput> {
  const { spec } = await loadCluster(deps, input.cluster);
  const script = renderBakeScript(bakeRenderContext(spec, input));
  const commandId = await sendScript(deps, {
    instanceIds: [input.instanceId],
    script,
    comment: `hopper ${spec.name} InstallPackages ${input.kubernetesVersion} ${input.architecture}`,
    timeoutSeconds: BAKE_TIMEOUT_SECONDS,
  });
  return { commandId, instanceId: input.instanceId };
}

export const step = defineStep({
  name: 'InstallPackages',
  describeActivity: (i) => `installing Kubernetes ${i.kubernetesVersion} packages on builder ${i.instanceId}`,
  clients: [ssmClient],
  input: installPackagesInput,
  permissions: [
    table('GetItem'),
    anywhere('ssm:ListCommands'),
    shellDocument(),
    // Only instances Hopper tagged as image builders.
    allow(['ssm:SendCommand'], [arn('ec2', 'instance/*')], { StringEquals: { 'ssm:resourceTag/hopper:role': 'image-builder' } }),
  ],
  run: installPackages,
});
export const { handler, run: runStep } = step;
