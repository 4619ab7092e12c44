/**
 * DeleteCertificateKey: once the control-plane instances have joined, the certificate key
 * (`join/certificate-key`: it decrypts the cluster's CA and service-account keys uploaded
 * by `kubeadm init --upload-certs`) leaves Parameter Store. kubeadm drops the uploaded
 * certificates two hours after their upload anyway; the key has no use after the joins and
 * should not sit where a read grant or a leak could reach it. A later control-plane join
 * (a rolling update's replacement) publishes a fresh one first, and this step removes it
 * again. Deleting what is already gone is fine.
 */
import { DeleteParameterCommand } from '@aws-sdk/client-ssm';
import { isNotFound } from '../../shared/aws/errors';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { allow, arn, table, unscoped } from '../../shared/aws/iam';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { clusterParameterPath } from '../delete/common';

export async function deleteCertificateKey(input: { cluster: string }, deps: StepDeps): Promise<{ deleted: boolean }> {
  const name = `${clusterParameterPath(deps, input.cluster)}join/certificate-key`;
  try {
    await deps.clients.ssm.send(new DeleteParameterCommand({ Name: name }));
    return { deleted: true };
  } catch (err) {
    // ParameterNotFound: deleted by a previous run, or never published (a single seat).
    if (isNotFound(err)) return { deleted: false };
    throw err;
  }
}

export const step = defineStep({
  name: 'DeleteCertificateKey',
  clients: [ssmClient],
  input: stepEnvelope,
  permissions: [
    table('GetItem', 'UpdateItem'),
    unscoped(
      "Hopper's parameters are scoped by their path (/hopper/<cluster>/…), which only Hopper writes; this is only the certificate key",
      allow(['ssm:DeleteParameter'], [arn('ssm', 'parameter/hopper/*/join/certificate-key')]),
    ),
  ],
  run: deleteCertificateKey,
});
export const { handler } = step;
