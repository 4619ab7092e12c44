import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import { startStepEnv, type StepEnv } from '../helpers/step-env';
import { ensureVpc } from '../../functions/network/ensure-vpc';
import { ensureZoneSubnets } from '../../functions/network/ensure-zone-subnets';
import { ensureNatGateway } from '../../functions/network/ensure-nat-gateway';
import { checkNatGateway } from '../../functions/network/check-nat-gateway';
import { ensureSecurityGroups } from '../../functions/network/ensure-security-groups';
import { clientToken } from '../../functions/network/common';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import { tagRecord } from '../../shared/tags';
import { resourceIds, runNetwork, simList } from './helpers';

let env: StepEnv;
beforeAll(async () => {
  env = await startStepEnv();
});
afterAll(async () => {
  await env?.stop();
});

const ZONES = ['us-east-1a', 'us-east-1b'];
let counter = 0;
/** A fresh cluster name per test: the simulator and table are shared by the file. */
const uniqueName = (prefix: string) => `${prefix}${++counter}`;

describe('private topology, NAT per zone', () => {
  it('creates the network, tagged and recorded, and a second run creates nothing', async () => {
    const name = uniqueName('net');
    const { spec, operationId } = await env.createCluster({ name, region: 'us-east-1', zones: ZONES, tags: { team: 'infra' } });
    const net = await runNetwork(env, name, operationId, ZONES);

    const vpc = (await simList(env, 'vpcs')).find((v) => v.id === net.vpcId)!;
    expect(vpc.tags).toMatchObject({ [`kubernetes.io/cluster/${name}`]: 'owned', 'hopper:cluster': name, 'hopper:role': 'vpc', team: 'infra' });
    expect(vpc.cidrBlock).toBe(spec.networkCidr);
    const ec2 = env.deps.clients.ec2;
    const dns = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: net.vpcId, Attribute: 'enableDnsHostnames' }));
    expect(dns.EnableDnsHostnames?.Value).toBe(true);

    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [net.vpcId] }] }))).Subnets!;
    expect(subnets).toHaveLength(4);
    for (const zone of net.subnets) {
      const utility = subnets.find((s) => s.SubnetId === zone.utilitySubnetId)!;
      const priv = subnets.find((s) => s.SubnetId === zone.privateSubnetId)!;
      expect(utility.AvailabilityZone).toBe(zone.zone);
      expect(utility.MapPublicIpOnLaunch).toBe(true);
      expect(tagRecord(utility.Tags)).toMatchObject({ 'kubernetes.io/role/elb': '1', 'hopper:zone': zone.zone, 'hopper:role': 'utility-subnet' });
      expect(priv.MapPublicIpOnLaunch).toBeFalsy();
      expect(tagRecord(priv.Tags)).toMatchObject({ 'kubernetes.io/role/internal-elb': '1', 'hopper:role': 'private-subnet' });
      expect(utility.CidrBlock).toBe(spec.subnets.find((s) => s.zone === zone.zone && s.type === 'utility')!.cidr);
    }

    // Routing: the utility subnets go out through the gateway, each private one through its zone's NAT.
    const tables = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [net.vpcId] }] }))).RouteTables!;
    const publicTable = tables.find((t) => t.RouteTableId === net.routeTableId)!;
    expect(publicTable.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')?.GatewayId).toBe(net.internetGatewayId);
    expect(publicTable.Associations?.map((a) => a.SubnetId).sort()).toEqual(net.subnets.map((s) => s.utilitySubnetId).sort());
    expect(net.natGateways).toHaveLength(2);
    expect(net.privateRouteTableIds).toHaveLength(2);
    for (const zone of net.subnets) {
      const table = tables.find((t) => t.Associations?.some((a) => a.SubnetId === zone.privateSubnetId))!;
      const nat = net.natGateways.find((n) => n.zone === zone.zone)!;
      expect(table.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')?.NatGatewayId).toBe(nat.natGatewayId);
    }

    const inventory = await env.deps.store.listResources(name);
    const count = (type: string) => inventory.filter((r) => r.type === type).length;
    expect({
      vpc: count('vpc'),
      subnet: count('subnet'),
      igw: count('internet-gateway'),
      rtb: count('route-table'),
      nat: count('nat-gateway'),
      eip: count('elastic-ip'),
      sg: count('security-group'),
    }).toEqual({ vpc: 1, subnet: 4, igw: 1, rtb: 3, nat: 2, eip: 2, sg: 2 });
    expect(inventory.every((r) => r.ownership === 'owned')).toBe(true);
    expect(inventory.find((r) => r.type === 'nat-gateway' && r.zone === 'us-east-1b')?.id).toBe(net.natGateways[1].natGatewayId);

    const before = await resourceIds(env);
    const again = await runNetwork(env, name, operationId, ZONES);
    expect(await resourceIds(env)).toEqual(before);
    expect(again).toEqual(net);
    expect((await env.deps.store.listResources(name)).length).toBe(inventory.length);
  });

  it('waits for a NAT gateway: NotReadyError while pending, then available', async () => {
    const name = uniqueName('nat');
    const { operationId } = await env.createCluster({ name, region: 'us-east-1', zones: ZONES });
    // Slow NAT gateways down so "pending" is observable at time scale 1000.
    await fetch(`${env.simUrl}/_sim/latencies`, { method: 'POST', body: JSON.stringify({ 'natGateway.available': { typical: 600, min: 600, max: 600 } }) });
    try {
      const net = await runNetwork(env, name, operationId, ['us-east-1a']);
      const { natGatewayId } = net.natGateways[0];
      await expect(checkNatGateway({ natGatewayId, zone: 'us-east-1a' }, env.deps)).rejects.toBeInstanceOf(NotReadyError);
    } finally {
      await fetch(`${env.simUrl}/_sim/latencies`, { method: 'POST', body: JSON.stringify({ 'natGateway.available': { typical: 90, min: 60, max: 180 } }) });
    }
    const name2 = uniqueName('nat');
    const second = await env.createCluster({ name: name2, region: 'us-east-1', zones: ['us-east-1a'] });
    const net2 = await runNetwork(env, name2, second.operationId, ['us-east-1a']);
    const { natGatewayId } = net2.natGateways[0];
    let result;
    for (let i = 0; i < 100 && !result; i++) {
      result = await checkNatGateway({ natGatewayId, zone: 'us-east-1a' }, env.deps).catch((err: unknown) => {
        if (!(err instanceof NotReadyError)) throw err;
        return new Promise<undefined>((r) => setTimeout(() => r(undefined), 50));
      });
    }
    expect(result).toEqual({ natGatewayId, state: 'available' });
  });
});

