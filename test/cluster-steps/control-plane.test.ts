import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchControlPlane } from '../../functions/control-plane/launch-control-plane';
import { seatClientToken } from '../../functions/control-plane/seats';
import { recordedApiEndpoint } from '../../functions/control-plane/render-context';
import { startWorld, type World } from './world';

let w: World;

beforeAll(async () => {
  w = await startWorld({
    name: 'demo',
    region: 'us-east-1',
    zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    controlPlane: { count: 3 },
    api: { loadBalancer: { type: 'internal' } },
    tags: { team: 'platform' },
  });
});
afterAll(() => w?.env.stop());

function input(extra: Record<string, unknown> = {}) {
  return {
    cluster: w.spec.name,
    operationId: w.operationId,
    imageId: w.imageId,
    subnets: w.subnets,
    securityGroups: w.securityGroups,
    apiLoadBalancer: { state: 'none' },
    ...extra,
  };
}

async function controlPlaneInstances(): Promise<ec2.Instance[]> {
  const out = await w.env.deps.clients.ec2.send(
    new ec2.DescribeInstancesCommand({ Filters: [{ Name: 'tag:hopper:role', Values: ['control-plane'] }] }),
  );
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');
}

describe('launchControlPlane', () => {
  it('launches one instance per seat, in each seat zone’s private subnet, hardened and tagged', async () => {
    const out = await launchControlPlane(input(), w.env.deps);
    expect(out.instanceIds).toHaveLength(3);
    expect(out.first).toBe(out.instanceIds[0]);
    expect(out.others).toEqual(out.instanceIds.slice(1));
    const instances = await controlPlaneInstances();
    expect(instances).toHaveLength(3);
    for (const [seat, id] of out.instanceIds.entries()) {
      const inst = instances.find((i) => i.InstanceId === id)!;
      expect(inst.SubnetId).toBe(w.subnets[seat].privateSubnetId);
      expect(inst.SecurityGroups?.map((g) => g.GroupId)).toEqual([w.securityGroups.controlPlane]);
      expect(inst.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
      expect(inst.IamInstanceProfile?.Arn ?? inst.IamInstanceProfile?.Id ?? '').toBe('arn:aws:iam::000000000000:instance-profile/hopper/hopper-demo-control-plane');
      const tags = Object.fromEntries((inst.Tags ?? []).map((t) => [t.Key, t.Value]));
      expect(tags).toMatchObject({
        'kubernetes.io/cluster/demo': 'owned',
        'hopper:cluster': 'demo',
        'hopper:role': 'control-plane',
        'hopper:control-plane-seat': String(seat),
        team: 'platform',
      });
      const sim = w.env.sim.state.instances.get(id)!;
      expect(sim.blockDeviceMappings[0]).toMatchObject({ encrypted: true, volumeType: 'gp3', volumeSize: 64 });
    }
    // Without a load balancer the API is reached at the first instance.
    const first = instances.find((i) => i.InstanceId === out.first)!;
    expect(out.apiEndpoint).toBe(`${first.PrivateIpAddress}:6443`);
    await expect(recordedApiEndpoint(w.env.deps, 'demo')).resolves.toBe(out.apiEndpoint);
    const recorded = (await w.env.deps.store.listResources('demo')).filter((r) => r.type === 'instance');
    expect(recorded.map((r) => r.id).sort()).toEqual([...out.instanceIds].sort());
  });

  it('creates nothing new when run again, and reports the same seats', async () => {
    const before = await controlPlaneInstances();
    const again = await launchControlPlane(input(), w.env.deps);
    expect(await controlPlaneInstances()).toHaveLength(before.length);
    expect([...again.instanceIds].sort()).toEqual(before.map((i) => i.InstanceId).sort());
  });

  it('gets the same instance back when the launch happened but its output was lost', async () => {
    // A launch with seat 0's ClientToken is what a crashed first attempt would have left.
    const replay = await w.env.deps.clients.ec2.send(
      new ec2.RunInstancesCommand({
        ImageId: w.imageId,
        InstanceType: 't3.medium',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: w.subnets[0].privateSubnetId,
        ClientToken: seatClientToken(w.uid, 0),
      }),
    );
    const out = await launchControlPlane(input(), w.env.deps);
    expect(replay.Instances![0].InstanceId).toBe(out.first);
    expect(await controlPlaneInstances()).toHaveLength(3);
  });

  it('uses the load balancer’s name as the API endpoint when there is one', async () => {
    const out = await launchControlPlane(
      input({ apiLoadBalancer: { state: 'active', dnsName: 'demo-api-123.elb.us-east-1.amazonaws.com' } }),
      w.env.deps,
    );
    expect(out.apiEndpoint).toBe('demo-api-123.elb.us-east-1.amazonaws.com:6443');
  });
});
