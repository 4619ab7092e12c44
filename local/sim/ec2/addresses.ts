/** Elastic IP addresses: allocate, describe, release (refused while a NAT gateway holds one). */
import type {
  Address,
  AllocateAddressRequest,
  AllocateAddressResult,
  DescribeAddressesRequest,
  DescribeAddressesResult,
  ReleaseAddressRequest,
} from '@aws-sdk/client-ec2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimAddress } from '../core/types';
import { applyFilters, mustGet, tagList, tagsFromSpecs } from './common';

function toSdk(a: SimAddress): Address {
  return {
    AllocationId: a.allocationId,
    PublicIp: a.publicIp,
    Domain: 'vpc',
    AssociationId: a.associationId,
    InstanceId: a.instanceId,
    NetworkInterfaceId: a.networkInterfaceId,
    PrivateIpAddress: a.privateIpAddress,
    NetworkBorderGroup: a.region,
    PublicIpv4Pool: 'amazon',
    Tags: tagList(a.tags),
  };
}

const allocate: QueryHandler = (input: AllocateAddressRequest, ctx: SimContext): AllocateAddressResult => {
  const { state } = ctx;
  const id = state.newId('eipalloc');
  const ip = `54.${state.rng.int(0, 255)}.${state.rng.int(0, 255)}.${state.rng.int(1, 254)}`;
  const a: SimAddress = {
    ...state.base(id, ctx.region, tagsFromSpecs(input.TagSpecifications, 'elastic-ip')),
    allocationId: id,
    publicIp: ip,
    domain: 'vpc',
  };
  state.addresses.set(id, a);
  return { AllocationId: id, PublicIp: ip, Domain: 'vpc', NetworkBorderGroup: ctx.region, PublicIpv4Pool: 'amazon' };
};

const describe: QueryHandler = (input: DescribeAddressesRequest, ctx: SimContext): DescribeAddressesResult => {
  const { state } = ctx;
  let items = [...state.addresses.values()].filter((a) => a.region === ctx.region);
  if (input.AllocationIds?.length) {
    items = input.AllocationIds.map((id) => mustGet(state, state.addresses, id, 'InvalidAllocationID.NotFound', ctx));
  }
  if (input.PublicIps?.length) {
    items = items.filter((a) => input.PublicIps?.includes(a.publicIp));
    if (items.length < input.PublicIps.length) throw new SimError('InvalidAddress.NotFound', 'Address not found');
  }
  items = applyFilters(items, input.Filters, {
    'allocation-id': (a) => a.allocationId,
    'public-ip': (a) => a.publicIp,
    'association-id': (a) => a.associationId,
    'network-interface-id': (a) => a.networkInterfaceId,
    'instance-id': (a) => a.instanceId,
    domain: () => 'vpc',
  });
  return { Addresses: items.map(toSdk) };
};

const release: QueryHandler = (input: ReleaseAddressRequest, ctx: SimContext) => {
  const { state } = ctx;
  const a = mustGet(state, state.addresses, input.AllocationId, 'InvalidAllocationID.NotFound', ctx);
  if (a.associationId || a.natGatewayId) {
    throw new SimError('DependencyViolation', `The address with allocation id '${a.allocationId}' is associated with a resource and cannot be released.`);
  }
  state.addresses.delete(a.id);
  return {};
};

export const addressHandlers = {
  AllocateAddress: allocate,
  DescribeAddresses: describe,
  ReleaseAddress: release,
};
