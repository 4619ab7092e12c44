/**
 * EnsureEtcdVolumes and AttachEtcdVolumes, run twice and after a lost output: one volume per
 * seat, in the seat's zone, encrypted and tagged; each attached once, to the instance holding
 * its seat; a volume a live instance holds is never taken.
 */
import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachEtcdVolumes } from '../../functions/control-plane/attach-etcd-volumes';
import { ensureEtcdVolumes } from '../../functions/control-plane/ensure-etcd-volumes';
import { etcdVolumeClientToken, etcdVolumeTags } from '../../functions/control-plane/etcd-volumes';
import { launchControlPlane } from '../../functions/control-plane/launch-control-plane';
import { startWorld, type World } from './world';

let w: World;

beforeAll(async () => {
  w = await startWorld({ name: 'vols', region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], controlPlane: { count: 3 }, api: { loadBalancer: { type: 'internal' } } });
});
afterAll(() => w?.env.stop());

const envelope = () => ({ cluster: w.spec.name, operationId: w.operationId });
const simVolumes = () => [...w.env.sim.state.volumes.values()].filter((v) => v.tags['hopper:cluster'] === 'vols');
const until = async (fn: () => boolean) => {
  for (let i = 0; i < 500 && !fn(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(fn()).toBe(true);
};

describe('etcd volumes', () => {
  it('makes one encrypted volume per seat in its zone, and nothing new when run again', async () => {
    const first = await ensureEtcdVolumes(envelope(), w.env.deps);
    const again = await ensureEtcdVolumes(envelope(), w.env.deps);
    expect(again.volumes).toEqual(first.volumes);
    expect(first.volumes.map((v) => v.zone)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(simVolumes()).toHaveLength(3);
    for (const v of simVolumes()) expect(v).toMatchObject({ encrypted: true, volumeType: 'gp3', size: 20 });
    const recorded = (await w.env.deps.store.listResources('vols')).filter((r) => r.type === 'volume');
    expect(recorded.map((r) => r.id).sort()).toEqual(first.volumes.map((v) => v.volumeId).sort());
  });

  it('gets the same volume back when the create happened but its output and record were lost', async () => {
    const record = await w.env.deps.store.getCluster('vols');
    // What a crash after CreateVolume leaves: the volume, untagged for the lookup, and no record.
    const seat0 = simVolumes().find((v) => v.tags['hopper:control-plane-seat'] === '0')!;
    seat0.tags['hopper:role'] = 'lost';
    const replay = await w.env.deps.clients.ec2.send(
      new ec2.CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 20, VolumeType: 'gp3', Encrypted: true, ClientToken: etcdVolumeClientToken(record!.uid, 0), TagSpecifications: [{ ResourceType: 'volume', Tags: etcdVolumeTags(w.spec, 0, 'us-east-1a') }] }),
    );
    expect(replay.VolumeId).toBe(seat0.volumeId);
    seat0.tags['hopper:role'] = 'etcd';
    expect(simVolumes()).toHaveLength(3);
  });

  it('attaches each seat its own volume once, and never takes one from a live instance', async () => {
    const cp = await launchControlPlane({ ...envelope(), imageId: w.imageId, subnets: w.subnets, securityGroups: w.securityGroups, apiLoadBalancer: { state: 'none' } }, w.env.deps);
    await until(() => cp.instanceIds.every((id) => w.env.sim.state.instances.get(id)?.state === 'running'));
    const first = await attachEtcdVolumes({ ...envelope(), instanceIds: cp.instanceIds }, w.env.deps);
    const again = await attachEtcdVolumes({ ...envelope(), instanceIds: cp.instanceIds }, w.env.deps);
    expect(again.attached).toEqual(first.attached);
    for (const [seat, id] of cp.instanceIds.entries()) {
      const volume = simVolumes().find((v) => v.tags['hopper:control-plane-seat'] === String(seat))!;
      expect(volume.attachment?.instanceId).toBe(id);
    }
    // Another instance claiming seat 0 while its holder runs is refused, naming the holder.
    const intruder = (
      await w.env.deps.clients.ec2.send(
        new ec2.RunInstancesCommand({ ImageId: w.imageId, InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, SubnetId: w.subnets[0].privateSubnetId, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'hopper:control-plane-seat', Value: '0' }] }] }),
      )
    ).Instances![0].InstanceId!;
    await w.env.deps.store.recordResource('vols', { type: 'instance', id: intruder, ownership: 'owned', attrs: { role: 'control-plane', seat: 0 } });
    await until(() => w.env.sim.state.instances.get(intruder)?.state === 'running');
    await expect(attachEtcdVolumes({ ...envelope(), instanceIds: [intruder] }, w.env.deps)).rejects.toThrow(new RegExp(`attached to ${cp.instanceIds[0]}, which is running`));
  });

  it('gives a seat whose volume is gone a new, empty one while other control planes hold the data, and refills none when no other runs', async () => {
    const ec2c = w.env.deps.clients.ec2;
    const cps = [...w.env.sim.state.instances.values()].filter((i) => i.tags['hopper:cluster'] === 'vols' && i.tags['hopper:role'] === 'control-plane' && i.state === 'running');
    const lostHolder = cps.find((i) => i.tags['hopper:control-plane-seat'] === '1')!;
    const lost = simVolumes().find((v) => v.tags['hopper:control-plane-seat'] === '1')!.volumeId;
    await ec2c.send(new ec2.TerminateInstancesCommand({ InstanceIds: [lostHolder.instanceId] }));
    await until(() => w.env.sim.state.volumes.get(lost)?.state === 'available');
    await ec2c.send(new ec2.DeleteVolumeCommand({ VolumeId: lost }));
    // The seat's replacement: tagged as a control plane of the cluster, in the seat's zone.
    const launchSeat1 = async () => {
      const tags = Object.entries(lostHolder.tags).map(([Key, Value]) => ({ Key, Value }));
      const id = (await ec2c.send(new ec2.RunInstancesCommand({ ImageId: w.imageId, InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, SubnetId: lostHolder.subnetId, TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] }))).Instances![0].InstanceId!;
      await w.env.deps.store.recordResource('vols', { type: 'instance', id, ownership: 'owned', attrs: { role: 'control-plane', seat: 1 } });
      await until(() => w.env.sim.state.instances.get(id)?.state === 'running');
      return id;
    };
    const replacement = await launchSeat1();
    // Retried as the state machine retries a DependencyPendingError, until attached.
    const attach = async (instanceId: string) => {
      for (let i = 0; ; i++) {
        try {
          return await attachEtcdVolumes({ ...envelope(), instanceIds: [instanceId] }, w.env.deps);
        } catch (err) {
          if ((err as Error).name !== 'DependencyPendingError' || i > 200) throw err;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const first = await attach(replacement);
    const again = await attach(replacement);
    expect(again.attached).toEqual(first.attached);
    const fresh = first.attached[0].volumeId;
    expect(fresh).not.toBe(lost);
    const seat1 = simVolumes().filter((v) => v.tags['hopper:control-plane-seat'] === '1' && v.state !== 'deleting');
    expect(seat1.map((v) => v.volumeId)).toEqual([fresh]);
    expect(seat1[0]).toMatchObject({ encrypted: true, availabilityZone: lostHolder.availabilityZone, attachment: { instanceId: replacement } });
    const recorded = (await w.env.deps.store.listResources('vols')).filter((r) => r.type === 'volume' && r.attrs?.seat === 1).map((r) => r.id);
    expect(recorded).toEqual([fresh]);

    // Every other control plane gone too: the other seats' volumes may hold etcd's data, so no
    // seat of this cluster is refilled from a backup, and nothing is made.
    const others = cps.filter((i) => i !== lostHolder).map((i) => i.instanceId);
    await ec2c.send(new ec2.TerminateInstancesCommand({ InstanceIds: [...others, replacement] }));
    await until(() => w.env.sim.state.volumes.get(fresh)?.state === 'available');
    await ec2c.send(new ec2.DeleteVolumeCommand({ VolumeId: fresh }));
    const alone = await launchSeat1();
    const volumeCount = simVolumes().length;
    // (A later repair: the operation that made that volume would take it for one still appearing.)
    await expect(attachEtcdVolumes({ cluster: 'vols', operationId: 'op-later-repair', instanceIds: [alone] }, w.env.deps)).rejects.toThrow(/is gone, and no other control plane runs: the other seats' volumes may hold etcd's data/);
    expect(simVolumes()).toHaveLength(volumeCount);

    // That instance is gone before its volume goes on (it crashed at boot): the step says so at once, rather than waiting for it.
    await ec2c.send(new ec2.TerminateInstancesCommand({ InstanceIds: [alone] }));
    await expect(attachEtcdVolumes({ ...envelope(), instanceIds: [alone] }, w.env.deps)).rejects.toMatchObject({
      name: 'StepFailedError',
      message: expect.stringMatching(new RegExp(`control-plane instance ${alone} is (shutting-down|terminated).*stopped before its etcd volume could be attached`)),
    });
  });
});
