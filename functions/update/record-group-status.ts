/**
 * RecordGroupStatus: after the groups are applied, write what AWS now runs onto the cluster
 * record's `instanceGroups` (sizes, machine type, launch template version, whether the
 * instances need a rolling update), dropping groups that were deleted.
 */
import * as z from 'zod';
import type { InstanceGroupStatus } from '../../shared/store';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { describeClusterGroups, observeGroup } from './observe';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { anywhere, table } from '../../shared/aws/iam';

const input = stepEnvelope.extend({ rollingGroups: z.array(z.string()).optional() });

export async function recordGroupStatus(event: { cluster: string; rollingGroups?: string[] }, deps: StepDeps): Promise<{ groups: Record<string, InstanceGroupStatus> }> {
  const { spec } = await loadCluster(deps, event.cluster);
  const resources = await deps.store.listResources(spec.name);
  const observed = await Promise.all((await describeClusterGroups(deps, spec, resources)).map((g) => observeGroup(deps, g)));
  const groups: Record<string, InstanceGroupStatus> = {};
  for (const g of spec.instanceGroups) {
    const o = observed.find((x) => x.name === g.name && x.status !== 'Delete in progress');
    if (!o) continue;
    groups[g.name] = {
      role: 'Node',
      machineType: o.launchTemplate?.machineType ?? g.machineType,
      min: o.min,
      max: o.max,
      desired: o.desired,
      launchTemplateVersion: o.launchTemplate?.version,
      status: 'Ready',
      // Instances launched from an older version stay until a rolling update replaces them.
      needsRollingUpdate: event.rollingGroups?.includes(g.name) === true,
    };
  }
  const desiredNames = new Set(spec.instanceGroups.map((g) => g.name));
  await deps.store.mutateCluster(spec.name, (record) => {
    const instanceGroups: Record<string, InstanceGroupStatus> = {};
    for (const [name, status] of Object.entries(record.instanceGroups ?? {})) {
      // Keep the control plane, bastion and anything not a node group; node groups are rewritten.
      if (status.role === 'Node' && !desiredNames.has(name)) continue;
      const now = groups[name];
      instanceGroups[name] = now ? { ...status, ...now, needsRollingUpdate: status.needsRollingUpdate === true || now.needsRollingUpdate === true } : status;
    }
    for (const [name, status] of Object.entries(groups)) instanceGroups[name] ??= status;
    return { instanceGroups };
  });
  return { groups };
}

export const step = defineStep({
  name: 'RecordGroupStatus',
  clients: [ec2Client, autoscalingClient], input,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeLaunchTemplateVersions'),
  ],
  run: recordGroupStatus,
});
export const { handler } = step;