describe('NAT modes and topology', () => {
  it('natMode single: one NAT gateway in the first zone, every private subnet routed through it', async () => {
    const name = uniqueName('single');
    const { operationId } = await env.createCluster({ name, region: 'us-east-1', zones: ZONES, natMode: 'single' });
    const net = await runNetwork(env, name, operationId, ['us-east-1a']);
    const nats = (await simList(env, 'natGateways')).filter((n) => n.tags?.['hopper:cluster'] === name);
    expect(nats.map((n) => n.subnetId)).toEqual([net.subnets[0].utilitySubnetId]);
    const tables = (await env.deps.clients.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: net.privateRouteTableIds }))).RouteTables!;
    expect(tables).toHaveLength(2);
    for (const t of tables) expect(t.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')?.NatGatewayId).toBe(nats[0].id);
  });

  it('public topology: one public subnet per zone, returned as both, no NAT and no private route tables', async () => {
    const name = uniqueName('pub');
    const { operationId } = await env.createCluster({ name, region: 'us-east-1', zones: ZONES, topology: 'public' });
    const net = await runNetwork(env, name, operationId, []);
    for (const zone of net.subnets) expect(zone.privateSubnetId).toBe(zone.utilitySubnetId);
    const subnets = (await simList(env, 'subnets')).filter((s) => s.vpcId === net.vpcId);
    expect(subnets).toHaveLength(2);
    for (const s of subnets) {
      expect(s.tags).toMatchObject({ 'hopper:role': 'public-subnet', 'kubernetes.io/role/elb': '1' });
      expect(s.mapPublicIpOnLaunch).toBe(true);
    }
    expect(net.natGateways).toEqual([]);
    expect(net.privateRouteTableIds).toEqual([]);
  });
});

