/**
 * The deletion set (delete-cluster's Discover, and its proof at the end, ProveDeleted), as the UNION of the inventory and
 * a tag scan — the inventory misses what a crashed step created before recording it, and
 * what the cluster made itself (the cloud controller manager's load balancers and security
 * groups, the CNI's network interfaces); the tag scan misses what was recorded but never
 * tagged. Every candidate is then judged by its full tags (`verdict`): owned → delete,
 * brought or also used by another cluster → untag only, another cluster's → never touched.
 *
 * Works from any state: a cluster that never got a resource yields an empty set, a
 * half-deleted one what is left. Inventory entries of things already gone are forgotten
 * by the passes (NotFound is success). Read-only apart from the inventory.
 */
import {
  DescribeAutoScalingGroupsCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeTagsCommand,
  type Filter,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand as DescribeElbTagsCommand,
  DescribeTargetGroupsCommand,
  type DescribeTargetGroupsCommandOutput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import type { ClusterSpec } from '../../shared/spec';
import type { ResourceRecord } from '../../shared/store';
import { clusterTagKey, tagRecord } from '../../shared/tags';
import type { StepDeps } from '../lib/deps';
import { logger, stepEnvelope } from '../lib/step';
import { IMAGE_BAKED_BY_TAG, IMAGE_KEY_TAG, imageKey } from '../image/common';
import {
  chunks,
  clusterParameterPath,
  emptyDeletionSet,
  forget,
  kindOfInventoryType,
  verdict,
  type DeletionKind,
  type DeletionSet,
} from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { elbv2Client } from '../../shared/aws/clients/elbv2';
import { allow, anywhere, arn, getAtt, tableIndex } from '../../shared/aws/iam';

export const discoverInput = stepEnvelope.extend({
  /** Also deregister the images baked for this cluster that no other cluster uses. */
  deleteImages: z.boolean().default(false),
});
export type DiscoverInput = z.input<typeof discoverInput>;

/** EC2 DescribeTags resource types → deletion kinds. */
const EC2_KINDS: Record<string, DeletionKind> = {
  instance: 'instances',
  volume: 'volumes',
  natgateway: 'natGateways',
  'elastic-ip': 'addresses',
  'internet-gateway': 'internetGateways',
  'network-interface': 'networkInterfaces',
  subnet: 'subnets',
  'route-table': 'routeTables',
  'security-group': 'securityGroups',
  vpc: 'vpcs',
  'launch-template': 'launchTemplates',
  image: 'images',
};

/** The amazon-vpc-cni tag on the ENIs it creates. */
const CNI_CLUSTER_TAG = 'cluster.k8s.amazonaws.com/name';

/** A candidate: how the inventory recorded it (if at all). */
type Candidates = Map<string, { recorded?: 'owned' | 'shared' }>;

export interface DiscoverOutput extends DeletionSet {
  /** Resources left alone because nothing says they are ours (tagged for another cluster…). */
  skipped: number;
}

export async function discoverResources(event: DiscoverInput, deps: StepDeps): Promise<DiscoverOutput> {
  const input = discoverInput.parse(event);
  const cluster = input.cluster;
  const inventory = await deps.store.listResources(cluster);
  const set = emptyDeletionSet();
  let skipped = 0;

  // Candidates per kind, from the inventory first.
  const candidates = new Map<DeletionKind, Candidates>();
  const add = (kind: DeletionKind, id: string, recorded?: 'owned' | 'shared') => {
    let m = candidates.get(kind);
    if (!m) candidates.set(kind, (m = new Map()));
    const prev = m.get(id);
    m.set(id, { recorded: recorded ?? prev?.recorded });
  };
  for (const r of inventory) {
    const kind = kindOfInventoryType(r.type);
    if (kind) add(kind, r.id, r.ownership);
  }

  // EC2: everything carrying the cluster tag (any value), in one paginated scan.
  for (const t of await ec2Tags(deps, [{ Name: 'key', Values: [clusterTagKey(cluster)] }])) {
    const kind = EC2_KINDS[t.type];
    if (kind) add(kind, t.id);
  }
  // CNI leftovers in a brought VPC carry the CNI's tag only.
  const cniEnis = await deps.clients.ec2.send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: `tag:${CNI_CLUSTER_TAG}`, Values: [cluster] }] }),
  );
  for (const n of cniEnis.NetworkInterfaces ?? []) if (n.NetworkInterfaceId) add('networkInterfaces', n.NetworkInterfaceId, 'owned');

  // Judge every EC2 candidate by its full tags.
  const ec2Kinds = new Set(Object.values(EC2_KINDS));
  const ec2Ids = [...candidates].filter(([k]) => ec2Kinds.has(k)).flatMap(([, m]) => [...m.keys()]);
  const tagsById = new Map<string, Record<string, string>>();
  for (const part of chunks(ec2Ids, 200)) {
    for (const t of await ec2Tags(deps, [{ Name: 'resource-id', Values: part }])) {
      const tags = tagsById.get(t.id) ?? {};
      tags[t.key] = t.value;
      tagsById.set(t.id, tags);
    }
  }
  for (const kind of ec2Kinds) {
    for (const [id, c] of candidates.get(kind) ?? []) {
      const v = verdict(cluster, tagsById.get(id) ?? {}, c.recorded);
      if (v === 'delete') set[kind].push(id);
      else if (v === 'untag') set.shared.push(id);
      else skipped += 1;
    }
  }

  await dropGone(deps, cluster, set);
  await discoverAutoScalingGroups(deps, cluster, candidates.get('autoScalingGroups') ?? new Map(), set, () => (skipped += 1));
  await discoverElb(deps, cluster, candidates, set, () => (skipped += 1));
  set.parameters = await parameterNames(deps, cluster);
  // Host roles as the inventory has them (recorded before they are made); the delete forgets each once gone.
  set.hostRoles = [...(candidates.get('hostRoles')?.keys() ?? [])];
  set.oidcProviders = [...(candidates.get('oidcProviders')?.keys() ?? [])];
  set.images = input.deleteImages ? await deletableImages(deps, cluster, set.images) : [];

  for (const k of Object.keys(set) as (keyof DeletionSet)[]) set[k] = [...new Set(set[k])].sort();
  logger.info('deletion set', { cluster, counts: Object.fromEntries(Object.entries(set).map(([k, v]) => [k, v.length])), skipped });
  return { ...set, skipped };
}

