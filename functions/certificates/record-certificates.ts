/**
 * RecordCertificates: after every control plane renewed, when the certificates expire now —
 * the earliest of what kubeadm printed on each instance — on the cluster record
 * (`certificatesExpireAt`) and as a cluster event. An instance whose table cannot be read
 * fails the step: a renewal that cannot show its result is not called done.
 */
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import { parseCertificateExpiry } from '../../shared/render';
import { table } from '../../shared/aws/iam';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';

export const recordCertificatesInput = stepEnvelope.extend({
  renewed: z.array(z.object({ instanceId: z.string().min(1), check: z.object({ output: z.string() }) })).min(1),
});

export async function recordCertificates(input: z.infer<typeof recordCertificatesInput>, deps: StepDeps): Promise<{ certificatesExpireAt: string }> {
  const expiries = input.renewed.map((r) => {
    const at = parseCertificateExpiry(r.check.output);
    if (!at) throw new StepFailedError(`RenewCertificates on ${r.instanceId} printed no certificate expiry table (kubeadm certs check-expiration)`);
    return at;
  });
  const certificatesExpireAt = expiries.sort()[0];
  // A second run (a retry after a crash) finds the value written and records no second event.
  let changed = false;
  await deps.store.mutateCluster(input.cluster, (record) => {
    changed = record.certificatesExpireAt !== certificatesExpireAt;
    return changed ? { certificatesExpireAt } : undefined;
  });
  if (!changed) return { certificatesExpireAt };
  await deps.store.putEvent(input.cluster, {
    type: 'CertificatesRenewed',
    message: `control plane certificates renewed on ${input.renewed.length} instance(s); they expire at ${certificatesExpireAt}`,
    detail: { operationId: input.operationId, certificatesExpireAt, instances: input.renewed.map((r) => r.instanceId) },
  });
  return { certificatesExpireAt };
}

export const step = defineStep({
  name: 'RecordCertificates',
  describeActivity: () => 'recording when the certificates expire',
  input: recordCertificatesInput,
  permissions: [table('GetItem', 'PutItem', 'UpdateItem')],
  run: recordCertificates,
});
export const { handler } = step;
