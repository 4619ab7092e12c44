import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../../local/sim/server';
import { ec2Client, startSim, until } from './sim-helpers';

let sim: SimServer;
let client: ec2.EC2Client;

beforeAll(async () => {
  sim = await startSim();
  // Most tests here are about shapes and rules, not the consistency window.
  sim.state.faults.apply({ eventualConsistency: { enabled: false, windowSeconds: 1 } });
  client = ec2Client(sim);
});
afterAll(() => sim.stop());

async function vpc(cidr = '10.0.0.0/16') {
  const r = await client.send(new ec2.CreateVpcCommand({ CidrBlock: cidr, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 't' }] }] }));
  return r.Vpc!.VpcId!;
}

describe('VPCs and subnets', () => {
  it('creates a VPC that turns available, with a main route table and default group', async () => {
    const id = await vpc();
    const v = await until(async () => (await client.send(new ec2.DescribeVpcsCommand({ VpcIds: [id] }))).Vpcs?.find((x) => x.State === 'available'));
    expect(v.Tags).toEqual([{ Key: 'Name', Value: 't' }]);
    const rts = await client.send(new ec2.DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [id] }, { Name: 'association.main', Values: ['true'] }] }));
    expect(rts.RouteTables).toHaveLength(1);
    const sgs = await client.send(new ec2.DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [id] }, { Name: 'group-name', Values: ['default'] }] }));
    expect(sgs.SecurityGroups).toHaveLength(1);
  });

  it('answers InvalidVpcID.NotFound for an unknown VPC', async () => {
    await expect(client.send(new ec2.DescribeVpcsCommand({ VpcIds: ['vpc-0123456789abcdef0'] }))).rejects.toMatchObject({ name: 'InvalidVpcID.NotFound' });
  });

  it('refuses overlapping subnets with InvalidSubnet.Conflict', async () => {
    const id = await vpc('10.1.0.0/16');
    await client.send(new ec2.CreateSubnetCommand({ VpcId: id, CidrBlock: '10.1.0.0/24', AvailabilityZone: 'us-east-1a' }));
    await expect(client.send(new ec2.CreateSubnetCommand({ VpcId: id, CidrBlock: '10.1.0.0/23', AvailabilityZone: 'us-east-1b' }))).rejects.toMatchObject({
      name: 'InvalidSubnet.Conflict',
    });
  });

  it('refuses to delete a VPC with subnets (DependencyViolation), then deletes it once empty', async () => {
    const id = await vpc('10.2.0.0/16');
    const s = await client.send(new ec2.CreateSubnetCommand({ VpcId: id, CidrBlock: '10.2.1.0/24', AvailabilityZone: 'us-east-1a' }));
    await expect(client.send(new ec2.DeleteVpcCommand({ VpcId: id }))).rejects.toMatchObject({ name: 'DependencyViolation' });
    await client.send(new ec2.DeleteSubnetCommand({ SubnetId: s.Subnet!.SubnetId }));
    await client.send(new ec2.DeleteVpcCommand({ VpcId: id }));
    await expect(client.send(new ec2.DescribeVpcsCommand({ VpcIds: [id] }))).rejects.toMatchObject({ name: 'InvalidVpcID.NotFound' });
  });

  it('filters by tag and pages with MaxResults/NextToken', async () => {
    for (let i = 0; i < 5; i++) {
      await client.send(new ec2.CreateVpcCommand({ CidrBlock: `10.${100 + i}.0.0/16`, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'page', Value: 'yes' }] }] }));
    }
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const r = await client.send(new ec2.DescribeVpcsCommand({ Filters: [{ Name: 'tag:page', Values: ['yes'] }], MaxResults: 2, NextToken: token }));
      expect(r.Vpcs!.length).toBeLessThanOrEqual(2);
      seen.push(...r.Vpcs!.map((v) => v.VpcId!));
      token = r.NextToken;
    } while (token);
    expect(new Set(seen).size).toBe(5);
  });

  it('lists the signing region’s availability zones', async () => {
    const r = await client.send(new ec2.DescribeAvailabilityZonesCommand({}));
    expect(r.AvailabilityZones!.map((z) => z.ZoneName)).toContain('us-east-1a');
    const eu = new ec2.EC2Client({ endpoint: sim.url, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const r2 = await eu.send(new ec2.DescribeAvailabilityZonesCommand({}));
    expect(r2.AvailabilityZones!.map((z) => z.ZoneName)).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });
});

