/**
 * Network load balancers: create (provisioning → active after `loadBalancer.active`),
 * describe, delete, attributes. Each one owns a requester-managed network interface per
 * subnet, so DeleteSubnet/DeleteSecurityGroup see a DependencyViolation while it exists.
 */
import type {
  CreateLoadBalancerInput,
  CreateLoadBalancerOutput,
  DeleteLoadBalancerInput,
  DescribeLoadBalancerAttributesInput,
  DescribeLoadBalancerAttributesOutput,
  DescribeLoadBalancersInput,
  DescribeLoadBalancersOutput,
  LoadBalancer,
  ModifyLoadBalancerAttributesInput,
  ModifyLoadBalancerAttributesOutput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { SimSubnet } from '../core/types';
import { createEni } from '../ec2/network-interfaces';
import { arnPrefix, checkName, lbs, listeners, mustLoadBalancer, page, tagsIn, type ElbLoadBalancer } from './common';
import { refreshAll } from './health';

/** Route 53 zones of network load balancers' DNS names, per region. */
const NLB_HOSTED_ZONES: Record<string, string> = {
  'us-east-1': 'Z26RNL4JYFTOTI',
  'us-east-2': 'ZLMOA37VPKANP',
  'us-west-1': 'Z24FKFUX50B4VW',
  'us-west-2': 'Z18D5FSROUN65G',
  'eu-west-1': 'Z2IFOLAFXWLO4F',
  'eu-central-1': 'Z3F0SRJ5LGBH90',
};

const DEFAULT_ATTRIBUTES: Record<string, string> = {
  'deletion_protection.enabled': 'false',
  'load_balancing.cross_zone.enabled': 'false',
  'access_logs.s3.enabled': 'false',
  'access_logs.s3.bucket': '',
  'access_logs.s3.prefix': '',
  'ipv6.deny_all_igw_traffic': 'false',
  'dns_record.client_routing_policy': 'any_availability_zone',
};

export function toSdkLoadBalancer(lb: ElbLoadBalancer, state: SimState): LoadBalancer {
  promote(lb, state);
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: lb.canonicalHostedZoneId,
    CreatedTime: new Date(lb.createdAt),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: lb.vpcId,
    State: { Code: lb.state },
    Type: lb.type,
    AvailabilityZones: lb.subnetMappings.map((m, i) => {
      const addr = m.allocationId ? [...state.addresses.values()].find((a) => a.allocationId === m.allocationId) : undefined;
      return {
        ZoneName: lb.availabilityZones[i],
        SubnetId: m.subnetId,
        LoadBalancerAddresses: addr
          ? [{ IpAddress: addr.publicIp, AllocationId: addr.allocationId }]
          : m.privateIPv4Address
            ? [{ PrivateIPv4Address: m.privateIPv4Address }]
            : [],
      };
    }),
    SecurityGroups: lb.securityGroupIds.length ? lb.securityGroupIds : undefined,
    IpAddressType: lb.ipAddressType as LoadBalancer['IpAddressType'],
  };
}

/** Makes a provisioning load balancer active once its time has come (timers may be lost to a restart). */
function promote(lb: ElbLoadBalancer, state: SimState): void {
  if (lb.state === 'provisioning' && state.clock.now() >= lb.activeAt) lb.state = 'active';
}

/** Schedules provisioning → active (also after a snapshot load). */
export function scheduleActive(state: SimState, lb: ElbLoadBalancer): void {
  const wait = Math.max(0, (lb.activeAt - state.clock.now()) / 1000);
  state.clock.after(wait, () => {
    const cur = lbs(state).get(lb.id);
    if (cur) promote(cur, state);
  });
}

type Mapping = ElbLoadBalancer['subnetMappings'][number];

