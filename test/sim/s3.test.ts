/**
 * S3 in the simulator, driven by the unmodified AWS SDK client: a bucket set up as Hopper's
 * backups bucket is (versioning, default encryption, public access blocked), objects put,
 * listed by prefix, read back byte for byte, deleted (a delete marker, the old version still
 * there) — and IAM deciding, as on AWS, what a role may do under which prefix; a host's `aws s3
 * cp` with its instance profile's credentials, under the same rules.
 */
import * as s3 from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../../local/sim/server';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ec2Client, refusal, startSim } from './sim-helpers';
import { launch, network, runScript, type Sim } from './ssm-helpers';

let sim: SimServer;
let admin: s3.S3Client;
const BUCKET = 'hopper-backups-000000000000-us-east-1';

const client = (accessKeyId: string) => new s3.S3Client({ endpoint: sim.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey: 'x' } });

beforeAll(async () => {
  sim = await startSim();
  admin = client('admin');
});
afterAll(async () => {
  admin.destroy();
  await sim.stop();
});

describe('S3', () => {
  it('keeps a bucket versioned, encrypted and closed to the public, and says so', async () => {
    await admin.send(new s3.CreateBucketCommand({ Bucket: BUCKET }));
    expect(await refusal(admin.send(new s3.CreateBucketCommand({ Bucket: BUCKET })))).toMatchObject({ name: 'BucketAlreadyOwnedByYou', status: 409 });
    await admin.send(new s3.PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    await admin.send(new s3.PutBucketEncryptionCommand({ Bucket: BUCKET, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/hopper' }, BucketKeyEnabled: true }] } }));
    await admin.send(new s3.PutPublicAccessBlockCommand({ Bucket: BUCKET, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }));
    expect((await admin.send(new s3.GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
    expect((await admin.send(new s3.GetBucketEncryptionCommand({ Bucket: BUCKET }))).ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/hopper' });
    expect((await admin.send(new s3.GetPublicAccessBlockCommand({ Bucket: BUCKET }))).PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    // A public policy is refused while BlockPublicPolicy is on.
    const publicPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }] });
    expect(await refusal(admin.send(new s3.PutBucketPolicyCommand({ Bucket: BUCKET, Policy: publicPolicy })))).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(await refusal(admin.send(new s3.HeadBucketCommand({ Bucket: 'no-such-bucket-here' })))).toMatchObject({ status: 404 });
  });

  it('stores, lists by prefix, reads back and deletes objects, keeping old versions', async () => {
    const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const put = await admin.send(new s3.PutObjectCommand({ Bucket: BUCKET, Key: 'alpha/backups/1.db', Body: body }));
    expect(put.VersionId).toBeTruthy();
    expect(put.ServerSideEncryption).toBe('aws:kms');
    await admin.send(new s3.PutObjectCommand({ Bucket: BUCKET, Key: 'beta/backups/1.db', Body: 'other cluster' }));
    const listed = await admin.send(new s3.ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'alpha/' }));
    expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([['alpha/backups/1.db', 3000]]);
    const got = await admin.send(new s3.GetObjectCommand({ Bucket: BUCKET, Key: 'alpha/backups/1.db' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);

    const removed = await admin.send(new s3.DeleteObjectCommand({ Bucket: BUCKET, Key: 'alpha/backups/1.db' }));
    expect(removed.DeleteMarker).toBe(true);
    expect(await refusal(admin.send(new s3.GetObjectCommand({ Bucket: BUCKET, Key: 'alpha/backups/1.db' })))).toMatchObject({ name: 'NoSuchKey', status: 404 });
    const old = await admin.send(new s3.GetObjectCommand({ Bucket: BUCKET, Key: 'alpha/backups/1.db', VersionId: put.VersionId }));
    expect((await old.Body!.transformToByteArray()).length).toBe(3000);
    expect((await admin.send(new s3.ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'alpha/' }))).KeyCount).toBe(0);
    expect(await refusal(admin.send(new s3.DeleteBucketCommand({ Bucket: BUCKET })))).toMatchObject({ name: 'BucketNotEmpty', status: 409 });
  });

  it('lets IAM decide by bucket and prefix', async () => {
    const res = await fetch(`${sim.url}/_sim/iam/roles/alpha-host`, {
      method: 'PUT',
      body: JSON.stringify({
        policies: [
          {
            name: 'backups',
            document: {
              Statement: [
                { Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: `arn:aws:s3:::${BUCKET}/alpha/*` },
                { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${BUCKET}`, Condition: { StringLike: { 's3:prefix': 'alpha/*' } } },
              ],
            },
          },
        ],
      }),
    });
    expect(res.status, await res.text()).toBe(200);
    const session = (await (await fetch(`${sim.url}/_sim/iam/roles/alpha-host/sessions`, { method: 'POST', body: '{}' })).json()) as { accessKeyId: string; secretAccessKey: string; sessionToken: string };
    const alpha = new s3.S3Client({ endpoint: sim.url, region: 'us-east-1', forcePathStyle: true, credentials: session });
    await alpha.send(new s3.PutObjectCommand({ Bucket: BUCKET, Key: 'alpha/backups/2.db', Body: 'mine' }));
    expect((await alpha.send(new s3.ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'alpha/backups/' }))).KeyCount).toBe(1);
    expect(await refusal(alpha.send(new s3.GetObjectCommand({ Bucket: BUCKET, Key: 'beta/backups/1.db' })))).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(await refusal(alpha.send(new s3.PutObjectCommand({ Bucket: BUCKET, Key: 'beta/backups/evil.db', Body: 'x' })))).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(await refusal(alpha.send(new s3.ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'beta/' })))).toMatchObject({ name: 'AccessDenied', status: 403 });
    alpha.destroy();
  });

  it("is reached from a host with `aws s3 cp`, as the host's role allows", async () => {
    // The seed recipe's host role (ssm-helpers) plus the backups prefix of one cluster.
    const role = await fetch(`${sim.url}/_sim/iam/roles/seed-host`, {
      method: 'PUT',
      body: JSON.stringify({
        instanceProfiles: ['seed-host'],
        policies: [{ name: 'backups', document: { Statement: [{ Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: `arn:aws:s3:::${BUCKET}/alpha/*` }] } }],
      }),
    });
    expect(role.status, await role.text()).toBe(200);
    const seed: Sim = { server: sim, ec2: ec2Client(sim), ssm: new SSMClient({ endpoint: sim.url, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'x' } }) };
    const host = await launch(seed, await network(seed));
    const run = await runScript(seed, host, [
      'set -euo pipefail',
      'head -c 2048 /dev/urandom > /tmp/snap.db',
      `aws s3 cp /tmp/snap.db s3://${BUCKET}/alpha/backups/host.db`,
      `aws s3 cp s3://${BUCKET}/alpha/backups/host.db /tmp/back.db`,
      'cmp /tmp/snap.db /tmp/back.db && echo same',
      `aws s3 cp /tmp/snap.db s3://${BUCKET}/beta/backups/host.db || echo refused`,
    ]);
    expect(run.Status, run.StandardErrorContent).toBe('Success');
    expect(run.StandardOutputContent).toContain('same');
    expect(run.StandardOutputContent).toContain('refused');
    expect(run.StandardErrorContent).toContain('AccessDenied');
    seed.ec2.destroy();
    seed.ssm.destroy();
  }, 120_000);
});
