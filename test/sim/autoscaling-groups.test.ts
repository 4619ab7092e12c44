import * as asg from '@aws-sdk/client-auto-scaling';
import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../../local/sim/server';
import { asgClient, ec2Client, postJson, startSim, twoZoneWorld, until } from './sim-helpers';

let sim: SimServer;
let e: ec2.EC2Client;
let a: asg.AutoScalingClient;
let subnets: string[];

beforeAll(async () => {
  sim = await startSim();
  sim.state.faults.apply({ eventualConsistency: { enabled: false, windowSeconds: 1 } });
  e = ec2Client(sim);
  a = asgClient(sim);
  const world = await twoZoneWorld(e);
  subnets = world.subnets;
  const img = { ImageId: world.imageId };
  await e.send(
    new ec2.CreateLaunchTemplateCommand({
      LaunchTemplateName: 'nodes',
      LaunchTemplateData: { ImageId: img.ImageId, InstanceType: 't3.medium', UserData: Buffer.from('kubeadm join').toString('base64'), MetadataOptions: { HttpTokens: 'required' } },
    }),
  );
});
afterAll(() => sim.stop());

const live = (name: string) =>
  [...sim.state.instances.values()].filter((i) => i.autoScalingGroupName === name && (i.state === 'running' || i.state === 'pending'));

describe('auto scaling groups', () => {
  it('keeps desired capacity across zones, with launch-template user data and propagated tags', async () => {
    await a.send(
      new asg.CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'nodes',
        LaunchTemplate: { LaunchTemplateName: 'nodes', Version: '$Latest' },
        MinSize: 1,
        MaxSize: 4,
        DesiredCapacity: 2,
        VPCZoneIdentifier: subnets.join(','),
        Tags: [{ Key: 'kubernetes.io/cluster/c1', Value: 'owned', PropagateAtLaunch: true }],
      }),
    );
    const g = (await a.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['nodes'] }))).AutoScalingGroups![0];
    expect(g).toMatchObject({ DesiredCapacity: 2, MinSize: 1, MaxSize: 4, VPCZoneIdentifier: subnets.join(',') });
    expect(g.Instances).toHaveLength(2);
    const insts = live('nodes');
    expect(new Set(insts.map((i) => i.availabilityZone)).size).toBe(2);
    expect(insts[0].userData).toBe('kubeadm join');
    expect(insts[0].tags['kubernetes.io/cluster/c1']).toBe('owned');
    expect(insts[0].tags['aws:autoscaling:groupName']).toBe('nodes');
  });

  it('replaces a crashed instance', async () => {
    const victim = live('nodes')[0].instanceId;
    await postJson(sim, '/_sim/faults', { crashInstances: [victim] });
    await until(() => sim.state.instances.get(victim)?.state === 'terminated' && live('nodes').length === 2);
    expect(live('nodes').map((i) => i.instanceId)).not.toContain(victim);
  });

  it('launches a replacement after DetachInstances without decrement', async () => {
    const detached = live('nodes')[0].instanceId;
    await a.send(new asg.DetachInstancesCommand({ AutoScalingGroupName: 'nodes', InstanceIds: [detached], ShouldDecrementDesiredCapacity: false }));
    expect(sim.state.instances.get(detached)?.autoScalingGroupName).toBeUndefined();
    expect(live('nodes')).toHaveLength(2);
  });

  it('launches in another zone when one is out of capacity', async () => {
    await postJson(sim, '/_sim/faults', { zonesOutOfCapacity: ['us-east-1a'] });
    await a.send(new asg.SetDesiredCapacityCommand({ AutoScalingGroupName: 'nodes', DesiredCapacity: 4 }));
    const newest = live('nodes').sort((x, y) => y.createdAt - x.createdAt).slice(0, 2);
    expect(newest.every((i) => i.availabilityZone === 'us-east-1b')).toBe(true);
    await postJson(sim, '/_sim/faults', { zonesOutOfCapacity: [] });
  });

  it('refuses to delete a group with instances unless forced (ResourceInUse)', async () => {
    // The group is at rest only once AZRebalance has moved capacity back into the zone that
    // was out of capacity: until then a delete meets ScalingActivityInProgress, as on AWS.
    await until(() => {
      const inGroup = [...sim.state.instances.values()].filter((i) => i.autoScalingGroupName === 'nodes' && i.state !== 'terminated');
      const perZone = ['us-east-1a', 'us-east-1b'].map((z) => inGroup.filter((i) => i.availabilityZone === z).length);
      return inGroup.length === 4 && inGroup.every((i) => i.state === 'running') && Math.abs(perZone[0] - perZone[1]) <= 1;
    });
    await expect(a.send(new asg.DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'nodes' }))).rejects.toMatchObject({ name: 'ResourceInUseFault' }); // wire code ResourceInUse
    await a.send(new asg.DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'nodes', ForceDelete: true }));
    await until(() => !sim.state.autoScalingGroups.has('nodes'));
    expect(live('nodes')).toHaveLength(0);
  });

  it('answers ValidationError for an unknown group', async () => {
    await expect(a.send(new asg.SetDesiredCapacityCommand({ AutoScalingGroupName: 'nope', DesiredCapacity: 1 }))).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