interface TagRow {
  id: string;
  type: string;
  key: string;
  value: string;
}

async function ec2Tags(deps: StepDeps, filters: Filter[]): Promise<TagRow[]> {
  const rows: TagRow[] = [];
  let token: string | undefined;
  do {
    const out = await deps.clients.ec2.send(new DescribeTagsCommand({ Filters: filters, MaxResults: 1000, NextToken: token }));
    for (const t of out.Tags ?? []) {
      if (t.ResourceId && t.Key) rows.push({ id: t.ResourceId, type: String(t.ResourceType ?? ''), key: t.Key, value: t.Value ?? '' });
    }
    token = out.NextToken;
  } while (token);
  return rows;
}

/**
 * Leave out what needs no deleting: terminated instances, deleted NAT gateways, a VPC's main
 * route table and default security group (they go with the VPC). Those are forgotten now.
 */
async function dropGone(deps: StepDeps, cluster: string, set: DeletionSet): Promise<void> {
  const ec2 = deps.clients.ec2;
  const drop = async (kind: DeletionKind, gone: Set<string>) => {
    for (const id of gone) await forget(deps, cluster, kind, id);
    set[kind] = set[kind].filter((id) => !gone.has(id));
  };
  if (set.instances.length) {
    const live = new Set<string>();
    for (const part of chunks(set.instances, 200)) {
      const out = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'instance-id', Values: part },
            { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
          ],
        }),
      );
      for (const r of out.Reservations ?? []) for (const i of r.Instances ?? []) if (i.InstanceId) live.add(i.InstanceId);
    }
    await drop('instances', new Set(set.instances.filter((id) => !live.has(id))));
  }
  if (set.natGateways.length) {
    const out = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'nat-gateway-id', Values: set.natGateways }, { Name: 'state', Values: ['deleted'] }] }));
    await drop('natGateways', new Set((out.NatGateways ?? []).map((n) => n.NatGatewayId!)));
  }
  if (set.routeTables.length) {
    const out = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'route-table-id', Values: set.routeTables }, { Name: 'association.main', Values: ['true'] }] }),
    );
    await drop('routeTables', new Set((out.RouteTables ?? []).map((t) => t.RouteTableId!)));
  }
  if (set.securityGroups.length) {
    const out = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: set.securityGroups }, { Name: 'group-name', Values: ['default'] }] }),
    );
    await drop('securityGroups', new Set((out.SecurityGroups ?? []).map((g) => g.GroupId!)));
  }
}

