/**
 * What the update steps share: the scale request an operation may carry, and the node
 * group's network and security group read back from the inventory (update has no create
 * workflow state to pass them along).
 */
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import type { ClusterSpec } from '../../shared/spec';
import type { OperationRecord, ResourceRecord } from '../../shared/store';
import type { SecurityGroupIds, ZoneSubnets } from '../network/common';

/** The request a `scale` operation carries (functions/events/scale-instance-group.ts stores it). */
export const scaleRequestSchema = z.object({
  group: z.string(),
  desired: z.int().min(0).optional(),
  min: z.int().min(0).optional(),
  max: z.int().min(0).optional(),
});
export type ScaleRequest = z.infer<typeof scaleRequestSchema>;

/** The one-shot desired capacity an operation asks for, by group (empty for a plain update). */
export function desiredCapacityOf(op: OperationRecord | undefined): Record<string, number> {
  const request = scaleRequestSchema.safeParse((op?.input as { request?: unknown } | undefined)?.request);
  if (!request.success || request.data.desired === undefined) return {};
  return { [request.data.group]: request.data.desired };
}

/** The security groups EnsureSecurityGroups recorded (by `attrs.role`). */
export function recordedSecurityGroups(resources: ResourceRecord[]): SecurityGroupIds | undefined {
  const byRole = (role: string) => resources.find((r) => r.type === 'security-group' && r.attrs?.role === role)?.id;
  const nodes = byRole('nodes');
  const controlPlane = byRole('control-plane');
  if (!nodes || !controlPlane) return undefined;
  return { nodes, controlPlane };
}

/** Each zone's subnets as EnsureZoneSubnets returned them (public topology: one subnet for both). */
export function recordedSubnets(spec: ClusterSpec, resources: ResourceRecord[]): ZoneSubnets[] {
  return spec.zones.map((zone) => {
    const of = (role: string) => resources.find((r) => r.type === 'subnet' && r.zone === zone && r.attrs?.role === role)?.id;
    if (spec.topology === 'public') {
      const id = of('public');
      if (!id) throw new StepFailedError(`cluster ${spec.name} has no recorded public subnet in ${zone}`);
      return { zone, utilitySubnetId: id, privateSubnetId: id };
    }
    const utilitySubnetId = of('utility');
    const privateSubnetId = of('private');
    if (!utilitySubnetId || !privateSubnetId) throw new StepFailedError(`cluster ${spec.name} has no recorded subnets in ${zone}`);
    return { zone, utilitySubnetId, privateSubnetId };
  });
}
