/** Auto Scaling group API (query protocol, Version 2011-01-01). */
import type {
  AutoScalingGroup,
  AutoScalingGroupNamesType,
  AutoScalingGroupsType,
  AutoScalingInstancesType,
  CreateAutoScalingGroupType,
  CreateOrUpdateTagsType,
  DeleteAutoScalingGroupType,
  DeleteTagsType,
  DescribeAutoScalingInstancesType,
  DescribeScalingActivitiesType,
  DetachInstancesQuery,
  SetDesiredCapacityType,
  TerminateInstanceInAutoScalingGroupType,
  UpdateAutoScalingGroupType,
} from '@aws-sdk/client-auto-scaling';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { SimAutoScalingGroup, SimInstance } from '../core/types';
import { terminateInstance } from '../ec2/instance-lifecycle';
import { findLaunchTemplate } from '../ec2/launch-templates';
import { activity, groupInstances, reconcileGroup, unhealthy } from './reconciler';

function lifecycle(i: SimInstance): string {
  if (i.state === 'pending') return 'Pending';
  if (i.state === 'running') return 'InService';
  if (i.state === 'shutting-down' || i.state === 'stopping') return 'Terminating';
  return 'Terminated';
}

function toSdk(g: SimAutoScalingGroup, state: SimState): AutoScalingGroup {
  return {
    AutoScalingGroupName: g.name,
    AutoScalingGroupARN: g.arn,
    LaunchTemplate: g.launchTemplate ? { LaunchTemplateId: g.launchTemplate.id, LaunchTemplateName: g.launchTemplate.name, Version: g.launchTemplate.version } : undefined,
    MixedInstancesPolicy: g.mixedInstancesPolicy
      ? {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateId: g.mixedInstancesPolicy.launchTemplate.id, LaunchTemplateName: g.mixedInstancesPolicy.launchTemplate.name, Version: g.mixedInstancesPolicy.launchTemplate.version },
            Overrides: g.mixedInstancesPolicy.overrides.map((o) => ({ InstanceType: o.instanceType })),
          },
        }
      : undefined,
    MinSize: g.minSize,
    MaxSize: g.maxSize,
    DesiredCapacity: g.desiredCapacity,
    DefaultCooldown: g.defaultCooldown,
    AvailabilityZones: g.availabilityZones,
    VPCZoneIdentifier: g.subnetIds.join(','),
    HealthCheckType: g.healthCheckType,
    HealthCheckGracePeriod: g.healthCheckGracePeriod,
    TargetGroupARNs: g.targetGroupArns,
    LoadBalancerNames: [],
    CreatedTime: new Date(g.createdAt),
    Status: g.status,
    NewInstancesProtectedFromScaleIn: g.newInstancesProtectedFromScaleIn,
    Instances: groupInstances(state, g)
      .filter((i) => i.state !== 'terminated')
      .map((i) => ({
        InstanceId: i.id,
        InstanceType: i.instanceType,
        AvailabilityZone: i.availabilityZone,
        LifecycleState: lifecycle(i) as 'InService',
        HealthStatus: unhealthy(state, g, i) ? 'Unhealthy' : 'Healthy',
        LaunchTemplate: i.launchTemplate ? { LaunchTemplateId: i.launchTemplate.id, LaunchTemplateName: i.launchTemplate.name, Version: i.launchTemplate.version } : undefined,
        ProtectedFromScaleIn: false,
      })),
    Tags: g.asgTags.map((t) => ({ ResourceId: g.name, ResourceType: 'auto-scaling-group', Key: t.key, Value: t.value, PropagateAtLaunch: t.propagateAtLaunch })),
    SuspendedProcesses: [],
    EnabledMetrics: [],
    TerminationPolicies: ['Default'],
    ServiceLinkedRoleARN: `arn:aws:iam::${state.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
  };
}

function mustGroup(ctx: SimContext, name: string | undefined): SimAutoScalingGroup {
  const g = name ? ctx.state.autoScalingGroups.get(name) : undefined;
  if (!g || g.region !== ctx.region) throw new SimError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup ${name} not found`);
  return g;
}

function checkSizes(min: number, max: number, desired: number): void {
  if (min > max) throw new SimError('ValidationError', `The MinSize must be less than or equal to the MaxSize`);
  if (desired < min || desired > max) {
    throw new SimError('ValidationError', `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`);
  }
}

type LtSpec = { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string };