describe('gateways, addresses and routes', () => {
  it('builds public routing and refuses deletes that have dependencies', async () => {
    const id = await vpc('10.3.0.0/16');
    const subnet = (await client.send(new ec2.CreateSubnetCommand({ VpcId: id, CidrBlock: '10.3.0.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const igw = (await client.send(new ec2.CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await client.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: id }));
    await expect(client.send(new ec2.DeleteInternetGatewayCommand({ InternetGatewayId: igw }))).rejects.toMatchObject({ name: 'DependencyViolation' });

    const rt = (await client.send(new ec2.CreateRouteTableCommand({ VpcId: id, ClientToken: 'rt-1' }))).RouteTable!.RouteTableId!;
    const again = (await client.send(new ec2.CreateRouteTableCommand({ VpcId: id, ClientToken: 'rt-1' }))).RouteTable!.RouteTableId!;
    expect(again).toBe(rt);
    await client.send(new ec2.CreateRouteCommand({ RouteTableId: rt, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
    await client.send(new ec2.AssociateRouteTableCommand({ RouteTableId: rt, SubnetId: subnet }));
    await expect(client.send(new ec2.AssociateRouteTableCommand({ RouteTableId: rt, SubnetId: subnet }))).rejects.toMatchObject({ name: 'Resource.AlreadyAssociated' });
    await expect(client.send(new ec2.DeleteRouteTableCommand({ RouteTableId: rt }))).rejects.toMatchObject({ name: 'DependencyViolation' });

    const eip = await client.send(new ec2.AllocateAddressCommand({ Domain: 'vpc' }));
    const nat = await client.send(new ec2.CreateNatGatewayCommand({ SubnetId: subnet, AllocationId: eip.AllocationId, ClientToken: 'nat-1' }));
    const natAgain = await client.send(new ec2.CreateNatGatewayCommand({ SubnetId: subnet, AllocationId: eip.AllocationId, ClientToken: 'nat-1' }));
    expect(natAgain.NatGateway!.NatGatewayId).toBe(nat.NatGateway!.NatGatewayId);
    expect(nat.NatGateway!.State).toBe('pending');
    await expect(client.send(new ec2.ReleaseAddressCommand({ AllocationId: eip.AllocationId }))).rejects.toMatchObject({ name: 'DependencyViolation' });
    const natId = nat.NatGateway!.NatGatewayId!;
    await until(async () => (await client.send(new ec2.DescribeNatGatewaysCommand({ NatGatewayIds: [natId] }))).NatGateways![0].State === 'available');
    await expect(client.send(new ec2.DeleteSubnetCommand({ SubnetId: subnet }))).rejects.toMatchObject({ name: 'DependencyViolation' });
    await client.send(new ec2.DeleteNatGatewayCommand({ NatGatewayId: natId }));
    await until(async () => (await client.send(new ec2.DescribeNatGatewaysCommand({ NatGatewayIds: [natId] }))).NatGateways![0].State === 'deleted');
    await client.send(new ec2.ReleaseAddressCommand({ AllocationId: eip.AllocationId }));
    await expect(client.send(new ec2.DescribeNatGatewaysCommand({ NatGatewayIds: ['nat-0000000000000000f'] }))).rejects.toMatchObject({ name: 'NatGatewayNotFound' });
  });
});

describe('security groups', () => {
  it('authorizes by CIDR and by source group, rejects duplicates, and guards referenced groups', async () => {
    const id = await vpc('10.4.0.0/16');
    const a = (await client.send(new ec2.CreateSecurityGroupCommand({ VpcId: id, GroupName: 'a', Description: 'a' }))).GroupId!;
    const b = (await client.send(new ec2.CreateSecurityGroupCommand({ VpcId: id, GroupName: 'b', Description: 'b' }))).GroupId!;
    const perm = { IpProtocol: 'tcp', FromPort: 6443, ToPort: 6443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] };
    await client.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: a, IpPermissions: [perm] }));
    await expect(client.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: a, IpPermissions: [perm] }))).rejects.toMatchObject({
      name: 'InvalidPermission.Duplicate',
    });
    await client.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: a, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: b }] }] }));
    const g = (await client.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: [a] }))).SecurityGroups![0];
    expect(g.IpPermissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ IpProtocol: 'tcp', FromPort: 6443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }),
        expect.objectContaining({ IpProtocol: '-1', UserIdGroupPairs: [expect.objectContaining({ GroupId: b })] }),
      ]),
    );
    await expect(client.send(new ec2.DeleteSecurityGroupCommand({ GroupId: b }))).rejects.toMatchObject({ name: 'DependencyViolation' });
    await client.send(new ec2.RevokeSecurityGroupIngressCommand({ GroupId: a, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: b }] }] }));
    await client.send(new ec2.DeleteSecurityGroupCommand({ GroupId: b }));
    await expect(client.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: [b] }))).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' });
  });
});