describe('crash after the side effect', () => {
  it('adopts the VPC a lost first call created instead of creating a second one', async () => {
    const name = uniqueName('crash');
    await env.createCluster({ name, region: 'us-east-1', zones: ZONES });
    const first = await ensureVpc({ cluster: name }, env.deps);
    const before = await resourceIds(env);
    const second = await ensureVpc({ cluster: name }, env.deps);
    expect(second).toEqual(first);
    expect(await resourceIds(env)).toEqual(before);
  });

  it('adopts a tagged subnet created just before a crash and records it', async () => {
    const name = uniqueName('crash');
    const { spec, operationId } = await env.createCluster({ name, region: 'us-east-1', zones: ZONES });
    const { vpcId } = await ensureVpc({ cluster: name }, env.deps);
    const cidr = spec.subnets.find((s) => s.zone === 'us-east-1a' && s.type === 'utility')!.cidr;
    // What CreateSubnet left before the step died: the tagged subnet, nothing in the inventory.
    const orphan = await env.deps.clients.ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        AvailabilityZone: 'us-east-1a',
        CidrBlock: cidr,
        TagSpecifications: [
          {
            ResourceType: 'subnet',
            Tags: [
              { Key: `kubernetes.io/cluster/${name}`, Value: 'owned' },
              { Key: 'hopper:role', Value: 'utility-subnet' },
              { Key: 'hopper:zone', Value: 'us-east-1a' },
            ],
          },
        ],
      }),
    );
    const out = await ensureZoneSubnets({ cluster: name, operationId, vpcId, zone: 'us-east-1a' }, env.deps);
    expect(out.utilitySubnetId).toBe(orphan.Subnet!.SubnetId);
    const inventory = await env.deps.store.listResources(name);
    expect(inventory.some((r) => r.type === 'subnet' && r.id === out.utilitySubnetId)).toBe(true);
  });

  it('a NAT gateway whose answer was lost is found again: one gateway, one Elastic IP', async () => {
    const name = uniqueName('crash');
    const { operationId } = await env.createCluster({ name, region: 'us-east-1', zones: ZONES });
    const net = await runNetwork(env, name, operationId, [], { natAndAfter: false });
    const first = await ensureNatGateway({ cluster: name, operationId, zone: 'us-east-1b', subnets: net.subnets }, env.deps);
    const second = await ensureNatGateway({ cluster: name, operationId, zone: 'us-east-1b', subnets: net.subnets }, env.deps);
    expect(second.natGatewayId).toBe(first.natGatewayId);
    const mine = (items: Array<{ tags?: Record<string, string> }>) => items.filter((i) => i.tags?.['hopper:cluster'] === name);
    expect(mine(await simList(env, 'natGateways'))).toHaveLength(1);
    expect(mine(await simList(env, 'addresses'))).toHaveLength(1);
  });

  it('derives ClientTokens deterministically, within 64 characters', () => {
    const a = clientToken('uid-1', 'op-1', 'nat-gateway', 'us-east-1a');
    expect(a).toBe(clientToken('uid-1', 'op-1', 'nat-gateway', 'us-east-1a'));
    expect(a).not.toBe(clientToken('uid-1', 'op-1', 'nat-gateway', 'us-east-1b'));
    expect(a.length).toBeLessThanOrEqual(64);
  });
});