function resolveLt(ctx: SimContext, spec: LtSpec) {
  const t = findLaunchTemplate(ctx.state, ctx.region, spec.LaunchTemplateId, spec.LaunchTemplateName);
  return { id: t.id, name: t.launchTemplateName, version: spec.Version ?? '$Default' };
}

function subnetsOf(ctx: SimContext, ids: string): { subnetIds: string[]; zones: string[] } {
  const subnetIds = ids.split(',').map((s) => s.trim()).filter(Boolean);
  const zones: string[] = [];
  for (const id of subnetIds) {
    const s = ctx.state.subnets.get(id);
    if (!s || s.region !== ctx.region) throw new SimError('ValidationError', `The subnet ID '${id}' does not exist`);
    if (!zones.includes(s.availabilityZone)) zones.push(s.availabilityZone);
  }
  return { subnetIds, zones };
}

const create: QueryHandler = (input: CreateAutoScalingGroupType, ctx: SimContext) => {
  const { state } = ctx;
  const name = input.AutoScalingGroupName ?? '';
  if (state.autoScalingGroups.has(name)) throw new SimError('AlreadyExists', `AutoScalingGroup by this name already exists - A group with the name ${name} already exists`);
  const ltSpec = input.LaunchTemplate ?? input.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (!ltSpec) throw new SimError('ValidationError', 'Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.');
  const lt = resolveLt(ctx, ltSpec);
  const { subnetIds, zones } = subnetsOf(ctx, input.VPCZoneIdentifier ?? '');
  if (!subnetIds.length) throw new SimError('ValidationError', 'At least one Availability Zone or VPC Subnet is required.');
  const min = input.MinSize ?? 0;
  const max = input.MaxSize ?? 0;
  const desired = input.DesiredCapacity ?? min;
  checkSizes(min, max, desired);
  const asgTags = (input.Tags ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value ?? '', propagateAtLaunch: !!t.PropagateAtLaunch }));
  const g: SimAutoScalingGroup = {
    ...state.base(name, ctx.region, Object.fromEntries(asgTags.map((t) => [t.key, t.value]))),
    name,
    arn: `arn:aws:autoscaling:${ctx.region}:${state.accountId}:autoScalingGroup:${state.rng.hex(8)}-${state.rng.hex(4)}-${state.rng.hex(4)}-${state.rng.hex(4)}-${state.rng.hex(12)}:autoScalingGroupName/${name}`,
    launchTemplate: input.LaunchTemplate ? lt : undefined,
    mixedInstancesPolicy: input.MixedInstancesPolicy
      ? { launchTemplate: lt, overrides: (input.MixedInstancesPolicy.LaunchTemplate?.Overrides ?? []).map((o) => ({ instanceType: o.InstanceType })) }
      : undefined,
    minSize: min,
    maxSize: max,
    desiredCapacity: desired,
    subnetIds,
    availabilityZones: zones,
    defaultCooldown: input.DefaultCooldown ?? 300,
    healthCheckType: input.HealthCheckType ?? 'EC2',
    healthCheckGracePeriod: input.HealthCheckGracePeriod ?? 0,
    targetGroupArns: input.TargetGroupARNs ?? [],
    asgTags,
    activities: [],
    newInstancesProtectedFromScaleIn: !!input.NewInstancesProtectedFromScaleIn,
  };
  state.autoScalingGroups.set(name, g);
  reconcileGroup(state, g);
  return {};
};

const update: QueryHandler = (input: UpdateAutoScalingGroupType, ctx: SimContext) => {
  const g = mustGroup(ctx, input.AutoScalingGroupName);
  if (g.status) throw new SimError('ScalingActivityInProgress', 'The group is being deleted');
  const min = input.MinSize ?? g.minSize;
  const max = input.MaxSize ?? g.maxSize;
  let desired = input.DesiredCapacity ?? g.desiredCapacity;
  // Like AWS: changing only min/max drags desired into the new range.
  if (input.DesiredCapacity === undefined) desired = Math.min(max, Math.max(min, desired));
  checkSizes(min, max, desired);
  Object.assign(g, { minSize: min, maxSize: max, desiredCapacity: desired });
  if (input.LaunchTemplate) g.launchTemplate = resolveLt(ctx, input.LaunchTemplate);
  if (input.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification) {
    g.mixedInstancesPolicy = {
      launchTemplate: resolveLt(ctx, input.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification),
      overrides: (input.MixedInstancesPolicy.LaunchTemplate.Overrides ?? []).map((o) => ({ instanceType: o.InstanceType })),
    };
  }
  if (input.VPCZoneIdentifier) Object.assign(g, subnetsOf(ctx, input.VPCZoneIdentifier), { availabilityZones: subnetsOf(ctx, input.VPCZoneIdentifier).zones });
  if (input.HealthCheckType) g.healthCheckType = input.HealthCheckType;
  if (input.HealthCheckGracePeriod !== undefined) g.healthCheckGracePeriod = input.HealthCheckGracePeriod;
  reconcileGroup(ctx.state, g);
  return {};
};

