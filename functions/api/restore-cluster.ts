/**
 * `POST /v1/clusters/{name}/restore` `{backup}`: restore the cluster's etcd from one of its
 * backups (the restore-cluster workflow): 202. Refused before anything starts, with what is
 * wrong: an id that is no backup id (400), a backup the bucket does not have (404), another
 * cluster's — by name or an earlier cluster of the same name — or one without a checksum
 * (422), a cluster that is not Ready or Degraded or is busy with another operation (409). The
 * workflow checks the backup's SHA-256 on every control plane before it stops anything.
 */
import * as z from 'zod';
import { restoreBodySchema } from '../../shared/api/routes';
import { s3Client } from '../../shared/aws/clients/s3';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '../../shared/errors';
import { allow, onBackupObjects, onBackupsBucket, ref, stopExecutions, table, stateMachineArn } from '../../shared/aws/iam';
import { headBackup, NO_ETCD_VOLUMES, parseBackupRef, restoreRefusal } from '../backups/object';
import { everySeatHasVolume } from '../control-plane/etcd-volumes';
import { backupsBucket } from '../backups/policy';
import { defineFunction } from '../lib/function';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { beginWorkflow } from './operations';
import { clusterParams } from './params';
import { RENEWABLE } from './renew-certificates';
import { clusterSummary, operationView } from './views';

export async function restoreCluster(req: ApiRequest<z.infer<typeof restoreBodySchema>, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps([s3Client])): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  const named = parseBackupRef(req.body.backup, record.name);
  if (!named) {
    throw new ValidationError('The request has 1 problem.', [{ path: 'backup', message: `"${req.body.backup}" is not a backup id such as 2026-12-05T01-45-00Z (hopper get backups ${record.name} lists them)` }]);
  }
  if (named.cluster !== record.name) {
    throw new UnprocessableError(`backup ${req.body.backup} is cluster ${named.cluster}'s: a cluster is restored from its own backups only`, [{ path: 'backup', message: `belongs to cluster ${named.cluster}` }]);
  }
  // A live lock answers for itself (409 naming it); an expired one would be taken over, so the status decides.
  const held = record.lock !== undefined && record.lock.expiresAt > deps.now().getTime();
  if (!RENEWABLE.has(record.status) && !held) throw new ConflictError(`cluster ${record.name} is ${record.status}: it can be restored once it is Ready or Degraded`);
  if (!deps.s3) throw new Error('the restore route needs the s3 client');
  const backup = await headBackup(deps.s3, backupsBucket(), record.name, named.id);
  if (!backup) throw new NotFoundError(`cluster ${record.name} has no backup ${named.id} (hopper get backups ${record.name} lists them)`);
  const refusal = restoreRefusal(backup, record);
  if (refusal) throw new UnprocessableError(refusal, [{ path: 'backup', message: refusal }]);
  if (!(await everySeatHasVolume(deps, record.name, record.spec.controlPlane.count))) throw new UnprocessableError(`cluster ${record.name} cannot be restored: ${NO_ETCD_VOLUMES}`);
  const { cluster, operation } = await beginWorkflow(deps, record, { workflow: 'restore', body: { backup: named.id }, owner: req.requestId });
  return { status: 202, body: { cluster: clusterSummary(cluster), operation: operationView(operation) } };
}

export const lambda = defineFunction({
  environment: { RESTORE_CLUSTER_STATE_MACHINE_ARN: ref('RestoreClusterStateMachine') },
  events: [{ httpApi: { method: 'POST', path: '/v1/clusters/{name}/restore', authorizer: { type: 'aws_iam' } } }],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    allow(['states:StartExecution'], [stateMachineArn('restore-cluster')]),
    stopExecutions(),
    // HeadObject needs GetObject; ListBucket makes a missing backup a 404 rather than a 403.
    onBackupsBucket(['s3:ListBucket']),
    onBackupObjects(['s3:GetObject']),
  ],
});

export const handler = route({ params: clusterParams, body: restoreBodySchema }, (req) => restoreCluster(req));