describe('a brought VPC and subnets', () => {
  async function bringNetwork() {
    const ec2 = env.deps.clients.ec2;
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'theirs' }] }] }))).Vpc!;
    const make = async (zone: string, cidr: string) =>
      (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, AvailabilityZone: zone, CidrBlock: cidr }))).Subnet!.SubnetId!;
    return {
      vpcId: vpc.VpcId!,
      utility: await make('us-east-1a', '10.50.0.0/20'),
      private: await make('us-east-1a', '10.50.32.0/19'),
      elsewhere: await make('us-east-1b', '10.50.64.0/19'),
    };
  }

  it('verifies them and adds only the shared tag, changing nothing else', async () => {
    const theirs = await bringNetwork();
    const name = uniqueName('byo');
    const { operationId } = await env.createCluster({
      name,
      region: 'us-east-1',
      zones: ['us-east-1a'],
      vpcId: theirs.vpcId,
      networkCidr: '10.50.0.0/16',
      subnets: [
        { zone: 'us-east-1a', type: 'utility', cidr: '10.50.0.0/20', id: theirs.utility },
        { zone: 'us-east-1a', type: 'private', cidr: '10.50.32.0/19', id: theirs.private },
      ],
    });
    const strip = (r: Record<string, unknown>) => ({ ...r, tags: undefined, state: undefined });
    const findIn = async (kind: string, id: string) => (await simList(env, kind)).find((r) => r.id === id)!;
    const vpcBefore = await findIn('vpcs', theirs.vpcId);
    const subnetBefore = await findIn('subnets', theirs.utility);

    const vpc = await ensureVpc({ cluster: name }, env.deps);
    expect(vpc).toEqual({ vpcId: theirs.vpcId, cidr: '10.50.0.0/16', ownership: 'shared' });
    const zone = await ensureZoneSubnets({ cluster: name, operationId, vpcId: theirs.vpcId, zone: 'us-east-1a' }, env.deps);
    expect(zone).toEqual({ zone: 'us-east-1a', utilitySubnetId: theirs.utility, privateSubnetId: theirs.private });

    const vpcAfter = await findIn('vpcs', theirs.vpcId);
    const subnetAfter = await findIn('subnets', theirs.utility);
    expect(vpcAfter.tags).toEqual({ Name: 'theirs', [`kubernetes.io/cluster/${name}`]: 'shared' });
    expect(subnetAfter.tags).toEqual({ [`kubernetes.io/cluster/${name}`]: 'shared' });
    expect(strip(vpcAfter)).toEqual(strip(vpcBefore));
    expect(strip(subnetAfter)).toEqual(strip(subnetBefore));
    const dns = await env.deps.clients.ec2.send(new DescribeVpcAttributeCommand({ VpcId: theirs.vpcId, Attribute: 'enableDnsHostnames' }));
    expect(dns.EnableDnsHostnames?.Value).toBe(false);
    // (Its host roles, made when the test stored the cluster, are the cluster's own.)
    const inventory = (await env.deps.store.listResources(name)).filter((r) => r.type !== 'host-role');
    expect(inventory.map((r) => [r.type, r.ownership])).toEqual([
      ['subnet', 'shared'],
      ['subnet', 'shared'],
      ['vpc', 'shared'],
    ]);
  });

  it('fails with a readable message for a brought subnet in the wrong zone', async () => {
    const theirs = await bringNetwork();
    const name = uniqueName('byo');
    const { operationId } = await env.createCluster({
      name,
      region: 'us-east-1',
      zones: ['us-east-1a'],
      vpcId: theirs.vpcId,
      networkCidr: '10.50.0.0/16',
      subnets: [
        { zone: 'us-east-1a', type: 'utility', cidr: '10.50.64.0/19', id: theirs.elsewhere },
        { zone: 'us-east-1a', type: 'private', cidr: '10.50.32.0/19', id: theirs.private },
      ],
    });
    const run = ensureZoneSubnets({ cluster: name, operationId, vpcId: theirs.vpcId, zone: 'us-east-1a' }, env.deps);
    await expect(run).rejects.toBeInstanceOf(StepFailedError);
    await expect(run).rejects.toThrow(`The utility subnet ${theirs.elsewhere} given for us-east-1a is in us-east-1b, not in us-east-1a`);
  });

  it('fails when the brought VPC does not exist', async () => {
    const name = uniqueName('byo');
    await env.createCluster({ name, region: 'us-east-1', zones: ['us-east-1a'], vpcId: 'vpc-0123456789abcdef0', networkCidr: '10.60.0.0/16' });
    await expect(ensureVpc({ cluster: name }, env.deps)).rejects.toThrow('The VPC vpc-0123456789abcdef0 given in spec.vpcId does not exist');
  });
});

