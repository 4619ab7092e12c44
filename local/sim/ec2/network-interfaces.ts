/**
 * Network interfaces. Instances, NAT gateways and load balancers own one each; the
 * CNI (amazon-vpc-cni) may leave detached ones behind, which block subnet deletion
 * until someone deletes them — the leak Hopper's teardown must clean.
 */
import type {
  DeleteNetworkInterfaceRequest,
  DescribeNetworkInterfacesRequest,
  DescribeNetworkInterfacesResult,
  NetworkInterface,
} from '@aws-sdk/client-ec2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { SimNetworkInterface, SimSubnet } from '../core/types';
import { allocateIp, applyFilters, mustGet, paginate, privateDnsName, selectByIds, tagList } from './common';

/** Creates an ENI in a subnet (used by RunInstances, CreateNatGateway, CreateLoadBalancer, the CNI). */
export function createEni(
  state: SimState,
  subnet: SimSubnet,
  opts: Partial<Pick<SimNetworkInterface, 'interfaceType' | 'description' | 'groupIds' | 'requesterManaged' | 'attachment' | 'tags'>> & {
    privateIpAddress?: string;
  } = {},
): SimNetworkInterface {
  const id = state.newId('eni');
  const eni: SimNetworkInterface = {
    ...state.base(id, subnet.region, opts.tags ?? {}),
    createdAt: state.clock.now() - 60_000, // owned ENIs are visible with their owner
    subnetId: subnet.id,
    vpcId: subnet.vpcId,
    availabilityZone: subnet.availabilityZone,
    privateIpAddress: opts.privateIpAddress ?? allocateIp(subnet),
    status: opts.attachment ? 'in-use' : 'available',
    interfaceType: opts.interfaceType ?? 'interface',
    description: opts.description ?? '',
    groupIds: opts.groupIds ?? [],
    attachment: opts.attachment,
    requesterManaged: opts.requesterManaged ?? false,
  };
  state.networkInterfaces.set(id, eni);
  return eni;
}

function toSdk(n: SimNetworkInterface, state: SimState): NetworkInterface {
  return {
    NetworkInterfaceId: n.id,
    SubnetId: n.subnetId,
    VpcId: n.vpcId,
    AvailabilityZone: n.availabilityZone,
    PrivateIpAddress: n.privateIpAddress,
    PrivateDnsName: privateDnsName(n.privateIpAddress, n.region),
    PrivateIpAddresses: [{ PrivateIpAddress: n.privateIpAddress, Primary: true }],
    Status: n.status,
    InterfaceType: n.interfaceType as NetworkInterface['InterfaceType'],
    Description: n.description,
    OwnerId: state.accountId,
    RequesterManaged: n.requesterManaged,
    SourceDestCheck: true,
    Groups: n.groupIds.map((g) => ({ GroupId: g, GroupName: state.securityGroups.get(g)?.groupName })),
    Attachment: n.attachment
      ? {
          AttachmentId: n.attachment.attachmentId,
          InstanceId: n.attachment.instanceId,
          DeviceIndex: n.attachment.deviceIndex,
          DeleteOnTermination: n.attachment.deleteOnTermination,
          Status: 'attached',
        }
      : undefined,
    TagSet: tagList(n.tags),
  };
}

const describe: QueryHandler = (input: DescribeNetworkInterfacesRequest, ctx: SimContext): DescribeNetworkInterfacesResult => {
  const { state } = ctx;
  const items = applyFilters(
    selectByIds(state, state.networkInterfaces, input.NetworkInterfaceIds, 'InvalidNetworkInterfaceID.NotFound', ctx),
    input.Filters,
    {
      'network-interface-id': (n) => n.id,
      'vpc-id': (n) => n.vpcId,
      'subnet-id': (n) => n.subnetId,
      status: (n) => n.status,
      'attachment.instance-id': (n) => n.attachment?.instanceId,
      'group-id': (n) => n.groupIds,
      'interface-type': (n) => n.interfaceType,
      description: (n) => n.description,
      'requester-managed': (n) => n.requesterManaged,
      'availability-zone': (n) => n.availabilityZone,
      'private-ip-address': (n) => n.privateIpAddress,
    },
  );
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  return { NetworkInterfaces: page.map((n) => toSdk(n, state)), NextToken: nextToken };
};

const remove: QueryHandler = (input: DeleteNetworkInterfaceRequest, ctx: SimContext) => {
  const n = mustGet(ctx.state, ctx.state.networkInterfaces, input.NetworkInterfaceId, 'InvalidNetworkInterfaceID.NotFound', ctx);
  if (n.attachment || n.requesterManaged) {
    throw new SimError('InvalidParameterValue', `Network interface '${n.id}' is currently in use.`);
  }
  ctx.state.networkInterfaces.delete(n.id);
  return {};
};

export const networkInterfaceHandlers = {
  DescribeNetworkInterfaces: describe,
  DeleteNetworkInterface: remove,
};
