/**
 * AttachEtcdVolumes for a single control plane lost together with its etcd volume: with no
 * backup it says the objects are lost and makes nothing; with backups it makes the seat a new
 * volume recorded with the newest backup this cluster may be restored from (a newer one of an
 * earlier cluster of the name is passed over), once however often it runs, and the cluster's
 * events say so once. A stopped control plane still holds the data: nothing is restored then.
 */
import * as ec2 from '@aws-sdk/client-ec2';
import * as s3 from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachEtcdVolumes } from '../../functions/control-plane/attach-etcd-volumes';
import { ensureEtcdVolumes } from '../../functions/control-plane/ensure-etcd-volumes';
import { launchControlPlane } from '../../functions/control-plane/launch-control-plane';
import { retriedWhilePending, startWorld, type World } from './world';

const NAME = 'solo-seat';
const BUCKET = 'hopper-test-seat-restore';
const savedBucket = process.env.HOPPER_BACKUPS_BUCKET;
let w: World;

beforeAll(async () => {
  w = await startWorld({ name: NAME, region: 'us-east-1', zones: ['us-east-1a'] });
  await w.env.deps.clients.s3.send(new s3.CreateBucketCommand({ Bucket: BUCKET }));
  process.env.HOPPER_BACKUPS_BUCKET = BUCKET;
});
afterAll(async () => {
  if (savedBucket === undefined) delete process.env.HOPPER_BACKUPS_BUCKET;
  else process.env.HOPPER_BACKUPS_BUCKET = savedBucket;
  await w?.env.stop();
});

const until = async (fn: () => boolean) => {
  for (let i = 0; i < 500 && !fn(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(fn()).toBe(true);
};
const volumes = () => [...w.env.sim.state.volumes.values()].filter((v) => v.tags['hopper:cluster'] === NAME && !['deleting', 'deleted'].includes(v.state));
const attach = (operationId: string, instanceId: string) => retriedWhilePending(() => attachEtcdVolumes({ cluster: NAME, operationId, instanceIds: [instanceId] }, w.env.deps));

describe('a single control plane lost with its etcd volume', () => {
  it('comes back from the newest backup it may be restored from, or is said to be lost without one', async () => {
    const envelope = { cluster: NAME, operationId: w.operationId };
    await ensureEtcdVolumes(envelope, w.env.deps);
    const cp = await launchControlPlane({ ...envelope, imageId: w.imageId, subnets: w.subnets, securityGroups: w.securityGroups, apiLoadBalancer: { state: 'none' } }, w.env.deps);
    await until(() => w.env.sim.state.instances.get(cp.first)?.state === 'running');
    const [{ volumeId: lost }] = (await attach(w.operationId, cp.first)).attached;
    const old = w.env.sim.state.instances.get(cp.first)!;

    // The instance and its volume go; a replacement takes the seat (as LaunchReplacement makes it).
    const ec2c = w.env.deps.clients.ec2;
    await ec2c.send(new ec2.TerminateInstancesCommand({ InstanceIds: [cp.first] }));
    await until(() => w.env.sim.state.volumes.get(lost)?.state === 'available');
    await ec2c.send(new ec2.DeleteVolumeCommand({ VolumeId: lost }));
    await until(() => w.env.sim.state.instances.get(cp.first)?.state === 'terminated');
    const tags = Object.entries(old.tags).map(([Key, Value]) => ({ Key, Value }));
    const replacement = (
      await ec2c.send(new ec2.RunInstancesCommand({ ImageId: w.imageId, InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, SubnetId: old.subnetId, PrivateIpAddress: old.privateIpAddress, TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] }))
    ).Instances![0].InstanceId!;
    await w.env.deps.store.recordResource(NAME, { type: 'instance', id: replacement, ownership: 'owned', attrs: { role: 'control-plane', seat: 0 } });
    await until(() => w.env.sim.state.instances.get(replacement)?.state === 'running');

    // No backup: the objects are lost, said plainly, and nothing is made.
    await expect(attach('op-repair-1', replacement)).rejects.toThrow(`the etcd volume ${lost} of control-plane seat 0 is gone, no other control plane holds etcd's data, and cluster ${NAME} has no backup it can be restored from (hopper get backups ${NAME}): its objects are lost`);
    expect(volumes()).toEqual([]);

    // Backups: this cluster's older one, and a newer one an earlier cluster of the name took.
    const record = (await w.env.deps.store.getCluster(NAME))!;
    const put = (id: string, uid: string) =>
      w.env.deps.clients.s3.send(
        new s3.PutObjectCommand({ Bucket: BUCKET, Key: `${NAME}/etcd/${id}.db`, Body: 'snapshot', Metadata: { 'cluster-uid': uid, sha256: 'a'.repeat(64), revision: '7', 'kubernetes-version': record.spec.kubernetesVersion } }),
      );
    await put('2026-12-01T00-00-00Z', record.uid);
    await put('2026-12-02T00-00-00Z', 'uid-of-an-earlier-cluster');
    const restored = await attach('op-repair-2', replacement);
    expect(await attach('op-repair-2', replacement)).toEqual(restored);
    expect(volumes().map((v) => v.volumeId)).toEqual([restored.attached[0].volumeId]);
    const volume = (await w.env.deps.store.listResources(NAME)).find((r) => r.type === 'volume')!;
    expect(volume.id).toBe(restored.attached[0].volumeId);
    expect(volume.attrs?.restoreFrom).toEqual({ bucket: BUCKET, key: `${NAME}/etcd/2026-12-01T00-00-00Z.db`, backup: '2026-12-01T00-00-00Z', takenAt: '2026-12-01T00:00:00.000Z', sha256: 'a'.repeat(64) });
    const events = (await w.env.deps.store.listEvents(NAME)).filter((e) => e.type === 'EtcdRestoredFromBackup');
    expect(events.map((e) => e.message)).toEqual([
      'the etcd volume of control-plane seat 0 was lost with the only control plane: its data comes back from backup 2026-12-01T00-00-00Z (taken 2026-12-01T00:00:00.000Z); what changed after it is lost',
    ]);
  });
});
