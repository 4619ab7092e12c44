/**
 * `GET /v1/clusters/{name}`: spec, status, instance groups, resources, the last operation, and
 * the newest etcd backup with its age (left out, not an error, when the bucket cannot be read:
 * the cluster's view does not depend on S3).
 */
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterParams } from './params';
import { clusterView } from './views';
import type * as z from 'zod';
import { allow, getAtt, onBackupObjects, onBackupsBucket, tableIndex } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';
import { Logger } from '@aws-lambda-powertools/logger';
import { s3Client } from '../../shared/aws/clients/s3';
import { newestBackupOf } from '../backups/list';
import { backupAge, backupPolicyOf } from '../backups/policy';
import type { ClusterRecord } from '../../shared/store';
import { worldNow } from '../../shared/clock';

const logger = new Logger({ serviceName: 'hopper-api' });

export async function getCluster(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps([s3Client])): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  const [resources, lastOperation, lastBackup] = await Promise.all([
    deps.store.listResources(record.name),
    record.lastOperationId ? deps.store.getOperation(record.lastOperationId) : Promise.resolve(undefined),
    newestBackup(deps, record),
  ]);
  return { status: 200, body: { ...clusterView(record, resources, lastOperation), ...(lastBackup ? { lastBackup } : {}) } };
}

async function newestBackup(deps: ApiDeps, record: ClusterRecord): Promise<{ id: string; takenAt: string; ageSeconds: number; overdue: boolean } | undefined> {
  const cluster = record.name;
  const bucket = process.env.HOPPER_BACKUPS_BUCKET;
  if (!bucket || !deps.s3) return undefined;
  try {
    const newest = await newestBackupOf(deps.s3, bucket, record);
    if (!newest) return undefined;
    const age = backupAge(backupPolicyOf(record.spec), new Date(newest.takenAt), record.createdAt, worldNow());
    return { id: newest.id, takenAt: newest.takenAt, ageSeconds: age.ageSeconds ?? 0, overdue: age.overdue };
  } catch (err) {
    logger.warn('the backups bucket could not be read', { cluster, error: err as Error });
    return undefined;
  }
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/v1/clusters/{name}', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    allow(['dynamodb:GetItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
    onBackupsBucket(['s3:ListBucket']),
    // HeadObject of the newest backups: whose incarnation each is.
    onBackupObjects(['s3:GetObject']),
  ],
});

export const handler = route({ params: clusterParams }, (req) => getCluster(req));
