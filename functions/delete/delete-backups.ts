/**
 * DeleteBackups: a cluster's etcd backups outlive it unless the delete asked otherwise
 * (`DELETE /v1/clusters/{name}?deleteBackups=true`, `hopper delete cluster --delete-backups`):
 * a cluster deleted by mistake can be looked into, and its data recovered by hand, for as long
 * as the retention keeps them. Asked, every object under the cluster's prefix goes, every
 * version of it (the bucket is versioned: a plain delete would only hide them). A rerun finds
 * what is left, if anything.
 */
import { DeleteObjectsCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { s3Client } from '../../shared/aws/clients/s3';
import { onBackupObjects, onBackupsBucket, table } from '../../shared/aws/iam';
import { backupPrefix, backupsBucket } from '../backups/policy';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';

/** What the delete request asked for (the operation's request body). */
export const deleteRequestSchema = z.object({ deleteBackups: z.boolean().optional() }).loose();

export async function deleteBackups(input: { cluster: string; operationId: string }, deps: StepDeps): Promise<{ asked: boolean; deleted: number }> {
  const op = await deps.store.getOperation(input.operationId);
  const request = deleteRequestSchema.safeParse((op?.input as { request?: unknown } | undefined)?.request ?? {});
  if (!request.success || request.data.deleteBackups !== true) return { asked: false, deleted: 0 };
  const bucket = backupsBucket();
  let deleted = 0;
  for (;;) {
    // Each round lists from the start: what the last one deleted is gone from the listing.
    const page = await deps.clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: backupPrefix(input.cluster), MaxKeys: 1000 }));
    const versions = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].filter((v) => v.Key).map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
    if (versions.length === 0) return { asked: true, deleted };
    const out = await deps.clients.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: versions, Quiet: true } }));
    if (out.Errors?.length) throw new Error(`could not delete ${out.Errors.length} backup version(s) of ${input.cluster}: ${out.Errors[0].Code} ${out.Errors[0].Message ?? ''}`.trim());
    deleted += versions.length;
  }
}

export const step = defineStep({
  name: 'DeleteBackups',
  describeActivity: () => "deleting the cluster's etcd backups (asked for)",
  clients: [s3Client],
  input: stepEnvelope.extend({}),
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    onBackupsBucket(['s3:ListBucketVersions', 's3:ListBucket']),
    onBackupObjects(['s3:DeleteObject', 's3:DeleteObjectVersion']),
  ],
  run: (input: { cluster: string; operationId: string }, deps: StepDeps) => deleteBackups(input, deps),
});
export const { handler } = step;
