/** What the node-group steps share: names, tags and the group lookup. */
import { createHash } from 'node:crypto';
import { StepFailedError } from '../../shared/errors';
import type { ClusterSpec, InstanceGroupSpec } from '../../shared/spec';
import { groupResourceName } from '../../shared/tags';
import { resourceTags, type Tag } from '../../shared/tags';

/** `hopper:role` of worker nodes and their launch templates and Auto Scaling groups. */
export const NODE_ROLE = 'node';

export { groupResourceName } from '../../shared/tags';

/** The group's spec, or a terminal error naming the groups there are. */
export function findGroupSpec(spec: ClusterSpec, name: string): InstanceGroupSpec {
  const group = spec.instanceGroups.find((g) => g.name === name);
  if (!group) {
    throw new StepFailedError(`cluster ${spec.name} has no instance group ${name} (it has ${spec.instanceGroups.map((g) => g.name).join(', ') || 'none'})`);
  }
  return group;
}

/** The tags of a group's resources and the instances they launch. */
export function groupTags(spec: ClusterSpec, group: string): Tag[] {
  return resourceTags({ cluster: spec.name, role: NODE_ROLE, name: groupResourceName(spec.name, group), group, extra: spec.tags });
}

/** A ClientToken (at most 64 characters) from the parts given. */
export function tokenOf(prefix: string, ...parts: string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 48)}`;
}