async function discoverAutoScalingGroups(deps: StepDeps, cluster: string, recorded: Candidates, set: DeletionSet, skip: () => void): Promise<void> {
  const groups = new Map<string, AutoScalingGroup>();
  const describe = async (params: ConstructorParameters<typeof DescribeAutoScalingGroupsCommand>[0]) => {
    let token: string | undefined;
    do {
      const out = await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ ...params, NextToken: token }));
      for (const g of out.AutoScalingGroups ?? []) if (g.AutoScalingGroupName) groups.set(g.AutoScalingGroupName, g);
      token = out.NextToken;
    } while (token);
  };
  await describe({ Filters: [{ Name: `tag:${clusterTagKey(cluster)}`, Values: ['owned', 'shared'] }] });
  for (const part of chunks([...recorded.keys()], 50)) await describe({ AutoScalingGroupNames: part });
  for (const name of recorded.keys()) if (!groups.has(name)) await forget(deps, cluster, 'autoScalingGroups', name);
  for (const [name, g] of groups) {
    const v = verdict(cluster, tagRecord(g.Tags?.map((t) => ({ Key: t.Key, Value: t.Value }))), recorded.get(name)?.recorded);
    if (v === 'delete') set.autoScalingGroups.push(name);
    else skip(); // a brought group is not something Hopper supports: leave it as it is
  }
}

/**
 * Load balancers and target groups have no tag filter: list them (an account holds few) and
 * read their tags 20 at a time. The cloud controller manager tags the load balancers it
 * makes for Services `kubernetes.io/cluster/<name>=owned`, so they are found here too.
 */
async function discoverElb(deps: StepDeps, cluster: string, candidates: Map<DeletionKind, Candidates>, set: DeletionSet, skip: () => void): Promise<void> {
  const elb = deps.clients.elbv2;
  const lbs: string[] = [];
  let marker: string | undefined;
  do {
    const out = await elb.send(new DescribeLoadBalancersCommand({ Marker: marker, PageSize: 400 }));
    for (const lb of out.LoadBalancers ?? []) if (lb.LoadBalancerArn) lbs.push(lb.LoadBalancerArn);
    marker = out.NextMarker;
  } while (marker);
  const tgs: string[] = [];
  marker = undefined;
  do {
    const out: DescribeTargetGroupsCommandOutput = await elb.send(new DescribeTargetGroupsCommand({ Marker: marker, PageSize: 400 }));
    for (const tg of out.TargetGroups ?? []) if (tg.TargetGroupArn) tgs.push(tg.TargetGroupArn);
    marker = out.NextMarker;
  } while (marker);
  const tags = new Map<string, Record<string, string>>();
  for (const part of chunks([...lbs, ...tgs], 20)) {
    const out = await elb.send(new DescribeElbTagsCommand({ ResourceArns: part }));
    for (const d of out.TagDescriptions ?? []) if (d.ResourceArn) tags.set(d.ResourceArn, tagRecord(d.Tags));
  }
  const judge = async (kind: 'loadBalancers' | 'targetGroups', existing: string[]) => {
    const recorded = candidates.get(kind) ?? new Map();
    const live = new Set(existing);
    for (const arn of existing) {
      const v = verdict(cluster, tags.get(arn) ?? {}, recorded.get(arn)?.recorded);
      if (v === 'delete') set[kind].push(arn);
      else if (v !== 'skip' || recorded.has(arn)) skip();
    }
    // Recorded but no longer listed: already gone.
    for (const arn of recorded.keys()) if (!live.has(arn)) await forget(deps, cluster, kind, arn);
  };
  await judge('loadBalancers', lbs);
  await judge('targetGroups', tgs);
  // Listeners: the recorded ones plus those of the load balancers we delete (they go with them anyway).
  const listeners = new Set((candidates.get('listeners') ?? new Map()).keys());
  for (const arn of set.loadBalancers) {
    try {
      const out = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: arn }));
      for (const l of out.Listeners ?? []) if (l.ListenerArn) listeners.add(l.ListenerArn);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  set.listeners = [...listeners];
}

