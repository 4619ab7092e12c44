/** Internet gateways: create, attach (one VPC each), detach, describe, delete. */
import type {
  AttachInternetGatewayRequest,
  CreateInternetGatewayRequest,
  CreateInternetGatewayResult,
  DeleteInternetGatewayRequest,
  DescribeInternetGatewaysRequest,
  DescribeInternetGatewaysResult,
  DetachInternetGatewayRequest,
  InternetGateway,
} from '@aws-sdk/client-ec2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimInternetGateway } from '../core/types';
import { applyFilters, mustGet, paginate, selectByIds, tagList, tagsFromSpecs } from './common';

function toSdk(g: SimInternetGateway, ownerId: string): InternetGateway {
  return {
    InternetGatewayId: g.id,
    OwnerId: ownerId,
    Attachments: g.vpcId ? [{ VpcId: g.vpcId, State: 'available' as InternetGateway['Attachments'] extends (infer A)[] | undefined ? A extends { State?: infer S } ? S : never : never }] : [],
    Tags: tagList(g.tags),
  };
}

const create: QueryHandler = (input: CreateInternetGatewayRequest, ctx: SimContext): CreateInternetGatewayResult => {
  const id = ctx.state.newId('igw');
  const g: SimInternetGateway = { ...ctx.state.base(id, ctx.region, tagsFromSpecs(input.TagSpecifications, 'internet-gateway')) };
  ctx.state.internetGateways.set(id, g);
  return { InternetGateway: toSdk(g, ctx.state.accountId) };
};

const attach: QueryHandler = (input: AttachInternetGatewayRequest, ctx: SimContext) => {
  const { state } = ctx;
  const g = mustGet(state, state.internetGateways, input.InternetGatewayId, 'InvalidInternetGatewayID.NotFound', ctx);
  const vpc = mustGet(state, state.vpcs, input.VpcId, 'InvalidVpcID.NotFound', ctx);
  if (g.vpcId === vpc.id) throw new SimError('Resource.AlreadyAssociated', `resource ${g.id} is already attached to network ${vpc.id}`);
  if (g.vpcId) throw new SimError('Resource.AlreadyAssociated', `resource ${g.id} is already attached to network ${g.vpcId}`);
  for (const other of state.internetGateways.values()) {
    if (other.vpcId === vpc.id) throw new SimError('Resource.AlreadyAssociated', `network ${vpc.id} already has an internet gateway attached`);
  }
  g.vpcId = vpc.id;
  return {};
};

const detach: QueryHandler = (input: DetachInternetGatewayRequest, ctx: SimContext) => {
  const { state } = ctx;
  const g = mustGet(state, state.internetGateways, input.InternetGatewayId, 'InvalidInternetGatewayID.NotFound', ctx);
  if (g.vpcId !== input.VpcId) throw new SimError('Gateway.NotAttached', `resource ${g.id} is not attached to network ${input.VpcId}`);
  // AWS refuses while public addresses in the VPC still map through the gateway.
  const mapped = [...state.natGateways.values()].some((n) => n.vpcId === g.vpcId && n.connectivityType === 'public' && n.state !== 'deleted');
  if (mapped) throw new SimError('DependencyViolation', `Network ${g.vpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`);
  g.vpcId = undefined;
  return {};
};

const describe: QueryHandler = (input: DescribeInternetGatewaysRequest, ctx: SimContext): DescribeInternetGatewaysResult => {
  const { state } = ctx;
  const items = applyFilters(
    selectByIds(state, state.internetGateways, input.InternetGatewayIds, 'InvalidInternetGatewayID.NotFound', ctx),
    input.Filters,
    {
      'internet-gateway-id': (g) => g.id,
      'attachment.vpc-id': (g) => g.vpcId,
      'attachment.state': (g) => (g.vpcId ? 'available' : undefined),
      'owner-id': () => state.accountId,
    },
  );
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  return { InternetGateways: page.map((g) => toSdk(g, state.accountId)), NextToken: nextToken };
};

const remove: QueryHandler = (input: DeleteInternetGatewayRequest, ctx: SimContext) => {
  const g = mustGet(ctx.state, ctx.state.internetGateways, input.InternetGatewayId, 'InvalidInternetGatewayID.NotFound', ctx);
  if (g.vpcId) throw new SimError('DependencyViolation', `The internetGateway '${g.id}' has dependencies and cannot be deleted.`);
  ctx.state.internetGateways.delete(g.id);
  return {};
};

export const internetGatewayHandlers = {
  CreateInternetGateway: create,
  AttachInternetGateway: attach,
  DetachInternetGateway: detach,
  DescribeInternetGateways: describe,
  DeleteInternetGateway: remove,
};
