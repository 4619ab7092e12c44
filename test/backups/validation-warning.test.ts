/**
 * Validation flags a cluster whose newest etcd backup is older than twice its backup interval
 * (the cluster is still valid: the warning is beside the failures, not among them); a deleted
 * cluster's backups, kept by its delete, go when their retention ends.
 */
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { etcdBackups } from '../../functions/events/etcd-backups';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupId, backupKey } from '../../functions/backups/policy';
import { backupWarnings } from '../../functions/workflow/finish-validation';
import type { ClusterRecord } from '../../shared/store';
import { startStepEnv, type StepEnv } from '../helpers/step-env';

const BUCKET = 'hopper-test-backups';
let env: StepEnv;
let record: ClusterRecord;
const savedBucket = process.env.HOPPER_BACKUPS_BUCKET;

beforeAll(async () => {
  env = await startStepEnv();
  await env.deps.clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  process.env.HOPPER_BACKUPS_BUCKET = BUCKET;
  await env.createCluster({ name: 'bk', region: 'us-east-1', zones: ['us-east-1a'], backups: { intervalMinutes: 60 } });
  record = (await env.deps.store.getCluster('bk'))!;
}, 60_000);
afterAll(async () => {
  if (savedBucket === undefined) delete process.env.HOPPER_BACKUPS_BUCKET;
  else process.env.HOPPER_BACKUPS_BUCKET = savedBucket;
  await env?.stop();
});

/** The warnings as validation would give them at `at`. */
const warningsAt = (at: number) => backupWarnings(env.deps, record, new Date(at));
const created = () => Date.parse(record.createdAt);

describe('validation and backups', () => {
  it('says nothing of a cluster younger than two intervals, and flags one that has never been backed up', async () => {
    expect(await warningsAt(created() + 90 * 60_000)).toEqual([]);
    const [warning] = await warningsAt(created() + 3 * 3600_000);
    expect(warning).toMatchObject({ kind: 'Backup', name: 'etcd' });
    expect(warning.message).toMatch(/^there is no etcd backup yet, more than twice the 60-minute interval/);
  });

  it('flags a newest backup older than twice the interval, by its id and age', async () => {
    const taken = new Date(created() + 3600_000);
    await env.deps.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: backupKey('bk', backupId(taken)), Body: 'snapshot' }));
    expect(await warningsAt(taken.getTime() + 119 * 60_000)).toEqual([]);
    const [warning] = await warningsAt(taken.getTime() + 180 * 60_000);
    expect(warning.message).toBe(`the newest etcd backup (${backupId(taken)}) is 180 minutes old, more than twice the 60-minute interval: backups are failing (the EtcdBackup commands' output says why)`);
    // A newer backup of an earlier cluster of the same name (its delete kept it) is not this one's.
    const earlier = backupId(new Date(taken.getTime() + 170 * 60_000));
    await env.deps.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: backupKey('bk', earlier), Body: 'snapshot', Metadata: { 'cluster-uid': 'an-earlier-incarnation' } }));
    const [still] = await warningsAt(taken.getTime() + 180 * 60_000);
    expect(still.message).toContain(`(${backupId(taken)}) is 180 minutes old`);
  });
});

describe('a deleted cluster\'s backups', () => {
  it('are pruned by the schedule as their retention says, and none is taken', async () => {
    await env.createCluster({ name: 'gone', region: 'us-east-1', zones: ['us-east-1a'] });
    await env.deps.store.mutateCluster('gone', () => ({ status: 'Deleted' }));
    const now = new Date('2026-12-05T12:00:00Z');
    const ids = [backupId(new Date(now.getTime() - 200 * 86_400_000)), backupId(new Date(now.getTime() - 86_400_000 / 2))];
    for (const id of ids) await env.deps.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: backupKey('gone', id), Body: 'snapshot' }));
    const run = await etcdBackups(env.deps, now);
    expect(run.backups.find((b) => b.cluster === 'gone')).toEqual({ cluster: 'gone', skipped: 'the cluster is Deleted', pruned: [ids[0]] });
    const left = await env.deps.clients.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'gone/etcd/' }));
    expect((left.Contents ?? []).map((o) => o.Key)).toEqual([backupKey('gone', ids[1])]);
  });
});
