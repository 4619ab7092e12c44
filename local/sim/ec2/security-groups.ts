/**
 * Security groups. Rules are stored flat (one protocol/port range, one source), as
 * AWS's security-group-rule model does; Describe groups them back into IpPermissions.
 */
import type {
  AuthorizeSecurityGroupEgressRequest,
  AuthorizeSecurityGroupIngressRequest,
  CreateSecurityGroupRequest,
  CreateSecurityGroupResult,
  DeleteSecurityGroupRequest,
  DescribeSecurityGroupsRequest,
  DescribeSecurityGroupsResult,
  IpPermission,
  RevokeSecurityGroupIngressRequest,
  SecurityGroup,
} from '@aws-sdk/client-ec2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { SimSecurityGroup, SimSecurityGroupRule } from '../core/types';
import { applyFilters, mustGet, paginate, required, selectByIds, tagList, tagsFromSpecs } from './common';

function toPermissions(rules: SimSecurityGroupRule[], ownerId: string): IpPermission[] {
  const groups = new Map<string, IpPermission>();
  for (const r of rules) {
    const key = `${r.ipProtocol}|${r.fromPort ?? ''}|${r.toPort ?? ''}`;
    const p: IpPermission = groups.get(key) ?? {
      IpProtocol: r.ipProtocol,
      FromPort: r.fromPort,
      ToPort: r.toPort,
      IpRanges: [],
      Ipv6Ranges: [],
      UserIdGroupPairs: [],
      PrefixListIds: [],
    };
    if (r.cidrIpv4) p.IpRanges?.push({ CidrIp: r.cidrIpv4, Description: r.description });
    if (r.cidrIpv6) p.Ipv6Ranges?.push({ CidrIpv6: r.cidrIpv6, Description: r.description });
    if (r.referencedGroupId) p.UserIdGroupPairs?.push({ GroupId: r.referencedGroupId, UserId: ownerId, Description: r.description });
    groups.set(key, p);
  }
  return [...groups.values()];
}

function toSdk(g: SimSecurityGroup, state: SimState): SecurityGroup {
  return {
    GroupId: g.id,
    GroupName: g.groupName,
    Description: g.description,
    VpcId: g.vpcId,
    OwnerId: state.accountId,
    SecurityGroupArn: `arn:aws:ec2:${g.region}:${state.accountId}:security-group/${g.id}`,
    IpPermissions: toPermissions(g.ingress, state.accountId),
    IpPermissionsEgress: toPermissions(g.egress, state.accountId),
    Tags: tagList(g.tags),
  };
}

/** Expands IpPermissions into flat rules (validating referenced groups). */
function flatten(state: SimState, ctx: SimContext, perms: IpPermission[] | undefined): Omit<SimSecurityGroupRule, 'ruleId'>[] {
  const out: Omit<SimSecurityGroupRule, 'ruleId'>[] = [];
  for (const p of perms ?? []) {
    const proto = String(p.IpProtocol ?? '-1');
    const ipProtocol = proto === 'all' ? '-1' : proto;
    const ports = ipProtocol === '-1' ? {} : { fromPort: p.FromPort, toPort: p.ToPort };
    for (const r of p.IpRanges ?? []) out.push({ ipProtocol, ...ports, cidrIpv4: r.CidrIp, description: r.Description });
    for (const r of p.Ipv6Ranges ?? []) out.push({ ipProtocol, ...ports, cidrIpv6: r.CidrIpv6, description: r.Description });
    for (const r of p.UserIdGroupPairs ?? []) {
      const ref = mustGet(state, state.securityGroups, r.GroupId, 'InvalidGroup.NotFound', ctx, 'security group');
      out.push({ ipProtocol, ...ports, referencedGroupId: ref.id, description: r.Description });
    }
  }
  return out;
}

const same = (a: Omit<SimSecurityGroupRule, 'ruleId'>, b: Omit<SimSecurityGroupRule, 'ruleId'>) =>
  a.ipProtocol === b.ipProtocol &&
  (a.fromPort ?? null) === (b.fromPort ?? null) &&
  (a.toPort ?? null) === (b.toPort ?? null) &&
  a.cidrIpv4 === b.cidrIpv4 &&
  a.cidrIpv6 === b.cidrIpv6 &&
  a.referencedGroupId === b.referencedGroupId;

function describeRule(r: Omit<SimSecurityGroupRule, 'ruleId'>): string {
  return `peer: ${r.cidrIpv4 ?? r.cidrIpv6 ?? r.referencedGroupId}, ${r.ipProtocol.toUpperCase()}, from port: ${r.fromPort}, to port: ${r.toPort}, ALLOW`;
}

function authorize(direction: 'ingress' | 'egress'): QueryHandler {
  return (input: AuthorizeSecurityGroupIngressRequest | AuthorizeSecurityGroupEgressRequest, ctx: SimContext) => {
    const { state } = ctx;
    const g = mustGet(state, state.securityGroups, input.GroupId, 'InvalidGroup.NotFound', ctx, 'security group');
    const rules = flatten(state, ctx, input.IpPermissions);
    for (const r of rules) {
      if (g[direction].some((x) => same(x, r))) {
        throw new SimError('InvalidPermission.Duplicate', `the specified rule "${describeRule(r)}" already exists`);
      }
    }
    const added = rules.map((r) => ({ ...r, ruleId: state.newId('sgr') }));
    g[direction].push(...added);
    return {
      Return: true,
      SecurityGroupRules: added.map((r) => ({
        SecurityGroupRuleId: r.ruleId,
        GroupId: g.id,
        IsEgress: direction === 'egress',
        IpProtocol: r.ipProtocol,
        FromPort: r.fromPort,
        ToPort: r.toPort,
        CidrIpv4: r.cidrIpv4,
        Description: r.description,
      })),
    };
  };
}

