/** VPCs: create (with their main route table and default security group), describe, attributes, delete. */
import type {
  CreateVpcRequest,
  CreateVpcResult,
  DeleteVpcRequest,
  DescribeVpcAttributeRequest,
  DescribeVpcAttributeResult,
  DescribeVpcsRequest,
  DescribeVpcsResult,
  ModifyVpcAttributeRequest,
  Vpc,
} from '@aws-sdk/client-ec2';
import ipaddr from 'ipaddr.js';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimVpc } from '../core/types';
import { applyFilters, mustGet, paginate, required, selectByIds, tagList, tagsFromSpecs } from './common';

export function toSdkVpc(v: SimVpc, ownerId: string): Vpc {
  return {
    VpcId: v.id,
    CidrBlock: v.cidrBlock,
    State: v.state,
    DhcpOptionsId: 'dopt-00000000000000000',
    InstanceTenancy: 'default',
    IsDefault: v.isDefault,
    OwnerId: ownerId,
    CidrBlockAssociationSet: [{ AssociationId: `vpc-cidr-assoc-${v.id.slice(4)}`, CidrBlock: v.cidrBlock, CidrBlockState: { State: 'associated' } }],
    Tags: tagList(v.tags),
  };
}

function validCidr(cidr: string, min = 16, max = 28): void {
  let bits: number;
  try {
    const parsed = ipaddr.parseCIDR(cidr);
    bits = parsed[1];
    if (parsed[0].kind() !== 'ipv4') throw new Error('not ipv4');
  } catch {
    throw new SimError('InvalidParameterValue', `Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  }
  if (bits < min || bits > max) {
    throw new SimError('InvalidVpcRange', `The CIDR '${cidr}' is invalid.`);
  }
}

const createVpc: QueryHandler = (input: CreateVpcRequest, ctx: SimContext): CreateVpcResult => {
  const { state } = ctx;
  const cidr = required(input.CidrBlock, 'CidrBlock');
  validCidr(cidr);
  const id = state.newId('vpc');
  const rtbId = state.newId('rtb');
  const sgId = state.newId('sg');
  const vpc: SimVpc = {
    ...state.base(id, ctx.region, tagsFromSpecs(input.TagSpecifications, 'vpc')),
    cidrBlock: cidr,
    state: 'pending',
    enableDnsSupport: true,
    enableDnsHostnames: false,
    isDefault: false,
    mainRouteTableId: rtbId,
    defaultSecurityGroupId: sgId,
  };
  state.vpcs.set(id, vpc);
  // Every VPC comes with a main route table (local route) and a "default" group.
  state.routeTables.set(rtbId, {
    ...state.base(rtbId, ctx.region),
    vpcId: id,
    main: true,
    routes: [{ destinationCidrBlock: cidr, gatewayId: 'local', state: 'active', origin: 'CreateRouteTable' }],
    associations: [{ associationId: state.newId('rtbassoc'), main: true }],
  });
  state.securityGroups.set(sgId, {
    ...state.base(sgId, ctx.region),
    groupName: 'default',
    description: 'default VPC security group',
    vpcId: id,
    ingress: [{ ruleId: state.newId('sgr'), ipProtocol: '-1', referencedGroupId: sgId }],
    egress: [{ ruleId: state.newId('sgr'), ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' }],
  });
  state.clock.after(state.latency.sample('vpc.available'), () => {
    vpc.state = 'available';
  });
  return { Vpc: toSdkVpc(vpc, state.accountId) };
};

const describeVpcs: QueryHandler = (input: DescribeVpcsRequest, ctx: SimContext): DescribeVpcsResult => {
  const { state } = ctx;
  const items = applyFilters(selectByIds(state, state.vpcs, input.VpcIds, 'InvalidVpcID.NotFound', ctx), input.Filters, {
    'vpc-id': (v) => v.id,
    'cidr-block': (v) => v.cidrBlock,
    cidr: (v) => v.cidrBlock,
    'cidr-block-association.cidr-block': (v) => v.cidrBlock,
    state: (v) => v.state,
    'is-default': (v) => v.isDefault,
    'owner-id': () => state.accountId,
  });
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  return { Vpcs: page.map((v) => toSdkVpc(v, state.accountId)), NextToken: nextToken };
};

const deleteVpc: QueryHandler = (input: DeleteVpcRequest, ctx: SimContext) => {
  const { state } = ctx;
  const vpc = mustGet(state, state.vpcs, input.VpcId, 'InvalidVpcID.NotFound', ctx);
  const blockers: string[] = [];
  for (const s of state.subnets.values()) if (s.vpcId === vpc.id) blockers.push(s.id);
  for (const g of state.internetGateways.values()) if (g.vpcId === vpc.id) blockers.push(g.id);
  for (const g of state.securityGroups.values()) if (g.vpcId === vpc.id && g.id !== vpc.defaultSecurityGroupId) blockers.push(g.id);
  for (const r of state.routeTables.values()) if (r.vpcId === vpc.id && !r.main) blockers.push(r.id);
  for (const n of state.natGateways.values()) if (n.vpcId === vpc.id && n.state !== 'deleted') blockers.push(n.id);
  for (const lb of state.loadBalancers.values()) if (lb.vpcId === vpc.id) blockers.push(lb.id);
  if (blockers.length) {
    throw new SimError('DependencyViolation', `The vpc '${vpc.id}' has dependencies and cannot be deleted.`);
  }
  state.routeTables.delete(vpc.mainRouteTableId);
  state.securityGroups.delete(vpc.defaultSecurityGroupId);
  state.vpcs.delete(vpc.id);
  return {};
};

const modifyVpcAttribute: QueryHandler = (input: ModifyVpcAttributeRequest, ctx: SimContext) => {
  const vpc = mustGet(ctx.state, ctx.state.vpcs, input.VpcId, 'InvalidVpcID.NotFound', ctx);
  const support = input.EnableDnsSupport?.Value;
  const hostnames = input.EnableDnsHostnames?.Value;
  if ((support === undefined) === (hostnames === undefined)) {
    throw new SimError('InvalidParameterCombination', 'Exactly one attribute may be modified per request.');
  }
  if (support !== undefined) vpc.enableDnsSupport = support;
  if (hostnames !== undefined) {
    if (hostnames && !vpc.enableDnsSupport) {
      throw new SimError('InvalidParameterValue', 'enableDnsHostnames requires enableDnsSupport.');
    }
    vpc.enableDnsHostnames = hostnames;
  }
  return {};
};

const describeVpcAttribute: QueryHandler = (input: DescribeVpcAttributeRequest, ctx: SimContext): DescribeVpcAttributeResult => {
  const vpc = mustGet(ctx.state, ctx.state.vpcs, input.VpcId, 'InvalidVpcID.NotFound', ctx);
  if (input.Attribute === 'enableDnsSupport') return { VpcId: vpc.id, EnableDnsSupport: { Value: vpc.enableDnsSupport } };
  if (input.Attribute === 'enableDnsHostnames') return { VpcId: vpc.id, EnableDnsHostnames: { Value: vpc.enableDnsHostnames } };
  throw new SimError('InvalidParameterValue', `Value (${input.Attribute}) for parameter attribute is invalid.`);
};

export const vpcHandlers = {
  CreateVpc: createVpc,
  DescribeVpcs: describeVpcs,
  DeleteVpc: deleteVpc,
  ModifyVpcAttribute: modifyVpcAttribute,
  DescribeVpcAttribute: describeVpcAttribute,
};
