/**
 * Tags Hopper puts on every cloud resource. They are how steps find what they created
 * before (look before you create), how delete finds what the inventory missed, and how the
 * Kubernetes cloud controller and cluster-autoscaler recognise the cluster's resources.
 */

/** `kubernetes.io/cluster/<name>`: `owned` on what Hopper created, `shared` on what it was given. */
export function clusterTagKey(cluster: string): string {
  return `kubernetes.io/cluster/${cluster}`;
}

export const HOPPER_CLUSTER_TAG = 'hopper:cluster';
/** What the resource is to the cluster: `vpc`, `utility-subnet`, `private-subnet`, `nat`, `control-plane`… */
export const HOPPER_ROLE_TAG = 'hopper:role';
/** The zone a per-zone resource belongs to. */
export const HOPPER_ZONE_TAG = 'hopper:zone';
/** The instance group an instance, launch template or Auto Scaling group belongs to. */
export const HOPPER_GROUP_TAG = 'hopper:instance-group';

export type Ownership = 'owned' | 'shared';

/**
 * `<group>.<cluster>`: the name of an instance group's launch template and Auto Scaling
 * group, as kops names them. Both names are DNS labels (no dots), so the first dot splits
 * them and no two clusters can produce the same name — `<cluster>-<group>` let cluster
 * `prod` with group `eu-nodes` and cluster `prod-eu` with group `nodes` collide.
 */
export function groupResourceName(cluster: string, group: string): string {
  return `${group}.${cluster}`;
}

export interface Tag {
  Key: string;
  Value: string;
}

/**
 * The tags of a resource Hopper creates: cluster ownership, role, optional zone and group,
 * a readable `Name`, and the user's extra tags (which may not override ours).
 */
export function resourceTags(options: {
  cluster: string;
  role: string;
  name: string;
  zone?: string;
  group?: string;
  ownership?: Ownership;
  extra?: Record<string, string>;
}): Tag[] {
  const tags: Record<string, string> = { ...(options.extra ?? {}) };
  tags.Name = options.name;
  tags[clusterTagKey(options.cluster)] = options.ownership ?? 'owned';
  tags[HOPPER_CLUSTER_TAG] = options.cluster;
  tags[HOPPER_ROLE_TAG] = options.role;
  if (options.zone) tags[HOPPER_ZONE_TAG] = options.zone;
  if (options.group) tags[HOPPER_GROUP_TAG] = options.group;
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** EC2 `Filters` that find the resources of one role (and zone) of a cluster. */
export function roleFilters(cluster: string, role: string, zone?: string): Array<{ Name: string; Values: string[] }> {
  return [
    { Name: `tag:${clusterTagKey(cluster)}`, Values: ['owned', 'shared'] },
    { Name: `tag:${HOPPER_ROLE_TAG}`, Values: [role] },
    ...(zone ? [{ Name: `tag:${HOPPER_ZONE_TAG}`, Values: [zone] }] : []),
  ];
}

/** Tags as a plain record (EC2 and Auto Scaling return lists). */
export function tagRecord(tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}