function resolveSubnets(ctx: SimContext, input: CreateLoadBalancerInput): { mappings: Mapping[]; subnets: SimSubnet[] } {
  if (input.Subnets?.length && input.SubnetMappings?.length) {
    throw new SimError('ValidationError', 'You can specify subnets or subnet mappings, not both');
  }
  const mappings: Mapping[] = input.SubnetMappings?.length
    ? input.SubnetMappings.map((m) => ({ subnetId: m.SubnetId ?? '', allocationId: m.AllocationId, privateIPv4Address: m.PrivateIPv4Address }))
    : (input.Subnets ?? []).map((subnetId) => ({ subnetId }));
  if (!mappings.length) throw new SimError('ValidationError', 'At least one subnet must be specified');
  const subnets = mappings.map((m) => {
    const s = ctx.state.subnets.get(m.subnetId);
    if (!s || s.region !== ctx.region) throw new SimError('SubnetNotFound', `The subnet ID '${m.subnetId}' does not exist`);
    return s;
  });
  if (new Set(subnets.map((s) => s.vpcId)).size > 1) {
    throw new SimError('InvalidConfigurationRequest', 'The subnets must all be in the same VPC');
  }
  const zones = subnets.map((s) => s.availabilityZone);
  if (new Set(zones).size !== zones.length) {
    throw new SimError('InvalidConfigurationRequest', 'A load balancer cannot be attached to multiple subnets in the same Availability Zone');
  }
  for (const m of mappings) {
    if (m.allocationId && ![...ctx.state.addresses.values()].some((a) => a.allocationId === m.allocationId && a.region === ctx.region)) {
      throw new SimError('AllocationIdNotFound', `The allocation ID '${m.allocationId}' does not exist`);
    }
  }
  return { mappings, subnets };
}

function sameSettings(lb: ElbLoadBalancer, scheme: string, subnetIds: string[], groups: string[], ipType: string): boolean {
  const eq = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  return lb.scheme === scheme && lb.ipAddressType === ipType && eq(lb.subnetIds, subnetIds) && eq(lb.securityGroupIds, groups);
}

const create: QueryHandler = (input: CreateLoadBalancerInput, ctx: SimContext): CreateLoadBalancerOutput => {
  const { state } = ctx;
  const name = checkName(input.Name, 'Load balancer');
  const type = input.Type ?? 'application';
  if (type !== 'network') {
    throw new SimError('ValidationError', `The simulator models network load balancers only (Type '${type}' requested)`);
  }
  const scheme = input.Scheme ?? 'internet-facing';
  if (scheme !== 'internet-facing' && scheme !== 'internal') throw new SimError('ValidationError', `Scheme '${scheme}' must be one of internet-facing, internal`);
  const ipType = input.IpAddressType ?? 'ipv4';
  if (ipType !== 'ipv4' && ipType !== 'dualstack') throw new SimError('ValidationError', `IpAddressType '${ipType}' is not supported for network load balancers`);
  const { mappings, subnets } = resolveSubnets(ctx, input);
  const vpcId = subnets[0].vpcId;
  const groups = input.SecurityGroups ?? [];
  for (const g of groups) {
    const sg = state.securityGroups.get(g);
    if (!sg || sg.region !== ctx.region || sg.vpcId !== vpcId) throw new SimError('InvalidSecurityGroup', `Security group '${g}' does not exist in VPC '${vpcId}'`);
  }
  const tags = tagsIn(input.Tags);

  // Names are unique per account and region; the same request again is answered with
  // the existing load balancer (CreateLoadBalancer is idempotent), different settings are not.
  const existing = [...lbs(state).values()].find((lb) => lb.name === name && lb.region === ctx.region);
  if (existing) {
    if (existing.type === type && sameSettings(existing, scheme, subnets.map((s) => s.id), groups, ipType)) {
      return { LoadBalancers: [toSdkLoadBalancer(existing, state)] };
    }
    throw new SimError('DuplicateLoadBalancerName', 'A load balancer with the same name exists, but with different settings');
  }
  if (scheme === 'internet-facing' && ![...state.internetGateways.values()].some((g) => g.vpcId === vpcId)) {
    throw new SimError('InvalidSubnet', `VPC ${vpcId} has no internet gateway`);
  }

  const hash = state.rng.hex(16);
  const arn = `${arnPrefix(ctx)}:loadbalancer/net/${name}/${hash}`;
  const enis = subnets.map((s, i) =>
    createEni(state, s, {
      interfaceType: 'network_load_balancer',
      description: `ELB net/${name}/${hash}`,
      groupIds: groups,
      requesterManaged: true,
      privateIpAddress: mappings[i].privateIPv4Address,
      attachment: { attachmentId: state.newId('ela-attach'), deviceIndex: 1, deleteOnTermination: false },
    }),
  );
  const lb: ElbLoadBalancer = {
    ...state.base(arn, ctx.region, tags),
    arn,
    name,
    dnsName: `${name}-${state.rng.hex(16)}.elb.${ctx.region}.amazonaws.com`,
    type: 'network',
    scheme,
    vpcId,
    subnetIds: subnets.map((s) => s.id),
    availabilityZones: subnets.map((s) => s.availabilityZone),
    state: 'provisioning',
    securityGroupIds: groups,
    ipAddressType: ipType,
    networkInterfaceIds: enis.map((e) => e.id),
    activeAt: state.clock.now() + state.latency.sample('loadBalancer.active') * 1000,
    subnetMappings: mappings,
    canonicalHostedZoneId: NLB_HOSTED_ZONES[ctx.region] ?? NLB_HOSTED_ZONES['us-east-1'],
    attributes: { ...DEFAULT_ATTRIBUTES },
  };
  lbs(state).set(arn, lb);
  scheduleActive(state, lb);
  return { LoadBalancers: [toSdkLoadBalancer(lb, state)] };
};

