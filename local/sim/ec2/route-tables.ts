/** Route tables: create (ClientToken), routes, associations, describe, delete. The main one comes with the VPC. */
import type {
  AssociateRouteTableRequest,
  AssociateRouteTableResult,
  CreateRouteRequest,
  CreateRouteResult,
  CreateRouteTableRequest,
  CreateRouteTableResult,
  DeleteRouteRequest,
  DeleteRouteTableRequest,
  DescribeRouteTablesRequest,
  DescribeRouteTablesResult,
  DisassociateRouteTableRequest,
  RouteTable,
} from '@aws-sdk/client-ec2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { SimRouteTable } from '../core/types';
import { applyFilters, mustGet, paginate, required, selectByIds, tagList, tagsFromSpecs } from './common';

function routeState(state: SimState, r: SimRouteTable['routes'][number]): 'active' | 'blackhole' {
  if (r.natGatewayId) {
    const n = state.natGateways.get(r.natGatewayId);
    return n && (n.state === 'available' || n.state === 'pending') ? 'active' : 'blackhole';
  }
  if (r.gatewayId && r.gatewayId !== 'local') {
    const g = state.internetGateways.get(r.gatewayId);
    return g?.vpcId ? 'active' : 'blackhole';
  }
  return 'active';
}

function toSdk(t: SimRouteTable, state: SimState): RouteTable {
  return {
    RouteTableId: t.id,
    VpcId: t.vpcId,
    OwnerId: state.accountId,
    Routes: t.routes.map((r) => ({
      DestinationCidrBlock: r.destinationCidrBlock,
      GatewayId: r.gatewayId,
      NatGatewayId: r.natGatewayId,
      InstanceId: r.instanceId,
      NetworkInterfaceId: r.networkInterfaceId,
      State: routeState(state, r),
      Origin: r.origin,
    })),
    Associations: t.associations.map((a) => ({
      RouteTableAssociationId: a.associationId,
      RouteTableId: t.id,
      SubnetId: a.subnetId,
      Main: a.main,
      AssociationState: { State: 'associated' },
    })),
    PropagatingVgws: [],
    Tags: tagList(t.tags),
  };
}

const create: QueryHandler = (input: CreateRouteTableRequest, ctx: SimContext): CreateRouteTableResult => {
  const { state } = ctx;
  if (input.ClientToken) {
    const prior = [...state.routeTables.values()].find((t) => t.clientToken === input.ClientToken && t.region === ctx.region);
    if (prior) return { RouteTable: toSdk(prior, state), ClientToken: input.ClientToken };
  }
  const vpc = mustGet(state, state.vpcs, required(input.VpcId, 'VpcId'), 'InvalidVpcID.NotFound', ctx);
  const id = state.newId('rtb');
  const t: SimRouteTable = {
    ...state.base(id, ctx.region, tagsFromSpecs(input.TagSpecifications, 'route-table')),
    vpcId: vpc.id,
    main: false,
    routes: [{ destinationCidrBlock: vpc.cidrBlock, gatewayId: 'local', state: 'active', origin: 'CreateRouteTable' }],
    associations: [],
    clientToken: input.ClientToken,
  };
  state.routeTables.set(id, t);
  return { RouteTable: toSdk(t, state), ClientToken: input.ClientToken };
};

const createRoute: QueryHandler = (input: CreateRouteRequest, ctx: SimContext): CreateRouteResult => {
  const { state } = ctx;
  const t = mustGet(state, state.routeTables, input.RouteTableId, 'InvalidRouteTableID.NotFound', ctx);
  const dest = required(input.DestinationCidrBlock, 'DestinationCidrBlock');
  if (input.GatewayId) {
    const g = mustGet(state, state.internetGateways, input.GatewayId, 'InvalidInternetGatewayID.NotFound', ctx);
    if (g.vpcId !== t.vpcId) throw new SimError('InvalidParameterValue', `route table ${t.id} and network gateway ${g.id} belong to different networks`);
  } else if (input.NatGatewayId) {
    const n = state.natGateways.get(input.NatGatewayId);
    if (!n || n.state === 'deleted') throw new SimError('InvalidNatGatewayID.NotFound', `The natGateway ID '${input.NatGatewayId}' does not exist`);
  } else if (input.InstanceId) {
    mustGet(state, state.instances, input.InstanceId, 'InvalidInstanceID.NotFound', ctx);
  } else if (!input.NetworkInterfaceId) {
    throw new SimError('MissingParameter', 'The request must contain a route target');
  }
  if (t.routes.some((r) => r.destinationCidrBlock === dest)) {
    throw new SimError('RouteAlreadyExists', `The route identified by ${dest} already exists.`);
  }
  t.routes.push({
    destinationCidrBlock: dest,
    gatewayId: input.GatewayId,
    natGatewayId: input.NatGatewayId,
    instanceId: input.InstanceId,
    networkInterfaceId: input.NetworkInterfaceId,
    state: 'active',
    origin: 'CreateRoute',
  });
  return { Return: true };
};

