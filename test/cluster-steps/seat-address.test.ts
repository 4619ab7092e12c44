/**
 * Behind a load balancer a control-plane seat's replacement takes its predecessor's address —
 * the address of the etcd member whose data the seat's volume keeps — so that member can start
 * again from it: TerminateOld records the address on the volume, LaunchReplacement launches
 * there (once per operation, however often it runs), and launches at a new address when
 * another instance has taken it meanwhile. A seat's lost instance leaves the inventory once
 * the seat has its replacement.
 */
import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEtcdVolumes } from '../../functions/control-plane/ensure-etcd-volumes';
import { seatMemberAddress } from '../../functions/control-plane/etcd-volumes';
import { launchControlPlane } from '../../functions/control-plane/launch-control-plane';
import { launchReplacement } from '../../functions/rolling/launch-replacement';
import { terminateOld } from '../../functions/rolling/terminate-old';
import { retriedWhilePending, startWorld, type World } from './world';

let w: World;
const NAME = 'seats';

beforeAll(async () => {
  w = await startWorld({ name: NAME, region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], controlPlane: { count: 3 }, api: { loadBalancer: { type: 'internal' } } });
});
afterAll(() => w?.env.stop());

const until = async (fn: () => boolean) => {
  for (let i = 0; i < 500 && !fn(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(fn()).toBe(true);
};
const instance = (id: string) => w.env.sim.state.instances.get(id)!;

describe('a control-plane seat replaced behind a load balancer', () => {
  it('gets its predecessor\'s address, or a new one when another instance took it, and one instance per operation', async () => {
    const envelope = { cluster: NAME, operationId: w.operationId };
    await ensureEtcdVolumes(envelope, w.env.deps);
    const cp = await launchControlPlane({ ...envelope, imageId: w.imageId, subnets: w.subnets, securityGroups: w.securityGroups, apiLoadBalancer: { dnsName: 'seats-api-0123.elb.us-east-1.amazonaws.com', state: 'provisioning' } }, w.env.deps);
    await until(() => cp.instanceIds.every((id) => instance(id).state === 'running'));
    const seat = { seat: 1, zone: 'us-east-1b', subnetId: w.subnets[1].privateSubnetId };
    const replace = (operationId: string) => retriedWhilePending(() => launchReplacement({ cluster: NAME, operationId, seat, options: { controlPlaneImageId: w.imageId } }, w.env.deps));
    const seatInstances = async () => (await w.env.deps.store.listResources(NAME)).filter((r) => r.type === 'instance' && r.attrs?.seat === 1).map((r) => r.id);

    // Planned: the old instance's address goes on the volume, and the replacement gets it.
    const old = cp.instanceIds[1];
    const address = instance(old).privateIpAddress;
    await terminateOld({ cluster: NAME, operationId: 'op-roll-1', instanceId: old, kind: 'control-plane', inGroup: false }, w.env.deps);
    expect(await seatMemberAddress(w.env.deps, NAME, 1)).toBe(address);
    const first = await replace('op-roll-1');
    expect(instance(first.instanceId).privateIpAddress).toBe(address);
    expect((await replace('op-roll-1')).instanceId).toBe(first.instanceId);

    // Lost behind Hopper's back, then the address taken by another instance before the repair.
    await w.env.deps.clients.ec2.send(new ec2.TerminateInstancesCommand({ InstanceIds: [first.instanceId] }));
    await until(() => instance(first.instanceId).state === 'terminated');
    const squatter = (
      await w.env.deps.clients.ec2.send(new ec2.RunInstancesCommand({ ImageId: w.imageId, InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, SubnetId: seat.subnetId, PrivateIpAddress: address }))
    ).Instances![0].InstanceId!;
    const second = await replace('op-repair-1');
    expect(instance(second.instanceId).privateIpAddress).not.toBe(address);
    expect(instance(second.instanceId).subnetId).toBe(seat.subnetId);
    expect((await replace('op-repair-1')).instanceId).toBe(second.instanceId);
    // The lost instance left the inventory; the seat has its replacement only.
    expect(await seatInstances()).toEqual([second.instanceId]);
    const launched = [...w.env.sim.state.instances.values()].filter((i) => i.tags['hopper:control-plane-seat'] === '1').map((i) => i.id);
    expect(launched.sort()).toEqual([old, first.instanceId, second.instanceId].sort());
    expect(squatter).not.toBe(second.instanceId);
  });
});