describe('security groups', () => {
  /** Every ingress rule as `group | protocol ports | source`, sources by group key or CIDR. */
  async function matrix(groups: Record<string, string | undefined>): Promise<string[]> {
    const byId = Object.fromEntries(Object.entries(groups).map(([k, v]) => [v, k]));
    const out = await env.deps.clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: Object.values(groups).filter((g): g is string => !!g) }));
    const rows: string[] = [];
    for (const g of out.SecurityGroups ?? []) {
      for (const p of g.IpPermissions ?? []) {
        const ports = p.IpProtocol === '-1' ? 'all' : p.FromPort === undefined ? `${p.IpProtocol}` : `${p.IpProtocol} ${p.FromPort}${p.FromPort === p.ToPort ? '' : `-${p.ToPort}`}`;
        for (const r of p.IpRanges ?? []) rows.push(`${byId[g.GroupId!]} | ${ports} | ${r.CidrIp}`);
        for (const r of p.UserIdGroupPairs ?? []) rows.push(`${byId[g.GroupId!]} | ${ports} | ${byId[r.GroupId!]}`);
      }
    }
    return rows.sort();
  }

  it.each([
    {
      title: 'HA control plane behind a load balancer, with a bastion',
      input: {
        controlPlane: { count: 3 },
        api: { loadBalancer: { type: 'public' }, accessCidrs: ['198.51.100.0/24'] },
        bastion: { enabled: true },
        sshAccessCidrs: ['203.0.113.0/24'],
      },
      expected: (vpc: string, lb: string[]) => [
        'controlPlane | all | controlPlane',
        'controlPlane | tcp 6443 | nodes',
        'controlPlane | tcp 6443 | apiLoadBalancer',
        ...lb.map((cidr) => `controlPlane | tcp 6443 | ${cidr}`),
        'controlPlane | tcp 2379-2380 | controlPlane',
        'controlPlane | tcp 1-2378 | nodes',
        'controlPlane | tcp 2381-65535 | nodes',
        'controlPlane | udp 1-65535 | nodes',
        'controlPlane | 4 | nodes',
        'controlPlane | tcp 10250 | controlPlane',
        'controlPlane | tcp 10257 | controlPlane',
        'controlPlane | tcp 10259 | controlPlane',
        'controlPlane | tcp 22 | bastion',
        'nodes | all | nodes',
        'nodes | all | controlPlane',
        `nodes | tcp 30000-32767 | ${vpc}`,
        'nodes | tcp 22 | bastion',
        'apiLoadBalancer | tcp 6443 | 198.51.100.0/24',
        'bastion | tcp 22 | 203.0.113.0/24',
      ],
    },
    {
      title: 'a single control plane reached directly, no bastion',
      input: { controlPlane: { count: 1 }, api: { loadBalancer: null, accessCidrs: ['198.51.100.0/24'] } },
      expected: (vpc: string) => [
        'controlPlane | all | controlPlane',
        'controlPlane | tcp 6443 | nodes',
        'controlPlane | tcp 6443 | 198.51.100.0/24',
        'controlPlane | tcp 2379-2380 | controlPlane',
        'controlPlane | tcp 1-2378 | nodes',
        'controlPlane | tcp 2381-65535 | nodes',
        'controlPlane | udp 1-65535 | nodes',
        'controlPlane | 4 | nodes',
        'controlPlane | tcp 10250 | controlPlane',
        'controlPlane | tcp 10257 | controlPlane',
        'controlPlane | tcp 10259 | controlPlane',
        'nodes | all | nodes',
        'nodes | all | controlPlane',
        `nodes | tcp 30000-32767 | ${vpc}`,
      ],
    },
  ])('opens exactly the Kubernetes port matrix: $title', async ({ input, expected }) => {
    const name = uniqueName('sg');
    const { spec } = await env.createCluster({ name, region: 'us-east-1', zones: ZONES, ...input });
    const { vpcId } = await ensureVpc({ cluster: name }, env.deps);
    const groups = await ensureSecurityGroups({ cluster: name, vpcId }, env.deps);
    const lbSubnets = spec.subnets.filter((s) => s.type === 'utility').map((s) => s.cidr);
    expect(await matrix(groups)).toEqual(expected(spec.networkCidr, lbSubnets).sort());

    const before = await resourceIds(env);
    const calls = async () => ((await (await fetch(`${env.simUrl}/_sim/calls`)).json()) as Record<string, unknown>)['ec2:AuthorizeSecurityGroupIngress'];
    const authorizeBefore = JSON.stringify(await calls());
    expect(await ensureSecurityGroups({ cluster: name, vpcId }, env.deps)).toEqual(groups);
    expect(await resourceIds(env)).toEqual(before);
    expect(JSON.stringify(await calls())).toBe(authorizeBefore);
  });

  it('opens SSH to the world nowhere: the bastion has no SSH source by default', async () => {
    const name = uniqueName('ssh');
    await env.createCluster({ name, region: 'us-east-1', zones: ZONES, bastion: { enabled: true } });
    const { vpcId } = await ensureVpc({ cluster: name }, env.deps);
    const groups = await ensureSecurityGroups({ cluster: name, vpcId }, env.deps);
    const out = await env.deps.clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: Object.values(groups) as string[] }));
    const ssh = (out.SecurityGroups ?? []).flatMap((g) => (g.IpPermissions ?? []).filter((p) => p.IpProtocol === '-1' || (p.FromPort! <= 22 && p.ToPort! >= 22)));
    expect(ssh.flatMap((p) => p.IpRanges ?? [])).toEqual([]);
    const bastion = out.SecurityGroups!.find((g) => g.GroupId === groups.bastion)!;
    expect(bastion.IpPermissions ?? []).toEqual([]);
  });

  it('refuses sshAccessCidrs open to the whole internet', async () => {
    const name = uniqueName('ssh');
    const created = await env.createCluster({ name, region: 'us-east-1', zones: ZONES, bastion: { enabled: true }, sshAccessCidrs: ['0.0.0.0/0'] }).catch(() => undefined);
    if (!created) return; // the spec itself already refuses it: nothing for the step to do
    const { vpcId } = await ensureVpc({ cluster: name }, env.deps);
    await expect(ensureSecurityGroups({ cluster: name, vpcId }, env.deps)).rejects.toThrow(/0\.0\.0\.0\/0/);
  });
});

