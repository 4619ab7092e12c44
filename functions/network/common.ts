/**
 * What the network steps share: input schemas, the tags and ClientTokens of what they
 * create, and the "shared" tag they add (and nothing else) to a brought resource.
 */
import { createHash } from 'node:crypto';
import { CreateTagsCommand, type Tag as Ec2Tag } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import type { ClusterSpec } from '../../shared/spec';
import { clusterTagKey, resourceTags, tagRecord, type Ownership, type Tag } from '../../shared/tags';
import type { StepDeps } from '../lib/deps';

/** One zone's subnets, as EnsureZoneSubnets returns them (the Map collects them in zone order). */
export const zoneSubnetsSchema = z.object({
  zone: z.string(),
  utilitySubnetId: z.string(),
  privateSubnetId: z.string(),
});
export type ZoneSubnets = z.infer<typeof zoneSubnetsSchema>;
export const subnetsSchema = z.array(zoneSubnetsSchema).min(1);

/** EnsureSecurityGroups' output, passed on to the load balancer, bastion and instances. */
export const securityGroupsSchema = z.object({
  controlPlane: z.string(),
  nodes: z.string(),
  apiLoadBalancer: z.string().optional(),
  bastion: z.string().optional(),
});
export type SecurityGroupIds = z.infer<typeof securityGroupsSchema>;

/** Roles (`hopper:role` tag values) of the network's resources. */
export const ROLES = {
  vpc: 'vpc',
  internetGateway: 'internet-gateway',
  utilitySubnet: 'utility-subnet',
  privateSubnet: 'private-subnet',
  publicSubnet: 'public-subnet',
  publicRouteTable: 'public-route-table',
  privateRouteTable: 'private-route-table',
  natGateway: 'nat-gateway',
  natAddress: 'nat-eip',
  bastion: 'bastion',
} as const;

/** The tags of a resource a network step creates, with the spec's extra tags. */
export function tagsFor(spec: ClusterSpec, role: string, name: string, zone?: string): Tag[] {
  return resourceTags({ cluster: spec.name, role, name, zone, extra: spec.tags });
}

/** `TagSpecifications` for a create call: tagged at creation, so a crash leaves a findable resource. */
export function tagSpec(resourceType: string, tags: Tag[]) {
  // The SDK types ResourceType as a string union; our callers pass valid EC2 resource types.
  return [{ ResourceType: resourceType as never, Tags: tags }];
}

/**
 * A ClientToken for an idempotent create (CreateNatGateway, CreateRouteTable, RunInstances):
 * the same cluster incarnation, operation, role and zone always give the same token, so a
 * call retried after a lost response returns the first resource instead of a second one.
 * Hashed to stay within EC2's 64 characters whatever the names are.
 */
export function clientToken(uid: string, operationId: string, role: string, zone = ''): string {
  const digest = createHash('sha256').update([uid, operationId, role, zone].join('\n')).digest('hex');
  return `hopper-${digest.slice(0, 56)}`;
}

/** A readable `Name` tag: `<cluster>-<role>[-<zone>]`. */
export function resourceName(cluster: string, role: string, zone?: string): string {
  return zone ? `${cluster}-${role}-${zone}` : `${cluster}-${role}`;
}

/** Who owns a resource we found by tag: what its cluster tag says (`owned` unless `shared`). */
export function ownershipOf(cluster: string, tags: Ec2Tag[] | undefined): Ownership {
  return tagRecord(tags)[clusterTagKey(cluster)] === 'shared' ? 'shared' : 'owned';
}

/**
 * Mark a brought resource as used by the cluster: add `kubernetes.io/cluster/<name>=shared`
 * when it has no cluster tag yet. Nothing else of a brought resource is ever changed.
 */
export async function tagShared(deps: StepDeps, cluster: string, id: string, tags: Ec2Tag[] | undefined): Promise<void> {
  if (tagRecord(tags)[clusterTagKey(cluster)] !== undefined) return;
  await deps.clients.ec2.send(
    new CreateTagsCommand({ Resources: [id], Tags: [{ Key: clusterTagKey(cluster), Value: 'shared' }] }),
  );
}

/** The spec's subnet of a type in a zone. */
export function specSubnet(spec: ClusterSpec, zone: string, type: 'private' | 'utility' | 'public') {
  return spec.subnets.find((s) => s.zone === zone && s.type === type);
}

/** Whether the spec brought (gave an id for) the subnet with this id. */
export function isBroughtSubnet(spec: ClusterSpec, subnetId: string): boolean {
  return spec.subnets.some((s) => s.id === subnetId);
}

export const API_PORT = 6443;
export const apiLoadBalancerName = (cluster: string) => `${cluster}-api`;
export const apiTargetGroupName = (cluster: string) => `${cluster}-api-${API_PORT}`;

/** The security groups' role tags (`hopper:role`), by what they are for. */
export const GROUP_ROLES = {
  controlPlane: 'control-plane',
  nodes: 'nodes',
  apiLoadBalancer: 'api-lb',
  bastion: 'bastion',
} as const;
