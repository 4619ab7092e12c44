/**
 * The steps around backups that change something, each run twice: DeleteBackups deletes every
 * version when the delete asked for it (the second run finds nothing, and without the ask
 * nothing goes), and RecordRestore records one event however often it runs.
 */
import { CreateBucketCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupKey } from '../../functions/backups/policy';
import { deleteBackups } from '../../functions/delete/delete-backups';
import { recordRestore } from '../../functions/restore/record-restore';
import { startStepEnv, type StepEnv } from '../helpers/step-env';

const BUCKET = 'hopper-test-restore-steps';
let env: StepEnv;
const savedBucket = process.env.HOPPER_BACKUPS_BUCKET;

beforeAll(async () => {
  env = await startStepEnv();
  await env.deps.clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await env.deps.clients.s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  process.env.HOPPER_BACKUPS_BUCKET = BUCKET;
  await env.createCluster({ name: 'rs', region: 'us-east-1', zones: ['us-east-1a'] });
}, 60_000);
afterAll(async () => {
  if (savedBucket === undefined) delete process.env.HOPPER_BACKUPS_BUCKET;
  else process.env.HOPPER_BACKUPS_BUCKET = savedBucket;
  await env?.stop();
});

/** An operation of `type` whose request is `request` (the steps read it from the record). */
async function operation(id: string, type: string, request: unknown): Promise<{ cluster: string; operationId: string }> {
  const record = (await env.deps.store.getCluster('rs'))!;
  await env.deps.store.recordOperation(record, { operationId: id, type, owner: 'test', leaseSeconds: 60, input: { request } });
  return { cluster: 'rs', operationId: id };
}

const versions = async () => {
  const out = await env.deps.clients.s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'rs/etcd/' }));
  return [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])].length;
};

describe('DeleteBackups', () => {
  it('keeps the backups when the delete did not ask, and deletes every version once when it did', async () => {
    const key = backupKey('rs', '2026-12-05T01-45-00Z');
    await env.deps.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'first' }));
    await env.deps.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'second' }));
    await env.deps.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: backupKey('rs', '2026-12-05T02-00-00Z'), Body: 'third' }));
    expect(await versions()).toBe(3);

    expect(await deleteBackups(await operation('op-delete-plain', 'delete', {}), env.deps)).toEqual({ asked: false, deleted: 0 });
    expect(await versions()).toBe(3);

    const asked = await operation('op-delete-all', 'delete', { deleteBackups: true });
    expect(await deleteBackups(asked, env.deps)).toEqual({ asked: true, deleted: 3 });
    expect(await deleteBackups(asked, env.deps)).toEqual({ asked: true, deleted: 0 });
    expect(await versions()).toBe(0);
  });
});

describe('RecordRestore', () => {
  it('records one ClusterRestored event, however often it runs', async () => {
    const op = await operation('op-restore', 'restore', { backup: '2026-12-05T01-45-00Z' });
    const restore = { backup: '2026-12-05T01-45-00Z', bucket: BUCKET, key: 'rs/etcd/2026-12-05T01-45-00Z.db', sha256: 'a'.repeat(64), revision: 7, token: 'hopper-restore-0123456789abcdef', members: [{ instanceId: 'i-1', name: 'ip-10-0-0-1.ec2.internal', address: '10.0.0.1' }], kubelets: [{ instanceId: 'i-1' }] };
    expect(await recordRestore({ ...op, restore }, env.deps)).toEqual({ recorded: true });
    expect(await recordRestore({ ...op, restore }, env.deps)).toEqual({ recorded: false });
    const events = (await env.deps.store.listEvents('rs')).filter((e) => e.type === 'ClusterRestored');
    expect(events).toHaveLength(1);
    expect(events[0].message).toBe('etcd restored from backup 2026-12-05T01-45-00Z (revision 7) on 1 control-plane instance(s); the cluster validated');
  });
});
