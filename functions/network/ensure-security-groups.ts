/**
 * EnsureSecurityGroups: the control plane, nodes, (when needed) API load balancer and
 * (when enabled) bastion groups, with the Kubernetes port matrix:
 *
 * | group         | port(s)           | from                                                  |
 * |---------------|-------------------|-------------------------------------------------------|
 * | control plane | all               | control plane                                         |
 * | control plane | tcp 6443          | nodes; the API load balancer group and the utility    |
 * |               |                   | subnets (health checks), or api.accessCidrs when      |
 * |               |                   | there is no load balancer                             |
 * | control plane | tcp 2379-2380     | control plane (etcd)                                  |
 * | control plane | tcp 10250/57/59   | control plane (kubelet, controller-manager, scheduler)|
 * | nodes         | all               | nodes                                                 |
 * | control plane | tcp 1-2378, 2381-65535, udp all, IPIP | nodes (pod network: CNI tunnels, BGP,  |
 * |               |                   | health checks, CoreDNS — everything but etcd, as kops) |
 * | nodes         | all               | control plane (kubelet 10250 and the pod network)     |
 * | nodes         | tcp 30000-32767   | the VPC CIDR (NodePorts)                              |
 * | API LB        | tcp 6443          | api.accessCidrs                                       |
 * | bastion       | tcp 22            | sshAccessCidrs (none by default)                      |
 * | cp, nodes     | tcp 22            | the bastion group, only when there is a bastion       |
 *
 * Rules present already are left alone, so a rerun authorizes nothing; SSH from
 * 0.0.0.0/0 is refused outright.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import { StepFailedError } from '../../shared/errors';
import { needsApiLoadBalancer } from '../../shared/spec/api-endpoint';
import type { ClusterSpec } from '../../shared/spec';
import { roleFilters } from '../../shared/tags';
import { GROUP_ROLES } from './common';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { resourceName, tagSpec, tagsFor, type SecurityGroupIds } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, creating, ofCluster, table } from '../../shared/aws/iam';
import { onceVisible } from '../lib/once-visible';

export const ensureSecurityGroupsInput = stepEnvelope.extend({ vpcId: z.string() });

/** The groups, by their key in the output. */
type GroupKey = keyof typeof GROUP_ROLES;

/** One ingress rule: protocol (`-1` = all), ports, and a source group (by key) or CIDR. */
export interface IngressRule {
  /** `-1` = all; `4` = IP-in-IP (calico's IPIP mode). */
  protocol: 'tcp' | 'udp' | '4' | '-1';
  fromPort?: number;
  toPort?: number;
  source: { group: GroupKey } | { cidr: string };
  description: string;
}

const tcp = (fromPort: number, toPort: number, source: IngressRule['source'], description: string): IngressRule => ({
  protocol: 'tcp',
  fromPort,
  toPort,
  source,
  description,
});
const udp = (source: IngressRule['source'], description: string): IngressRule => ({ protocol: 'udp', fromPort: 1, toPort: 65535, source, description });
const ipip = (source: IngressRule['source'], description: string): IngressRule => ({ protocol: '4', source, description });
const all = (source: IngressRule['source'], description: string): IngressRule => ({ protocol: '-1', source, description });

