/**
 * SendRenewCertificates: `kubeadm certs renew all` on one control-plane instance, its static
 * pods restarted so they load the new certificates, and kubeadm's expiry table printed last
 * (RecordCertificates reads it). Sent once per operation and instance.
 */
import * as z from 'zod';
import { renderRenewCertificatesScript } from '../../shared/render';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';
import { renderContext } from '../control-plane/render-context';
import { sendOnce, type SentCommand } from '../control-plane/send-once';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';

export const sendRenewCertificatesInput = stepEnvelope.extend({
  instanceId: z.string().min(1),
  apiEndpoint: z.string().min(1),
});

/** Renewing takes seconds; the static pods coming back and the API server answering, a minute or two. */
export const RENEW_TIMEOUT_SECONDS = 600;

export async function sendRenewCertificates(input: z.infer<typeof sendRenewCertificatesInput>, deps: StepDeps): Promise<SentCommand> {
  const { spec } = await loadCluster(deps, input.cluster);
  return sendOnce(deps, {
    cluster: spec.name,
    operationId: input.operationId,
    purpose: 'RenewCertificates',
    instanceId: input.instanceId,
    script: renderRenewCertificatesScript(renderContext(spec, input.apiEndpoint, deps)),
    timeoutSeconds: RENEW_TIMEOUT_SECONDS,
  });
}

export const step = defineStep({
  name: 'SendRenewCertificates',
  describeActivity: (i) => `renewing the certificates of ${i.instanceId} (kubeadm certs renew all)`,
  clients: [ssmClient],
  input: sendRenewCertificatesInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
  run: sendRenewCertificates,
});
export const { handler } = step;