function revoke(direction: 'ingress' | 'egress'): QueryHandler {
  return (input: RevokeSecurityGroupIngressRequest, ctx: SimContext) => {
    const { state } = ctx;
    const g = mustGet(state, state.securityGroups, input.GroupId, 'InvalidGroup.NotFound', ctx, 'security group');
    const byId = input.SecurityGroupRuleIds ?? [];
    const rules = flatten(state, ctx, input.IpPermissions);
    for (const r of rules) {
      if (!g[direction].some((x) => same(x, r))) {
        throw new SimError('InvalidPermission.NotFound', `The specified rule does not exist in this security group.`);
      }
    }
    g[direction] = g[direction].filter((x) => !byId.includes(x.ruleId) && !rules.some((r) => same(x, r)));
    return { Return: true };
  };
}

const create: QueryHandler = (input: CreateSecurityGroupRequest, ctx: SimContext): CreateSecurityGroupResult => {
  const { state } = ctx;
  const name = required(input.GroupName, 'GroupName');
  const description = required(input.Description, 'GroupDescription');
  const vpc = mustGet(state, state.vpcs, required(input.VpcId, 'VpcId'), 'InvalidVpcID.NotFound', ctx);
  if (name === 'default' || [...state.securityGroups.values()].some((g) => g.vpcId === vpc.id && g.groupName === name)) {
    throw new SimError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpc.id}'`);
  }
  const id = state.newId('sg');
  const g: SimSecurityGroup = {
    ...state.base(id, ctx.region, tagsFromSpecs(input.TagSpecifications, 'security-group')),
    groupName: name,
    description,
    vpcId: vpc.id,
    ingress: [],
    egress: [{ ruleId: state.newId('sgr'), ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' }],
  };
  state.securityGroups.set(id, g);
  return { GroupId: id, SecurityGroupArn: `arn:aws:ec2:${ctx.region}:${state.accountId}:security-group/${id}`, Tags: tagList(g.tags) };
};

const describe: QueryHandler = (input: DescribeSecurityGroupsRequest, ctx: SimContext): DescribeSecurityGroupsResult => {
  const { state } = ctx;
  let items = selectByIds(state, state.securityGroups, input.GroupIds, 'InvalidGroup.NotFound', ctx, 'security group');
  if (input.GroupNames?.length) {
    items = items.filter((g) => input.GroupNames?.includes(g.groupName));
    if (items.length < input.GroupNames.length) throw new SimError('InvalidGroup.NotFound', `The security group '${input.GroupNames.join(',')}' does not exist`);
  }
  items = applyFilters(items, input.Filters, {
    'group-id': (g) => g.id,
    'group-name': (g) => g.groupName,
    'vpc-id': (g) => g.vpcId,
    description: (g) => g.description,
    'owner-id': () => state.accountId,
    'ip-permission.group-id': (g) => g.ingress.map((r) => r.referencedGroupId),
    'egress.ip-permission.group-id': (g) => g.egress.map((r) => r.referencedGroupId),
  });
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  return { SecurityGroups: page.map((g) => toSdk(g, state)), NextToken: nextToken };
};

const remove: QueryHandler = (input: DeleteSecurityGroupRequest, ctx: SimContext) => {
  const { state } = ctx;
  const g = mustGet(state, state.securityGroups, input.GroupId, 'InvalidGroup.NotFound', ctx, 'security group');
  if (g.groupName === 'default') throw new SimError('CannotDelete', `the specified group: "${g.id}" name: "default" cannot be deleted by a user`);
  const referenced = [...state.securityGroups.values()].some(
    (o) => o.id !== g.id && [...o.ingress, ...o.egress].some((r) => r.referencedGroupId === g.id),
  );
  const used =
    [...state.instances.values()].some((i) => i.state !== 'terminated' && i.securityGroupIds.includes(g.id)) ||
    [...state.networkInterfaces.values()].some((n) => n.groupIds.includes(g.id)) ||
    [...state.loadBalancers.values()].some((lb) => lb.securityGroupIds.includes(g.id));
  if (referenced || used) {
    throw new SimError('DependencyViolation', `resource ${g.id} has a dependent object`);
  }
  state.securityGroups.delete(g.id);
  return { Return: true, GroupId: g.id };
};

export const securityGroupHandlers = {
  CreateSecurityGroup: create,
  DescribeSecurityGroups: describe,
  AuthorizeSecurityGroupIngress: authorize('ingress'),
  AuthorizeSecurityGroupEgress: authorize('egress'),
  RevokeSecurityGroupIngress: revoke('ingress'),
  RevokeSecurityGroupEgress: revoke('egress'),
  DeleteSecurityGroup: remove,
};
