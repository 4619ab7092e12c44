/**
 * A node group's Auto Scaling group, which EnsureAutoScalingGroup creates and
 * ApplyInstanceGroup creates or updates: its subnets, tags and the adopt-or-create logic.
 */
import {
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { isAlreadyExists } from '../../shared/aws/errors';
import { StepFailedError } from '../../shared/errors';
import type { ClusterSpec, InstanceGroupSpec } from '../../shared/spec';
import { HOPPER_CLUSTER_TAG, tagRecord, type Tag } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { type ZoneSubnets } from '../network/common';
import { findGroupSpec, groupResourceName, groupTags } from './common';

/** The cluster-autoscaler's auto-discovery tags (`--node-group-auto-discovery=asg:tag=…`). */
export function autoscalerTags(cluster: string): Tag[] {
  return [
    { Key: 'k8s.io/cluster-autoscaler/enabled', Value: 'true' },
    { Key: `k8s.io/cluster-autoscaler/${cluster}`, Value: 'owned' },
  ];
}

/** The group's private subnets, in the order of its zones. */
export function groupSubnets(group: InstanceGroupSpec, subnets: ZoneSubnets[]): string[] {
  return group.zones.map((zone) => {
    const s = subnets.find((x) => x.zone === zone);
    if (!s) throw new StepFailedError(`instance group ${group.name}: no subnet in zone ${zone}`);
    return s.privateSubnetId;
  });
}

export async function ensureAutoScalingGroup(
  input: { cluster: string; group: string; subnets: ZoneSubnets[]; launchTemplate: { launchTemplateId: string; version: number } },
  deps: StepDeps,
): Promise<{ autoScalingGroupName: string }> {
  const { spec } = await loadCluster(deps, input.cluster);
  const group = findGroupSpec(spec, input.group);
  const name = groupResourceName(spec.name, group.name);
  const launchTemplate = { LaunchTemplateId: input.launchTemplate.launchTemplateId, Version: String(input.launchTemplate.version) };

  let existing = await findGroup(deps, name);
  if (!existing) {
    try {
      await deps.clients.autoscaling.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: name,
          LaunchTemplate: launchTemplate,
          MinSize: group.min,
          MaxSize: group.max,
          DesiredCapacity: group.min,
          VPCZoneIdentifier: groupSubnets(group, input.subnets).join(','),
          Tags: asgTags(spec, group.name).map((t) => ({ ...t, ResourceId: name, ResourceType: 'auto-scaling-group', PropagateAtLaunch: true })),
        }),
      );
    } catch (err) {
      // A call whose response was lost created it already (CreateAutoScalingGroup has no ClientToken).
      if (!isAlreadyExists(err)) throw err;
      existing = await findGroup(deps, name);
      if (!existing) throw err;
    }
  }
  if (existing) await adopt(deps, spec, existing, launchTemplate);
  await deps.store.recordResource(spec.name, {
    type: 'autoscaling-group',
    id: name,
    ownership: 'owned',
    name,
    attrs: { group: group.name, launchTemplateId: launchTemplate.LaunchTemplateId, version: input.launchTemplate.version },
  });
  return { autoScalingGroupName: name };
}

function asgTags(spec: ClusterSpec, group: string): Tag[] {
  return [...groupTags(spec, group), ...autoscalerTags(spec.name)];
}

async function findGroup(deps: StepDeps, name: string): Promise<AutoScalingGroup | undefined> {
  const out = await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  // A group being deleted is not one to adopt; creating over it fails with AlreadyExists until it is gone.
  return out.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
}

/** Our group (by its cluster tag) is kept; its launch template version is brought up to date. */
async function adopt(deps: StepDeps, spec: ClusterSpec, group: AutoScalingGroup, launchTemplate: { LaunchTemplateId: string; Version: string }): Promise<void> {
  const name = group.AutoScalingGroupName!;
  const owner = tagRecord(group.Tags)[HOPPER_CLUSTER_TAG];
  if (owner !== spec.name) throw new StepFailedError(`Auto Scaling group ${name} exists but belongs to ${owner ? `cluster ${owner}` : 'someone else'}`);
  if (group.Status === 'Delete in progress') throw new StepFailedError(`Auto Scaling group ${name} is being deleted`);
  const current = group.LaunchTemplate;
  if (current?.LaunchTemplateId !== launchTemplate.LaunchTemplateId || current?.Version !== launchTemplate.Version) {
    await deps.clients.autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchTemplate: launchTemplate }));
  }
}
