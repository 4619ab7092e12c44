/**
 * NAT gateways: pending → available (~90 s), deleting → deleted (~60 s, then kept
 * visible as `deleted` like AWS). ClientToken makes CreateNatGateway idempotent.
 */
import type {
  CreateNatGatewayRequest,
  CreateNatGatewayResult,
  DeleteNatGatewayRequest,
  DeleteNatGatewayResult,
  DescribeNatGatewaysRequest,
  DescribeNatGatewaysResult,
  NatGateway,
} from '@aws-sdk/client-ec2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { SimNatGateway } from '../core/types';
import { applyFilters, mustGet, paginate, required, tagList, tagsFromSpecs } from './common';
import { createEni } from './network-interfaces';

function toSdk(n: SimNatGateway): NatGateway {
  return {
    NatGatewayId: n.id,
    SubnetId: n.subnetId,
    VpcId: n.vpcId,
    State: n.state,
    ConnectivityType: n.connectivityType,
    CreateTime: new Date(n.createdAt),
    DeleteTime: n.deleteTime ? new Date(n.deleteTime) : undefined,
    FailureCode: n.failureCode,
    FailureMessage: n.failureMessage,
    NatGatewayAddresses: [
      {
        AllocationId: n.allocationId,
        PublicIp: n.publicIp,
        PrivateIp: n.privateIp,
        NetworkInterfaceId: n.networkInterfaceId,
        IsPrimary: true,
        Status: (n.state === 'deleted' ? 'disassociated' : 'succeeded') as 'succeeded',
      },
    ],
    Tags: tagList(n.tags),
  };
}

/** Schedules the pending→available step (also used when resuming from a snapshot). */
export function scheduleNatAvailable(state: SimState, n: SimNatGateway): void {
  state.clock.after(state.latency.sample('natGateway.available'), () => {
    if (n.state === 'pending') n.state = 'available';
  });
}

/** Schedules deleting→deleted, which frees the address and the ENI. */
export function scheduleNatDeleted(state: SimState, n: SimNatGateway): void {
  state.clock.after(state.latency.sample('natGateway.deleted'), () => {
    n.state = 'deleted';
    n.deleteTime = state.clock.now();
    const a = n.allocationId ? state.addresses.get(n.allocationId) : undefined;
    if (a && a.natGatewayId === n.id) {
      a.natGatewayId = undefined;
      a.associationId = undefined;
      a.networkInterfaceId = undefined;
      a.privateIpAddress = undefined;
    }
    state.networkInterfaces.delete(n.networkInterfaceId);
  });
}

const create: QueryHandler = (input: CreateNatGatewayRequest, ctx: SimContext): CreateNatGatewayResult => {
  const { state } = ctx;
  if (input.ClientToken) {
    const prior = [...state.natGateways.values()].find((n) => n.clientToken === input.ClientToken && n.region === ctx.region);
    if (prior) {
      if (prior.subnetId !== input.SubnetId || prior.allocationId !== input.AllocationId) {
        throw new SimError('IdempotentParameterMismatch', 'The client token has already been used with different parameters.');
      }
      return { NatGateway: toSdk(prior), ClientToken: input.ClientToken };
    }
  }
  const subnet = mustGet(state, state.subnets, required(input.SubnetId, 'SubnetId'), 'InvalidSubnetID.NotFound', ctx);
  const connectivityType = (input.ConnectivityType ?? 'public') as 'public' | 'private';
  let address;
  if (connectivityType === 'public') {
    address = mustGet(state, state.addresses, required(input.AllocationId, 'AllocationId'), 'InvalidAllocationID.NotFound', ctx);
    if (address.natGatewayId || address.associationId) {
      throw new SimError('Resource.AlreadyAssociated', `Elastic IP address [${address.allocationId}] is already associated`);
    }
    const igw = [...state.internetGateways.values()].some((g) => g.vpcId === subnet.vpcId);
    if (!igw) throw new SimError('Gateway.NotAttached', `Network ${subnet.vpcId} has no Internet gateway attached`);
  }
  const id = state.newId('nat');
  const eni = createEni(state, subnet, { interfaceType: 'nat_gateway', description: `Interface for NAT Gateway ${id}`, requesterManaged: true });
  const n: SimNatGateway = {
    ...state.base(id, ctx.region, tagsFromSpecs(input.TagSpecifications, 'natgateway')),
    subnetId: subnet.id,
    vpcId: subnet.vpcId,
    allocationId: address?.allocationId,
    publicIp: address?.publicIp,
    privateIp: eni.privateIpAddress,
    networkInterfaceId: eni.id,
    connectivityType,
    state: 'pending',
    clientToken: input.ClientToken,
  };
  if (address) {
    address.natGatewayId = id;
    address.associationId = state.newId('eipassoc');
    address.networkInterfaceId = eni.id;
    address.privateIpAddress = eni.privateIpAddress;
  }
  state.natGateways.set(id, n);
  scheduleNatAvailable(state, n);
  return { NatGateway: toSdk(n), ClientToken: input.ClientToken };
};

const describe: QueryHandler = (input: DescribeNatGatewaysRequest, ctx: SimContext): DescribeNatGatewaysResult => {
  const { state } = ctx;
  let items = [...state.natGateways.values()].filter((n) => n.region === ctx.region);
  if (input.NatGatewayIds?.length) {
    items = input.NatGatewayIds.map((id) => {
      const n = state.natGateways.get(id);
      if (!n || !state.visible(n)) throw new SimError('NatGatewayNotFound', `The Nat Gateway ${id} was not found`);
      return n;
    });
  }
  items = applyFilters(items, input.Filter, {
    'nat-gateway-id': (n) => n.id,
    'subnet-id': (n) => n.subnetId,
    'vpc-id': (n) => n.vpcId,
    state: (n) => n.state,
  });
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  return { NatGateways: page.map(toSdk), NextToken: nextToken };
};

const remove: QueryHandler = (input: DeleteNatGatewayRequest, ctx: SimContext): DeleteNatGatewayResult => {
  const { state } = ctx;
  const n = state.natGateways.get(input.NatGatewayId ?? '');
  if (!n || n.region !== ctx.region || !state.visible(n)) throw new SimError('NatGatewayNotFound', `The Nat Gateway ${input.NatGatewayId} was not found`);
  if (n.state === 'pending' || n.state === 'available' || n.state === 'failed') {
    n.state = 'deleting';
    scheduleNatDeleted(state, n);
  }
  return { NatGatewayId: n.id };
};

export const natGatewayHandlers = {
  CreateNatGateway: create,
  DescribeNatGateways: describe,
  DeleteNatGateway: remove,
};