const deleteRoute: QueryHandler = (input: DeleteRouteRequest, ctx: SimContext) => {
  const t = mustGet(ctx.state, ctx.state.routeTables, input.RouteTableId, 'InvalidRouteTableID.NotFound', ctx);
  const i = t.routes.findIndex((r) => r.destinationCidrBlock === input.DestinationCidrBlock && r.gatewayId !== 'local');
  if (i < 0) throw new SimError('InvalidRoute.NotFound', `no route with destination-cidr-block ${input.DestinationCidrBlock} in route table ${t.id}`);
  t.routes.splice(i, 1);
  return {};
};

const associate: QueryHandler = (input: AssociateRouteTableRequest, ctx: SimContext): AssociateRouteTableResult => {
  const { state } = ctx;
  const t = mustGet(state, state.routeTables, input.RouteTableId, 'InvalidRouteTableID.NotFound', ctx);
  const s = mustGet(state, state.subnets, required(input.SubnetId, 'SubnetId'), 'InvalidSubnetID.NotFound', ctx);
  if (s.vpcId !== t.vpcId) throw new SimError('InvalidParameterValue', `Route table ${t.id} and subnet ${s.id} belong to different networks`);
  for (const other of state.routeTables.values()) {
    if (other.associations.some((a) => a.subnetId === s.id)) {
      throw new SimError('Resource.AlreadyAssociated', `the specified association for route table ${other.id} conflicts with an existing association`);
    }
  }
  const associationId = state.newId('rtbassoc');
  t.associations.push({ associationId, subnetId: s.id, main: false });
  return { AssociationId: associationId, AssociationState: { State: 'associated' } };
};

const disassociate: QueryHandler = (input: DisassociateRouteTableRequest, ctx: SimContext) => {
  for (const t of ctx.state.routeTables.values()) {
    const i = t.associations.findIndex((a) => a.associationId === input.AssociationId);
    if (i >= 0) {
      if (t.associations[i].main) throw new SimError('InvalidParameterValue', 'cannot disassociate the main route table association');
      t.associations.splice(i, 1);
      return {};
    }
  }
  throw new SimError('InvalidAssociationID.NotFound', `The association ID '${input.AssociationId}' does not exist`);
};

const describe: QueryHandler = (input: DescribeRouteTablesRequest, ctx: SimContext): DescribeRouteTablesResult => {
  const { state } = ctx;
  const items = applyFilters(selectByIds(state, state.routeTables, input.RouteTableIds, 'InvalidRouteTableID.NotFound', ctx), input.Filters, {
    'route-table-id': (t) => t.id,
    'vpc-id': (t) => t.vpcId,
    'association.main': (t) => t.main,
    'association.subnet-id': (t) => t.associations.map((a) => a.subnetId),
    'association.route-table-association-id': (t) => t.associations.map((a) => a.associationId),
    'route.nat-gateway-id': (t) => t.routes.map((r) => r.natGatewayId),
    'route.gateway-id': (t) => t.routes.map((r) => r.gatewayId),
    'route.destination-cidr-block': (t) => t.routes.map((r) => r.destinationCidrBlock),
  });
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  return { RouteTables: page.map((t) => toSdk(t, state)), NextToken: nextToken };
};

const remove: QueryHandler = (input: DeleteRouteTableRequest, ctx: SimContext) => {
  const t = mustGet(ctx.state, ctx.state.routeTables, input.RouteTableId, 'InvalidRouteTableID.NotFound', ctx);
  if (t.main || t.associations.length) {
    throw new SimError('DependencyViolation', `The routeTable '${t.id}' has dependencies and cannot be deleted.`);
  }
  ctx.state.routeTables.delete(t.id);
  return {};
};

export const routeTableHandlers = {
  CreateRouteTable: create,
  CreateRoute: createRoute,
  DeleteRoute: deleteRoute,
  AssociateRouteTable: associate,
  DisassociateRouteTable: disassociate,
  DescribeRouteTables: describe,
  DeleteRouteTable: remove,
};
