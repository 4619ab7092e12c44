import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ec2 from '@aws-sdk/client-ec2';
import * as elb from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../../local/sim/server';
import { credentials, ec2Client, startSim, until } from './sim-helpers';

let sim: SimServer;
let e: ec2.EC2Client;
let lbc: elb.ElasticLoadBalancingV2Client;
let vpc: string;
let subnets: string[];
let sg: string;

/** The wire code of a failed call (the SDK names modeled errors `<Code>Exception`). */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const x = err as { Error?: { Code?: string }; Code?: string; name: string };
    return x.Error?.Code ?? x.Code ?? x.name;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  sim = await startSim();
  sim.state.faults.apply({ eventualConsistency: { enabled: false, windowSeconds: 1 } });
  e = ec2Client(sim);
  lbc = new elb.ElasticLoadBalancingV2Client({ endpoint: sim.url, region: 'us-east-1', credentials });
  vpc = (await e.send(new ec2.CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc!.VpcId!;
  subnets = [];
  for (const [i, z] of ['us-east-1a', 'us-east-1b'].entries()) {
    subnets.push((await e.send(new ec2.CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.1.${i}.0/24`, AvailabilityZone: z }))).Subnet!.SubnetId!);
  }
  sg = (await e.send(new ec2.CreateSecurityGroupCommand({ GroupName: 'api-lb', Description: 'api lb', VpcId: vpc }))).GroupId!;
});
afterAll(() => sim.stop());

const createApi = (extra: Partial<elb.CreateLoadBalancerInput> = {}) =>
  lbc.send(
    new elb.CreateLoadBalancerCommand({
      Name: 'c1-api',
      Type: 'network',
      Scheme: 'internet-facing',
      Subnets: subnets,
      SecurityGroups: [sg],
      Tags: [{ Key: 'hopper.dev/cluster', Value: 'c1' }],
      ...extra,
    }),
  );

describe('network load balancers', () => {
  it('refuses an internet-facing load balancer in a VPC without an internet gateway (InvalidSubnet)', async () => {
    expect(await codeOf(createApi())).toBe('InvalidSubnet');
    const igw = (await e.send(new ec2.CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await e.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
  });

  it('provisions, owns a network interface per subnet, and turns active after loadBalancer.active', async () => {
    const lb = (await createApi()).LoadBalancers![0];
    expect(lb).toMatchObject({ LoadBalancerName: 'c1-api', Type: 'network', Scheme: 'internet-facing', VpcId: vpc, State: { Code: 'provisioning' }, SecurityGroups: [sg] });
    expect(lb.DNSName).toMatch(/^c1-api-[0-9a-f]{16}\.elb\.us-east-1\.amazonaws\.com$/);
    expect(lb.LoadBalancerArn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:\d{12}:loadbalancer\/net\/c1-api\/[0-9a-f]{16}$/);
    expect(lb.AvailabilityZones!.map((z) => z.SubnetId).sort()).toEqual([...subnets].sort());

    const enis = (await e.send(new ec2.DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).NetworkInterfaces!;
    const own = enis.filter((n) => n.Description === `ELB ${lb.LoadBalancerArn!.split(':loadbalancer/')[1]}`);
    expect(own.map((n) => n.SubnetId).sort()).toEqual([...subnets].sort());
    expect(own.every((n) => n.InterfaceType === 'network_load_balancer' && n.RequesterManaged)).toBe(true);

    const started = Date.now();
    const active = await until(async () => {
      const got = (await lbc.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerArns: [lb.LoadBalancerArn!] }))).LoadBalancers![0];
      return got.State?.Code === 'active' ? got : undefined;
    });
    // 120–180 simulated seconds at timeScale 1000.
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(active.DNSName).toBe(lb.DNSName);
  });

  it('answers the same CreateLoadBalancer with the existing one, different settings with DuplicateLoadBalancerName', async () => {
    const [first] = (await lbc.send(new elb.DescribeLoadBalancersCommand({ Names: ['c1-api'] }))).LoadBalancers!;
    const again = (await createApi()).LoadBalancers![0];
    expect(again.LoadBalancerArn).toBe(first.LoadBalancerArn);
    expect(await codeOf(createApi({ Scheme: 'internal' }))).toBe('DuplicateLoadBalancerName');
  });

  it('finds by name, pages with Marker/PageSize, and answers LoadBalancerNotFound', async () => {
    await lbc.send(new elb.CreateLoadBalancerCommand({ Name: 'c1-internal', Type: 'network', Scheme: 'internal', SubnetMappings: [{ SubnetId: subnets[0], PrivateIPv4Address: '10.1.0.100' }] }));
    const first = await lbc.send(new elb.DescribeLoadBalancersCommand({ PageSize: 1 }));
    expect(first.LoadBalancers).toHaveLength(1);
    expect(first.NextMarker).toBeTruthy();
    const second = await lbc.send(new elb.DescribeLoadBalancersCommand({ PageSize: 1, Marker: first.NextMarker }));
    expect(second.NextMarker).toBeUndefined();
    const names = [...first.LoadBalancers!, ...second.LoadBalancers!].map((l) => l.LoadBalancerName).sort();
    expect(names).toEqual(['c1-api', 'c1-internal']);
    const internal = (await lbc.send(new elb.DescribeLoadBalancersCommand({ Names: ['c1-internal'] }))).LoadBalancers![0];
    expect(internal.AvailabilityZones![0].LoadBalancerAddresses).toEqual([{ PrivateIPv4Address: '10.1.0.100' }]);
    expect(await codeOf(lbc.send(new elb.DescribeLoadBalancersCommand({ Names: ['nope'] })))).toBe('LoadBalancerNotFound');
    await expect(lbc.send(new elb.DescribeLoadBalancersCommand({ Names: ['nope'] }))).rejects.toBeInstanceOf(elb.LoadBalancerNotFoundException);
    expect(await codeOf(createApi({ Name: 'bad_name' }))).toBe('ValidationError');
  });

  it('tags load balancers, target groups and listeners', async () => {
    const [lb] = (await lbc.send(new elb.DescribeLoadBalancersCommand({ Names: ['c1-api'] }))).LoadBalancers!;
    const tg = (await lbc.send(new elb.CreateTargetGroupCommand({ Name: 'c1-api-6443', Protocol: 'TCP', Port: 6443, VpcId: vpc, TargetType: 'instance', Tags: [{ Key: 'a', Value: '1' }] }))).TargetGroups![0];
    const l = (await lbc.send(new elb.CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'TCP', Port: 6443, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }], Tags: [{ Key: 'b', Value: '2' }] }))).Listeners![0];
    await lbc.send(new elb.AddTagsCommand({ ResourceArns: [lb.LoadBalancerArn!, tg.TargetGroupArn!, l.ListenerArn!], Tags: [{ Key: 'env', Value: 'test' }] }));
    await lbc.send(new elb.RemoveTagsCommand({ ResourceArns: [tg.TargetGroupArn!], TagKeys: ['a'] }));
    const out = (await lbc.send(new elb.DescribeTagsCommand({ ResourceArns: [lb.LoadBalancerArn!, tg.TargetGroupArn!, l.ListenerArn!] }))).TagDescriptions!;
    const byArn = Object.fromEntries(out.map((d) => [d.ResourceArn, Object.fromEntries(d.Tags!.map((t) => [t.Key, t.Value]))]));
    expect(byArn[lb.LoadBalancerArn!]).toEqual({ 'hopper.dev/cluster': 'c1', env: 'test' });
    expect(byArn[tg.TargetGroupArn!]).toEqual({ env: 'test' });
    expect(byArn[l.ListenerArn!]).toEqual({ b: '2', env: 'test' });
    const gone = lb.LoadBalancerArn!.replace(/[0-9a-f]{16}$/, '0000000000000000');
    expect(await codeOf(lbc.send(new elb.DescribeTagsCommand({ ResourceArns: [gone] })))).toBe('LoadBalancerNotFound');
  });

  it('blocks DeleteSubnet and DeleteSecurityGroup while the load balancer exists; deleting it frees both and is idempotent', async () => {
    const [lb] = (await lbc.send(new elb.DescribeLoadBalancersCommand({ Names: ['c1-api'] }))).LoadBalancers!;
    await expect(e.send(new ec2.DeleteSubnetCommand({ SubnetId: subnets[1] }))).rejects.toMatchObject({ name: 'DependencyViolation' });
    await expect(e.send(new ec2.DeleteSecurityGroupCommand({ GroupId: sg }))).rejects.toMatchObject({ name: 'DependencyViolation' });
    expect((await lbc.send(new elb.DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners).toHaveLength(1);

    await lbc.send(new elb.DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    await lbc.send(new elb.DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn })); // gone already: still succeeds
    expect(sim.state.listeners.size).toBe(0);
    expect(await codeOf(lbc.send(new elb.DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn })))).toBe('LoadBalancerNotFound');
    const [tg] = (await lbc.send(new elb.DescribeTargetGroupsCommand({ Names: ['c1-api-6443'] }))).TargetGroups!;
    expect(tg.LoadBalancerArns).toEqual([]);

    await e.send(new ec2.DeleteSubnetCommand({ SubnetId: subnets[1] }));
    await e.send(new ec2.DeleteSecurityGroupCommand({ GroupId: sg }));
    // The internal load balancer still holds the first subnet.
    await expect(e.send(new ec2.DeleteSubnetCommand({ SubnetId: subnets[0] }))).rejects.toMatchObject({ name: 'DependencyViolation' });
  });

  it('counts calls and shows the resources in /_sim', async () => {
    const calls = (await (await fetch(`${sim.url}/_sim/calls`)).json()) as Record<string, { calls: number; errors: Record<string, number> }>;
    expect(calls['elbv2:CreateLoadBalancer'].calls).toBeGreaterThanOrEqual(4);
    expect(calls['elbv2:CreateLoadBalancer'].errors).toMatchObject({ InvalidSubnet: 1, DuplicateLoadBalancerName: 1 });
    const res = (await (await fetch(`${sim.url}/_sim/resources?kind=loadBalancers`)).json()) as { loadBalancers: { name: string }[] };
    expect(res.loadBalancers.map((l) => l.name)).toEqual(['c1-internal']);
  });
});

describe('snapshots', () => {
  it('resumes a provisioning load balancer after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'elbv2-sim-'));
    try {
      const first = await startSim({ dataDir, latencies: { 'loadBalancer.active': { typical: 1e6, min: 1e6, max: 1e6 } } });
      first.state.faults.apply({ eventualConsistency: { enabled: false, windowSeconds: 1 } });
      const e1 = ec2Client(first);
      const v = (await e1.send(new ec2.CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc!.VpcId!;
      const s = (await e1.send(new ec2.CreateSubnetCommand({ VpcId: v, CidrBlock: '10.9.0.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
      const c1 = new elb.ElasticLoadBalancingV2Client({ endpoint: first.url, region: 'us-east-1', credentials });
      const arn = (await c1.send(new elb.CreateLoadBalancerCommand({ Name: 'kept', Type: 'network', Scheme: 'internal', Subnets: [s] }))).LoadBalancers![0].LoadBalancerArn!;
      await first.stop();

      const second = await startSim({ dataDir, latencies: { 'loadBalancer.active': { typical: 1, min: 1, max: 1 } } });
      try {
        second.state.faults.apply({ eventualConsistency: { enabled: false, windowSeconds: 1 } });
        const c2 = new elb.ElasticLoadBalancingV2Client({ endpoint: second.url, region: 'us-east-1', credentials });
        await until(async () => (await c2.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }))).LoadBalancers![0].State?.Code === 'active');
        expect(second.state.networkInterfaces.size).toBe(1);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