const remove: QueryHandler = (input: DeleteAutoScalingGroupType, ctx: SimContext) => {
  const { state } = ctx;
  const g = mustGroup(ctx, input.AutoScalingGroupName);
  const live = groupInstances(state, g).filter((i) => i.state !== 'terminated');
  if (g.status === 'Delete in progress') return {};
  if (live.length && !input.ForceDelete) {
    if (live.some((i) => i.state === 'pending' || i.state === 'shutting-down')) {
      throw new SimError('ScalingActivityInProgress', 'You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.');
    }
    throw new SimError('ResourceInUse', 'You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.');
  }
  g.status = 'Delete in progress';
  g.desiredCapacity = 0;
  g.minSize = 0;
  for (const i of live) terminateInstance(state, i);
  // The group disappears once its instances are gone.
  const check = state.clock.every(5, () => {
    if (groupInstances(state, g).every((i) => i.state === 'terminated')) {
      state.autoScalingGroups.delete(g.name);
      check.cancel();
    }
  });
  return {};
};

const describe: QueryHandler = (input: AutoScalingGroupNamesType, ctx: SimContext): AutoScalingGroupsType => {
  let items = [...ctx.state.autoScalingGroups.values()].filter((g) => g.region === ctx.region);
  if (input.AutoScalingGroupNames?.length) items = items.filter((g) => input.AutoScalingGroupNames?.includes(g.name));
  for (const f of input.Filters ?? []) {
    const vals = f.Values ?? [];
    if (f.Name?.startsWith('tag:')) items = items.filter((g) => vals.includes(g.tags[f.Name!.slice(4)] ?? '\0'));
    else if (f.Name === 'tag-key') items = items.filter((g) => Object.keys(g.tags).some((k) => vals.includes(k)));
    else if (f.Name === 'tag-value') items = items.filter((g) => Object.values(g.tags).some((v) => vals.includes(v)));
  }
  const start = input.NextToken ? Number(input.NextToken) : 0;
  const max = input.MaxRecords ?? 50;
  const page = items.slice(start, start + max);
  return { AutoScalingGroups: page.map((g) => toSdk(g, ctx.state)), NextToken: start + max < items.length ? String(start + max) : undefined };
};

const setDesired: QueryHandler = (input: SetDesiredCapacityType, ctx: SimContext) => {
  const g = mustGroup(ctx, input.AutoScalingGroupName);
  const d = input.DesiredCapacity ?? g.desiredCapacity;
  if (d < g.minSize || d > g.maxSize) {
    throw new SimError('ValidationError', `New SetDesiredCapacity value ${d} is below min value ${g.minSize} or above max value ${g.maxSize} for the AutoScalingGroup.`);
  }
  g.desiredCapacity = d;
  reconcileGroup(ctx.state, g);
  return {};
};

const detach: QueryHandler = (input: DetachInstancesQuery, ctx: SimContext) => {
  const { state } = ctx;
  const g = mustGroup(ctx, input.AutoScalingGroupName);
  const ids = input.InstanceIds ?? [];
  for (const id of ids) {
    const i = state.instances.get(id);
    if (!i || i.autoScalingGroupName !== g.name) throw new SimError('ValidationError', `The instance ${id} is not part of Auto Scaling group ${g.name}.`);
  }
  if (input.ShouldDecrementDesiredCapacity) {
    if (g.desiredCapacity - ids.length < g.minSize) throw new SimError('ValidationError', 'Detaching would drop the group below its minimum size.');
    g.desiredCapacity -= ids.length;
  }
  const acts = ids.map((id) => {
    const i = state.instances.get(id) as SimInstance;
    i.autoScalingGroupName = undefined;
    delete i.tags['aws:autoscaling:groupName'];
    return activity(state, g, `Detaching EC2 instance: ${id}`, 'An instance was detached', 'Successful');
  });
  reconcileGroup(state, g);
  return { Activities: acts.map(toSdkActivity(g)) };
};