async function parameterNames(deps: StepDeps, cluster: string): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const out = await deps.clients.ssm.send(
      new GetParametersByPathCommand({ Path: clusterParameterPath(deps, cluster).replace(/\/$/, ''), Recursive: true, NextToken: token, MaxResults: 10 }),
    );
    for (const p of out.Parameters ?? []) if (p.Name) names.push(p.Name);
    token = out.NextToken;
  } while (token);
  return names;
}

/**
 * The images this cluster baked (or owns) that no other cluster uses: not named by another
 * cluster's spec (`image.id`, a group's `imageId`) or inventory, and not the cached bake
 * another cluster's spec would resolve to (same bake key).
 */
async function deletableImages(deps: StepDeps, cluster: string, tagged: string[]): Promise<string[]> {
  const out = await deps.clients.ec2.send(
    new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${IMAGE_BAKED_BY_TAG}`, Values: [cluster] }] }),
  );
  const keys = new Map<string, string | undefined>();
  for (const i of out.Images ?? []) if (i.ImageId) keys.set(i.ImageId, tagRecord(i.Tags)[IMAGE_KEY_TAG]);
  for (const id of tagged) if (!keys.has(id)) keys.set(id, undefined);
  if (keys.size === 0) return [];

  const usedIds = new Set<string>();
  const usedKeys = new Set<string>();
  for (const other of await deps.store.listClusters()) {
    if (other.name === cluster) continue;
    const spec = other.spec as unknown as Partial<ClusterSpec>;
    if (spec.image?.id) usedIds.add(spec.image.id);
    for (const g of spec.instanceGroups ?? []) if (g.imageId) usedIds.add(g.imageId);
    if (spec.kubernetesVersion && spec.architecture && spec.region) {
      usedKeys.add(imageKey({ kubernetesVersion: spec.kubernetesVersion, architecture: spec.architecture, region: spec.region, assets: spec.assets }));
    }
    const theirs: ResourceRecord[] = await deps.store.listResources(other.name);
    for (const r of theirs) if (r.type === 'image') usedIds.add(r.id);
  }
  return [...keys].filter(([id, key]) => !usedIds.has(id) && !(key && usedKeys.has(key))).map(([id]) => id);
}

/** The clients the discovery uses. */
export const DISCOVERY_CLIENTS = [ec2Client, autoscalingClient, ssmClient, elbv2Client];

/** What the discovery calls: reads everywhere, and the inventory. */
export const DISCOVERY_PERMISSIONS = [
  allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
  anywhere('ec2:DescribeTags', 'ec2:DescribeInstances', 'ec2:DescribeNatGateways', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeRouteTables', 'ec2:DescribeSecurityGroups', 'ec2:DescribeImages', 'autoscaling:DescribeAutoScalingGroups', 'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTags'),
  allow(['ssm:GetParametersByPath'], [arn('ssm', 'parameter/hopper/*')]),
];