/** The groups a spec needs and the ingress rules of each (the matrix above). */
export function securityGroupPlan(spec: ClusterSpec, vpcCidr: string): Partial<Record<GroupKey, IngressRule[]>> {
  const withLoadBalancer = needsApiLoadBalancer(spec);
  const withBastion = spec.bastion.enabled;
  const cp = { group: 'controlPlane' } as const;
  const nodes = { group: 'nodes' } as const;
  const lbSubnets = spec.subnets.filter((s) => s.type !== 'private').map((s) => s.cidr);

  const controlPlane: IngressRule[] = [
    all(cp, 'control plane to control plane'),
    tcp(6443, 6443, nodes, 'Kubernetes API from nodes'),
    ...(withLoadBalancer
      ? [
          tcp(6443, 6443, { group: 'apiLoadBalancer' }, 'Kubernetes API from the API load balancer'),
          ...lbSubnets.map((cidr) => tcp(6443, 6443, { cidr }, 'Kubernetes API from the load balancer subnets (health checks)')),
        ]
      : spec.api.accessCidrs.map((cidr) => tcp(6443, 6443, { cidr }, 'Kubernetes API from api.accessCidrs'))),
    // The pod network spans both groups: everything from nodes but etcd.
    tcp(1, 2378, nodes, 'pod network from nodes (below etcd)'),
    tcp(2381, 65535, nodes, 'pod network from nodes (above etcd)'),
    udp(nodes, 'pod network from nodes (VXLAN, Geneve, DNS)'),
    ipip(nodes, 'pod network from nodes (IPIP)'),
    tcp(2379, 2380, cp, 'etcd from control plane'),
    tcp(10250, 10250, cp, 'kubelet from control plane'),
    tcp(10257, 10257, cp, 'kube-controller-manager from control plane'),
    tcp(10259, 10259, cp, 'kube-scheduler from control plane'),
  ];
  const nodeRules: IngressRule[] = [
    all(nodes, 'node to node'),
    all(cp, 'kubelet and the pod network from control plane'),
    tcp(30000, 32767, { cidr: vpcCidr }, 'NodePorts from the VPC'),
  ];
  if (withBastion) {
    controlPlane.push(tcp(22, 22, { group: 'bastion' }, 'SSH from the bastion'));
    nodeRules.push(tcp(22, 22, { group: 'bastion' }, 'SSH from the bastion'));
  }
  const plan: Partial<Record<GroupKey, IngressRule[]>> = { controlPlane, nodes: nodeRules };
  if (withLoadBalancer) {
    plan.apiLoadBalancer = spec.api.accessCidrs.map((cidr) => tcp(6443, 6443, { cidr }, 'Kubernetes API from api.accessCidrs'));
  }
  if (withBastion) {
    plan.bastion = spec.sshAccessCidrs.map((cidr) => tcp(22, 22, { cidr }, 'SSH from sshAccessCidrs'));
  }
  return plan;
}

export async function ensureSecurityGroups(input: { cluster: string; vpcId: string }, deps: StepDeps): Promise<SecurityGroupIds> {
  const { spec } = await loadCluster(deps, input.cluster);
  if (spec.sshAccessCidrs.some(isWorldOpen)) {
    throw new StepFailedError('sshAccessCidrs may not open SSH to the whole internet (0.0.0.0/0 or ::/0)');
  }
  const vpcCidr = await vpcCidrOf(input.vpcId, deps);
  const plan = securityGroupPlan(spec, vpcCidr);
  const keys = Object.keys(plan) as GroupKey[];

  // All groups first: rules refer to one another.
  const groups: Partial<Record<GroupKey, SecurityGroup>> = {};
  for (const key of keys) groups[key] = await ensureGroup(spec, input.vpcId, key, deps);
  const ids = Object.fromEntries(keys.map((k) => [k, groups[k]!.GroupId!])) as Record<GroupKey, string>;

  for (const key of keys) await ensureIngress(groups[key]!, plan[key]!, ids, deps);
  return ids as SecurityGroupIds;
}

async function vpcCidrOf(vpcId: string, deps: StepDeps): Promise<string> {
  const vpc = (await deps.clients.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0];
  if (!vpc?.CidrBlock) throw new StepFailedError(`VPC ${vpcId} not found`);
  return vpc.CidrBlock;
}

function isWorldOpen(cidr: string): boolean {
  return cidr.endsWith('/0');
}