describe('EC2 a moment behind', () => {
  it('makes the VPC, the gateway, the subnets and the security groups in one run each while new ids still answer NotFound, and leaves a longer lag to the retry', async () => {
    const faults = env.sim.state.faults;
    const saved = { ...faults.state.eventualConsistency };
    try {
      // New ids unknown for 100 simulated seconds: 0.1 s here (× 1000), within the step's own second or so of asking again.
      faults.apply({ eventualConsistency: { enabled: true, windowSeconds: 100 } });
      const name = uniqueName('lag');
      const { operationId } = await env.createCluster({ name, region: 'us-east-1', zones: ['us-east-1a'] });
      const net = await runNetwork(env, name, operationId, ['us-east-1a'], { natAndAfter: false });
      await ensureSecurityGroups({ cluster: name, vpcId: net.vpcId }, env.deps);
      const dns = await env.deps.clients.ec2.send(new DescribeVpcAttributeCommand({ VpcId: net.vpcId, Attribute: 'enableDnsHostnames' }));
      expect(dns.EnableDnsHostnames?.Value).toBe(true);
      expect((await simList(env, 'subnets')).find((s) => s.id === net.subnets[0].utilitySubnetId)?.mapPublicIpOnLaunch).toBe(true);

      // Ten seconds behind: well past what the step waits for itself; the NotFound goes to the state machine's retry.
      faults.apply({ eventualConsistency: { enabled: true, windowSeconds: 10_000 } });
      const other = uniqueName('lag');
      await env.createCluster({ name: other, region: 'us-east-1', zones: ['us-east-1a'] });
      await expect(ensureVpc({ cluster: other }, env.deps)).rejects.toMatchObject({ name: 'InvalidVpcID.NotFound' });
    } finally {
      faults.apply({ eventualConsistency: saved });
    }
  });
});