const describe: QueryHandler = (input: DescribeLoadBalancersInput, ctx: SimContext): DescribeLoadBalancersOutput => {
  const { state } = ctx;
  if (input.LoadBalancerArns?.length && input.Names?.length) {
    throw new SimError('ValidationError', 'Load balancer names and load balancer ARNs cannot be specified at the same time');
  }
  const all = [...lbs(state).values()].filter((lb) => lb.region === ctx.region);
  let items = all;
  // By-name and by-ARN reads answer NotFound inside the eventual-consistency window.
  if (input.LoadBalancerArns?.length) {
    items = input.LoadBalancerArns.map((arn) => {
      const lb = all.find((x) => x.arn === arn);
      if (!lb || !state.visible(lb)) throw new SimError('LoadBalancerNotFound', `Load balancers '[${arn}]' not found`);
      return lb;
    });
  } else if (input.Names?.length) {
    items = input.Names.map((n) => {
      const lb = all.find((x) => x.name === n);
      if (!lb || !state.visible(lb)) throw new SimError('LoadBalancerNotFound', `Load balancers '[${n}]' not found`);
      return lb;
    });
  }
  const p = page(items, input.PageSize, input.Marker);
  return { LoadBalancers: p.items.map((lb) => toSdkLoadBalancer(lb, state)), NextMarker: p.nextMarker };
};

/** Deletes a load balancer with its listeners and network interfaces. */
export function deleteLoadBalancer(state: SimState, lb: ElbLoadBalancer): void {
  for (const l of [...listeners(state).values()]) if (l.loadBalancerArn === lb.arn) listeners(state).delete(l.id);
  for (const id of lb.networkInterfaceIds) state.networkInterfaces.delete(id);
  lbs(state).delete(lb.arn);
  refreshAll(state);
}

const remove: QueryHandler = (input: DeleteLoadBalancerInput, ctx: SimContext) => {
  const lb = lbs(ctx.state).get(input.LoadBalancerArn ?? '');
  // Deleting a load balancer that does not exist (any more) succeeds, as in AWS.
  if (!lb || lb.region !== ctx.region) return {};
  if (lb.attributes['deletion_protection.enabled'] === 'true') {
    throw new SimError('OperationNotPermitted', `Load balancer '${lb.arn}' cannot be deleted because deletion protection is enabled`);
  }
  deleteLoadBalancer(ctx.state, lb);
  return {};
};

const describeAttributes: QueryHandler = (input: DescribeLoadBalancerAttributesInput, ctx: SimContext): DescribeLoadBalancerAttributesOutput => {
  const lb = mustLoadBalancer(ctx, input.LoadBalancerArn);
  return { Attributes: Object.entries(lb.attributes).map(([Key, Value]) => ({ Key, Value })) };
};

const modifyAttributes: QueryHandler = (input: ModifyLoadBalancerAttributesInput, ctx: SimContext): ModifyLoadBalancerAttributesOutput => {
  const lb = mustLoadBalancer(ctx, input.LoadBalancerArn);
  for (const a of input.Attributes ?? []) {
    if (!a.Key || !(a.Key in DEFAULT_ATTRIBUTES)) throw new SimError('ValidationError', `Load balancer attribute key '${a.Key ?? ''}' is not recognized`);
  }
  for (const a of input.Attributes ?? []) lb.attributes[a.Key as string] = a.Value ?? '';
  return { Attributes: Object.entries(lb.attributes).map(([Key, Value]) => ({ Key, Value })) };
};

export const loadBalancerHandlers = {
  CreateLoadBalancer: create,
  DescribeLoadBalancers: describe,
  DeleteLoadBalancer: remove,
  DescribeLoadBalancerAttributes: describeAttributes,
  ModifyLoadBalancerAttributes: modifyAttributes,
};