async function ensureGroup(spec: ClusterSpec, vpcId: string, key: GroupKey, deps: StepDeps): Promise<SecurityGroup> {
  const ec2 = deps.clients.ec2;
  const role = GROUP_ROLES[key];
  const name = resourceName(spec.name, role);
  const found = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [...roleFilters(spec.name, role), { Name: 'vpc-id', Values: [vpcId] }] }),
  );
  let group = found.SecurityGroups?.[0];
  if (!group) {
    const created = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: name,
        Description: `Hopper cluster ${spec.name}: ${role}`,
        VpcId: vpcId,
        TagSpecifications: tagSpec('security-group', tagsFor(spec, role, name)),
      }),
    );
    group = { GroupId: created.GroupId, GroupName: name, VpcId: vpcId, IpPermissions: [] };
  }
  await deps.store.recordResource(spec.name, { type: 'security-group', id: group.GroupId!, ownership: 'owned', name, attrs: { role } });
  return group;
}

/** A rule's identity: protocol, ports and source, whatever its description. */
function ruleKey(protocol: string, fromPort: number | undefined, toPort: number | undefined, source: string): string {
  return protocol === '-1' ? `-1|${source}` : `${protocol}|${fromPort}|${toPort}|${source}`;
}

function existingKeys(group: SecurityGroup): Set<string> {
  const keys = new Set<string>();
  for (const p of group.IpPermissions ?? []) {
    const proto = p.IpProtocol ?? '-1';
    for (const r of p.IpRanges ?? []) keys.add(ruleKey(proto, p.FromPort, p.ToPort, r.CidrIp ?? ''));
    for (const g of p.UserIdGroupPairs ?? []) keys.add(ruleKey(proto, p.FromPort, p.ToPort, g.GroupId ?? ''));
  }
  return keys;
}

/**
 * Authorize the rules a group lacks: all in one call (a group is made with a dozen rules, and
 * the call is on the way to the NAT gateway), and one at a time only when that call finds a
 * duplicate — a rule another run authorized meanwhile fails the whole call.
 */
async function ensureIngress(group: SecurityGroup, rules: IngressRule[], ids: Record<GroupKey, string>, deps: StepDeps): Promise<void> {
  const present = existingKeys(group);
  const missing: IpPermission[] = [];
  for (const rule of rules) {
    const source = 'group' in rule.source ? ids[rule.source.group] : rule.source.cidr;
    const key = ruleKey(rule.protocol, rule.fromPort, rule.toPort, source);
    if (present.has(key)) continue;
    present.add(key);
    missing.push({
      IpProtocol: rule.protocol,
      ...(rule.protocol === '-1' ? {} : { FromPort: rule.fromPort, ToPort: rule.toPort }),
      ...('group' in rule.source
        ? { UserIdGroupPairs: [{ GroupId: source, Description: rule.description }] }
        : { IpRanges: [{ CidrIp: source, Description: rule.description }] }),
    });
  }
  if (missing.length === 0) return;
  // The group, or the group a rule names, may have been made a moment ago in this step.
  const authorize = (permissions: IpPermission[]) => onceVisible(() => deps.clients.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group.GroupId, IpPermissions: permissions })));
  try {
    await authorize(missing);
  } catch (err) {
    if (awsErrorCode(err) !== 'InvalidPermission.Duplicate') throw err;
    for (const permission of missing) {
      try {
        await authorize([permission]);
      } catch (one) {
        if (awsErrorCode(one) !== 'InvalidPermission.Duplicate') throw one;
      }
    }
  }
}

export const step = defineStep({
  name: 'EnsureSecurityGroups',
  clients: [ec2Client],
  input: ensureSecurityGroupsInput,
  creates: ['SecurityGroup'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('ec2:DescribeSecurityGroups', 'ec2:DescribeVpcs'),
    creating(['ec2:CreateSecurityGroup'], [arn('ec2', 'security-group/*'), arn('ec2', 'vpc/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'security-group/*')], { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } }),
    ofCluster(['ec2:AuthorizeSecurityGroupIngress'], [arn('ec2', 'security-group/*')]),
  ],
  run: ensureSecurityGroups,
});
export const { handler } = step;
