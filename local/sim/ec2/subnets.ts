/** Subnets: create (inside the VPC's CIDR, no overlap), describe, attributes, delete. */
import type {
  CreateSubnetRequest,
  CreateSubnetResult,
  DeleteSubnetRequest,
  DescribeSubnetsRequest,
  DescribeSubnetsResult,
  ModifySubnetAttributeRequest,
  Subnet,
} from '@aws-sdk/client-ec2';
import ipaddr from 'ipaddr.js';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimSubnet } from '../core/types';
import { applyFilters, mustGet, paginate, required, selectByIds, tagList, tagsFromSpecs } from './common';
import { resolveZone } from './zones';

function range(cidr: string): [number, number] {
  const [addr, bits] = ipaddr.parseCIDR(cidr);
  const n = (addr as ipaddr.IPv4).toByteArray().reduce((a, b) => a * 256 + b, 0);
  const size = 2 ** (32 - bits);
  const start = n - (n % size);
  return [start, start + size - 1];
}

export function toSdkSubnet(s: SimSubnet, ownerId: string): Subnet {
  const size = range(s.cidrBlock)[1] - range(s.cidrBlock)[0] + 1;
  return {
    SubnetId: s.id,
    SubnetArn: `arn:aws:ec2:${s.region}:${ownerId}:subnet/${s.id}`,
    VpcId: s.vpcId,
    CidrBlock: s.cidrBlock,
    AvailabilityZone: s.availabilityZone,
    AvailabilityZoneId: s.availabilityZoneId,
    State: s.state,
    AvailableIpAddressCount: Math.max(0, size - 5 - s.ipCursor),
    MapPublicIpOnLaunch: s.mapPublicIpOnLaunch,
    DefaultForAz: false,
    OwnerId: ownerId,
    Tags: tagList(s.tags),
  };
}

const createSubnet: QueryHandler = (input: CreateSubnetRequest, ctx: SimContext): CreateSubnetResult => {
  const { state } = ctx;
  const vpc = mustGet(state, state.vpcs, required(input.VpcId, 'VpcId'), 'InvalidVpcID.NotFound', ctx);
  const cidr = required(input.CidrBlock, 'CidrBlock');
  let r: [number, number];
  try {
    r = range(cidr);
  } catch {
    throw new SimError('InvalidParameterValue', `Value (${cidr}) for parameter cidrBlock is invalid.`);
  }
  const bits = Number(cidr.split('/')[1]);
  const v = range(vpc.cidrBlock);
  if (bits < 16 || bits > 28 || r[0] < v[0] || r[1] > v[1]) {
    throw new SimError('InvalidSubnet.Range', `The CIDR '${cidr}' is invalid.`);
  }
  for (const s of state.subnets.values()) {
    if (s.vpcId !== vpc.id) continue;
    const o = range(s.cidrBlock);
    if (r[0] <= o[1] && o[0] <= r[1]) throw new SimError('InvalidSubnet.Conflict', `The CIDR '${cidr}' conflicts with another subnet`);
  }
  const zone = resolveZone(ctx.region, input.AvailabilityZone, input.AvailabilityZoneId);
  const id = state.newId('subnet');
  const subnet: SimSubnet = {
    ...state.base(id, ctx.region, tagsFromSpecs(input.TagSpecifications, 'subnet')),
    vpcId: vpc.id,
    cidrBlock: cidr,
    availabilityZone: zone.name,
    availabilityZoneId: zone.id,
    state: 'pending',
    mapPublicIpOnLaunch: false,
    ipCursor: 0,
  };
  state.subnets.set(id, subnet);
  state.clock.after(state.latency.sample('subnet.available'), () => {
    subnet.state = 'available';
  });
  return { Subnet: toSdkSubnet(subnet, state.accountId) };
};

const describeSubnets: QueryHandler = (input: DescribeSubnetsRequest, ctx: SimContext): DescribeSubnetsResult => {
  const { state } = ctx;
  const items = applyFilters(selectByIds(state, state.subnets, input.SubnetIds, 'InvalidSubnetID.NotFound', ctx), input.Filters, {
    'subnet-id': (s) => s.id,
    'vpc-id': (s) => s.vpcId,
    'cidr-block': (s) => s.cidrBlock,
    cidr: (s) => s.cidrBlock,
    cidrBlock: (s) => s.cidrBlock,
    'availability-zone': (s) => s.availabilityZone,
    availabilityZone: (s) => s.availabilityZone,
    'availability-zone-id': (s) => s.availabilityZoneId,
    state: (s) => s.state,
    'map-public-ip-on-launch': (s) => s.mapPublicIpOnLaunch,
    'default-for-az': () => false,
  });
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  return { Subnets: page.map((s) => toSdkSubnet(s, state.accountId)), NextToken: nextToken };
};

const deleteSubnet: QueryHandler = (input: DeleteSubnetRequest, ctx: SimContext) => {
  const { state } = ctx;
  const subnet = mustGet(state, state.subnets, input.SubnetId, 'InvalidSubnetID.NotFound', ctx);
  const inUse =
    [...state.instances.values()].some((i) => i.subnetId === subnet.id && i.state !== 'terminated') ||
    [...state.networkInterfaces.values()].some((n) => n.subnetId === subnet.id) ||
    [...state.natGateways.values()].some((n) => n.subnetId === subnet.id && n.state !== 'deleted');
  if (inUse) throw new SimError('DependencyViolation', `The subnet '${subnet.id}' has dependencies and cannot be deleted.`);
  for (const rt of state.routeTables.values()) rt.associations = rt.associations.filter((a) => a.subnetId !== subnet.id);
  state.subnets.delete(subnet.id);
  return {};
};

const modifySubnetAttribute: QueryHandler = (input: ModifySubnetAttributeRequest, ctx: SimContext) => {
  const subnet = mustGet(ctx.state, ctx.state.subnets, input.SubnetId, 'InvalidSubnetID.NotFound', ctx);
  if (input.MapPublicIpOnLaunch?.Value !== undefined) subnet.mapPublicIpOnLaunch = input.MapPublicIpOnLaunch.Value;
  return {};
};

export const subnetHandlers = {
  CreateSubnet: createSubnet,
  DescribeSubnets: describeSubnets,
  DeleteSubnet: deleteSubnet,
  ModifySubnetAttribute: modifySubnetAttribute,
};
