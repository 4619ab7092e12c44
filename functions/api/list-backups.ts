/**
 * `GET /v1/clusters/{name}/backups`: the cluster's etcd backups, newest first — when each was
 * taken, the revision it holds, its size and SHA-256 — and the age of the newest, with whether
 * it is overdue (older than twice the backup interval).
 */
import type * as z from 'zod';
import { s3Client } from '../../shared/aws/clients/s3';
import { NotFoundError } from '../../shared/errors';
import { allow, getAtt, onBackupObjects, onBackupsBucket, tableIndex } from '../../shared/aws/iam';
import { listBackups } from '../backups/list';
import { backupAge, backupPolicyOf, backupsBucket } from '../backups/policy';
import { defineFunction } from '../lib/function';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterParams } from './params';
import { worldNow } from '../../shared/clock';

export async function listClusterBackups(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps([s3Client])): Promise<ApiResponse> {
  const record = await deps.store.getCluster(req.params.name);
  if (!record || record.status === 'Deleted') throw new NotFoundError(`cluster ${req.params.name} not found`);
  if (!deps.s3) throw new Error('the backups route needs the s3 client');
  const backups = (await listBackups(deps.s3, backupsBucket(), record.name, { details: true })).filter((b) => !b.clusterUid || b.clusterUid === record.uid);
  const policy = backupPolicyOf(record.spec);
  const age = backupAge(policy, backups[0] ? new Date(backups[0].takenAt) : undefined, record.createdAt, worldNow());
  return {
    status: 200,
    body: {
      intervalMinutes: policy.intervalMinutes,
      lastBackupAgeSeconds: age.ageSeconds ?? null,
      overdue: age.overdue,
      backups: backups.map(({ key: _key, clusterUid: _uid, ...view }) => view),
    },
  };
}

export const lambda = defineFunction({
  events: [{ httpApi: { method: 'GET', path: '/v1/clusters/{name}/backups', authorizer: { type: 'aws_iam' } } }],
  permissions: [
    allow(['dynamodb:GetItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
    onBackupsBucket(['s3:ListBucket']),
    onBackupObjects(['s3:GetObject']),
  ],
});

export const handler = route({ params: clusterParams }, (req) => listClusterBackups(req));
