/**
 * Keeps each Auto Scaling group at its desired capacity: launches from the launch
 * template into the least-used zone of its subnets, replaces terminated instances,
 * and scales in (newest first). A zone out of capacity makes it try the other zones,
 * or record a failed activity and try again on the next pass.
 */
import { SimError } from '../core/errors';
import type { SimState } from '../core/state';
import type { SimAutoScalingGroup, SimInstance, SimScalingActivity } from '../core/types';
import { launchInstances, terminateInstance } from '../ec2/instance-lifecycle';
import { findLaunchTemplate, resolveVersion } from '../ec2/launch-templates';

export function groupInstances(state: SimState, g: SimAutoScalingGroup): SimInstance[] {
  return [...state.instances.values()].filter((i) => i.autoScalingGroupName === g.name && i.region === g.region);
}

export function activity(state: SimState, g: SimAutoScalingGroup, description: string, cause: string, statusCode: SimScalingActivity['statusCode'], statusMessage?: string): SimScalingActivity {
  const a: SimScalingActivity = {
    activityId: `${state.rng.hex(8)}-${state.rng.hex(4)}-${state.rng.hex(4)}-${state.rng.hex(4)}-${state.rng.hex(12)}`,
    description,
    cause: `At ${state.clock.iso()} ${cause}`,
    startTime: state.clock.iso(),
    endTime: statusCode === 'InProgress' ? undefined : state.clock.iso(),
    statusCode,
    statusMessage,
  };
  g.activities.push(a);
  if (g.activities.length > 100) g.activities.shift();
  return a;
}

/** One reconcile pass for a group. */
export function reconcileGroup(state: SimState, g: SimAutoScalingGroup): void {
  if (!state.autoScalingGroups.has(g.name)) return;
  const live = groupInstances(state, g).filter((i) => i.state === 'pending' || i.state === 'running');
  if (live.length > g.desiredCapacity) {
    const extra = [...live].sort((a, b) => b.createdAt - a.createdAt).slice(0, live.length - g.desiredCapacity);
    for (const i of extra) {
      terminateInstance(state, i);
      activity(state, g, `Terminating EC2 instance: ${i.id}`, 'a user request explicitly set group desired capacity changing the desired capacity', 'Successful');
    }
    return;
  }
  for (let n = live.length; n < g.desiredCapacity; n++) {
    if (!launchOne(state, g, groupInstances(state, g).filter((i) => i.state === 'pending' || i.state === 'running'))) break;
  }
}

function launchOne(state: SimState, g: SimAutoScalingGroup, live: SimInstance[]): boolean {
  const ltRef = g.launchTemplate ?? g.mixedInstancesPolicy?.launchTemplate;
  if (!ltRef) return false;
  const perZone = (zone: string) => live.filter((i) => i.availabilityZone === zone).length;
  const subnets = g.subnetIds
    .map((id) => state.subnets.get(id))
    .filter((s) => s !== undefined)
    .sort((a, b) => perZone(a.availabilityZone) - perZone(b.availabilityZone));
  let lastError = 'No subnets';
  for (const subnet of subnets) {
    try {
      const t = findLaunchTemplate(state, g.region, ltRef.id);
      const v = resolveVersion(t, ltRef.version);
      const propagated = Object.fromEntries(g.asgTags.filter((x) => x.propagateAtLaunch).map((x) => [x.key, x.value]));
      const ltTags = Object.fromEntries(
        (v.data.TagSpecifications ?? []).filter((s) => s.ResourceType === 'instance').flatMap((s) => (s.Tags ?? []).map((x) => [x.Key, x.Value])),
      );
      const [inst] = launchInstances(
        state,
        g.region,
        {
          ...v.data,
          InstanceType: g.mixedInstancesPolicy?.overrides[0]?.instanceType ?? v.data.InstanceType,
          SubnetId: subnet.id,
          instanceTags: { ...ltTags, ...propagated },
          autoScalingGroupName: g.name,
          launchTemplate: { id: t.id, name: t.launchTemplateName, version: String(v.versionNumber) },
        },
        1,
      );
      activity(state, g, `Launching a new EC2 instance: ${inst.id}`, 'an instance was started in response to a difference between desired and actual capacity', 'Successful');
      return true;
    } catch (err) {
      lastError = err instanceof SimError ? `${err.code}: ${err.message}` : String(err);
    }
  }
  activity(state, g, 'Launching a new EC2 instance.  Status Reason: ' + lastError, 'an instance was started in response to a difference between desired and actual capacity', 'Failed', lastError);
  return false;
}

/** Starts the periodic reconciler and the immediate reaction to terminations. */
export function startReconciler(state: SimState): () => void {
  const onGone = (inst: SimInstance) => {
    const g = inst.autoScalingGroupName ? state.autoScalingGroups.get(inst.autoScalingGroupName) : undefined;
    if (g && !g.status) state.clock.after(state.latency.sample('asg.reconcile'), () => reconcileGroup(state, g));
  };
  state.events.on('instance:shutting-down', onGone);
  state.events.on('instance:terminated', onGone);
  const timer = state.clock.every(state.latency.spec('asg.reconcile').typical, () => {
    for (const g of state.autoScalingGroups.values()) if (!g.status) reconcileGroup(state, g);
  });
  return () => {
    timer.cancel();
    state.events.off('instance:shutting-down', onGone);
    state.events.off('instance:terminated', onGone);
  };
}