const terminateInGroup: QueryHandler = (input: TerminateInstanceInAutoScalingGroupType, ctx: SimContext) => {
  const { state } = ctx;
  const i = state.instances.get(input.InstanceId ?? '');
  if (!i || !i.autoScalingGroupName) throw new SimError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${input.InstanceId}`);
  const g = mustGroup(ctx, i.autoScalingGroupName);
  if (input.ShouldDecrementDesiredCapacity) {
    if (g.desiredCapacity - 1 < g.minSize) throw new SimError('ValidationError', `Currently, desiredSize equals minSize (${g.minSize}). Terminating instance without replacement will violate group's min size constraint.`);
    g.desiredCapacity -= 1;
  }
  terminateInstance(state, i);
  const a = activity(state, g, `Terminating EC2 instance: ${i.id}`, 'An instance was taken out of service in response to a user request', 'InProgress');
  return { Activity: toSdkActivity(g)(a) };
};

const describeInstances: QueryHandler = (input: DescribeAutoScalingInstancesType, ctx: SimContext): AutoScalingInstancesType => {
  const all = [...ctx.state.instances.values()].filter((i) => i.autoScalingGroupName && i.region === ctx.region && i.state !== 'terminated');
  const items = input.InstanceIds?.length ? all.filter((i) => input.InstanceIds?.includes(i.id)) : all;
  return {
    AutoScalingInstances: items.map((i) => ({
      InstanceId: i.id,
      InstanceType: i.instanceType,
      AutoScalingGroupName: i.autoScalingGroupName,
      AvailabilityZone: i.availabilityZone,
      LifecycleState: lifecycle(i),
      HealthStatus: ((g) => (g && unhealthy(ctx.state, g, i) ? 'UNHEALTHY' : 'HEALTHY'))(ctx.state.autoScalingGroups.get(i.autoScalingGroupName!)),
      ProtectedFromScaleIn: false,
      LaunchTemplate: i.launchTemplate ? { LaunchTemplateId: i.launchTemplate.id, LaunchTemplateName: i.launchTemplate.name, Version: i.launchTemplate.version } : undefined,
    })),
  };
};

const createOrUpdateTags: QueryHandler = (input: CreateOrUpdateTagsType, ctx: SimContext) => {
  for (const t of input.Tags ?? []) {
    const g = mustGroup(ctx, t.ResourceId);
    const key = t.Key ?? '';
    g.asgTags = g.asgTags.filter((x) => x.key !== key);
    g.asgTags.push({ key, value: t.Value ?? '', propagateAtLaunch: !!t.PropagateAtLaunch });
    g.tags[key] = t.Value ?? '';
  }
  return {};
};

const deleteTags: QueryHandler = (input: DeleteTagsType, ctx: SimContext) => {
  for (const t of input.Tags ?? []) {
    const g = mustGroup(ctx, t.ResourceId);
    g.asgTags = g.asgTags.filter((x) => x.key !== t.Key);
    delete g.tags[t.Key ?? ''];
  }
  return {};
};

const toSdkActivity = (g: SimAutoScalingGroup) => (a: SimAutoScalingGroup['activities'][number]) => ({
  ActivityId: a.activityId,
  AutoScalingGroupName: g.name,
  Description: a.description,
  Cause: a.cause,
  StartTime: new Date(a.startTime),
  EndTime: a.endTime ? new Date(a.endTime) : undefined,
  StatusCode: a.statusCode,
  StatusMessage: a.statusMessage,
  Progress: a.statusCode === 'InProgress' ? 50 : 100,
});

const describeActivities: QueryHandler = (input: DescribeScalingActivitiesType, ctx: SimContext) => {
  const groups = input.AutoScalingGroupName ? [mustGroup(ctx, input.AutoScalingGroupName)] : [...ctx.state.autoScalingGroups.values()];
  const acts = groups.flatMap((g) => g.activities.map(toSdkActivity(g))).reverse();
  return { Activities: acts.slice(0, input.MaxRecords ?? 100) };
};

export const groupHandlers = {
  CreateAutoScalingGroup: create,
  UpdateAutoScalingGroup: update,
  DeleteAutoScalingGroup: remove,
  DescribeAutoScalingGroups: describe,
  SetDesiredCapacity: setDesired,
  DetachInstances: detach,
  TerminateInstanceInAutoScalingGroup: terminateInGroup,
  DescribeAutoScalingInstances: describeInstances,
  CreateOrUpdateTags: createOrUpdateTags,
  DeleteTags: deleteTags,
  DescribeScalingActivities: describeActivities,
};
