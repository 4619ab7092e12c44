/**
 * Keeps each Auto Scaling group at its desired capacity: launches from the launch
 * template into the least-used zone of its subnets, replaces terminated instances,
 * and scales in (from the zone with the most instances, newest first). A zone out of
 * capacity makes it try the other zones, or record a failed activity (and send "EC2
 * Instance Launch Unsuccessful" to EventBridge) and try again on the next pass.
 *
 * EC2 health checks, as the group's default health check type does them: an instance that
 * is stopping or stopped, or running but failing a status check after the group's grace
 * period, is unhealthy — terminated and replaced. Capacity that moved away from a zone (an
 * outage, a zone out of capacity) moves back once the zone launches again: AZRebalance
 * launches in the zone with the fewest instances first, then scales in the fullest.
 */
import { SimError } from '../core/errors';
import type { SimState } from '../core/state';
import type { SimAutoScalingGroup, SimInstance, SimScalingActivity } from '../core/types';
import { emitServiceEvent } from '../core/service-events';
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

/** Why the group's EC2 health check finds an instance unhealthy, if it does. */
export function unhealthy(state: SimState, g: SimAutoScalingGroup, i: SimInstance): string | undefined {
  if (i.state === 'stopping' || i.state === 'stopped') return 'an EC2 health check indicating it has been terminated or stopped';
  if (i.state !== 'running' || state.answers(i)) return undefined;
  const inService = state.clock.now() - Date.parse(i.launchTime) >= g.healthCheckGracePeriod * 1000;
  return inService ? 'an EC2 instance status check failure' : undefined;
}

const live = (i: SimInstance) => i.state === 'pending' || i.state === 'running';

/** When each group's last rebalance failed (a zone that still cannot launch is not retried every pass). */
const rebalanceAttempts = new WeakMap<SimAutoScalingGroup, number>();
const REBALANCE_RETRY_MS = 600_000;

/** One reconcile pass for a group. */
export function reconcileGroup(state: SimState, g: SimAutoScalingGroup): void {
  if (!state.autoScalingGroups.has(g.name)) return;
  for (const i of groupInstances(state, g)) {
    const why = unhealthy(state, g, i);
    if (!why) continue;
    terminateInstance(state, i);
    activity(state, g, `Terminating EC2 instance: ${i.id}`, `an instance was taken out of service in response to ${why}`, 'Successful');
  }
  const running = groupInstances(state, g).filter(live);
  if (running.length > g.desiredCapacity) {
    const count = zoneCounts(state, g, running);
    const extra = [...running].sort((a, b) => (count.get(b.availabilityZone) ?? 0) - (count.get(a.availabilityZone) ?? 0) || b.createdAt - a.createdAt);
    for (const i of extra.slice(0, running.length - g.desiredCapacity)) {
      terminateInstance(state, i);
      activity(state, g, `Terminating EC2 instance: ${i.id}`, 'a user request explicitly set group desired capacity changing the desired capacity', 'Successful');
    }
    return;
  }
  for (let n = running.length; n < g.desiredCapacity; n++) {
    if (!launchOne(state, g, groupInstances(state, g).filter(live))) return;
  }
  rebalance(state, g, groupInstances(state, g).filter(live));
}

/** Instances per zone of the group's subnets (zones with none count 0). */
function zoneCounts(state: SimState, g: SimAutoScalingGroup, instances: SimInstance[]): Map<string, number> {
  const count = new Map<string, number>();
  for (const id of g.subnetIds) {
    const zone = state.subnets.get(id)?.availabilityZone;
    if (zone) count.set(zone, 0);
  }
  for (const i of instances) count.set(i.availabilityZone, (count.get(i.availabilityZone) ?? 0) + 1);
  return count;
}

/**
 * AZRebalance: with every instance running and the zones more than one apart, launch one
 * more in the emptiest zone (the next pass scales in the fullest). Only into that zone: if it
 * still cannot launch, try again in ten minutes.
 */
function rebalance(state: SimState, g: SimAutoScalingGroup, running: SimInstance[]): void {
  if (running.length !== g.desiredCapacity || running.some((i) => i.state !== 'running')) return;
  const count = [...zoneCounts(state, g, running)].sort((a, b) => a[1] - b[1]);
  if (count.length < 2 || count[count.length - 1][1] - count[0][1] <= 1) return;
  const failedAt = rebalanceAttempts.get(g);
  if (failedAt !== undefined && state.clock.now() - failedAt < REBALANCE_RETRY_MS) return;
  if (launchOne(state, g, running, count[0][0], 'an instance was launched to aid in balancing the group\'s zones')) rebalanceAttempts.delete(g);
  else rebalanceAttempts.set(g, state.clock.now());
}

function launchOne(state: SimState, g: SimAutoScalingGroup, live: SimInstance[], onlyZone?: string, cause = 'an instance was started in response to a difference between desired and actual capacity'): boolean {
  const ltRef = g.launchTemplate ?? g.mixedInstancesPolicy?.launchTemplate;
  if (!ltRef) return false;
  const perZone = (zone: string) => live.filter((i) => i.availabilityZone === zone).length;
  const subnets = g.subnetIds
    .map((id) => state.subnets.get(id))
    .filter((s) => s !== undefined)
    .filter((s) => onlyZone === undefined || s.availabilityZone === onlyZone)
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
      activity(state, g, `Launching a new EC2 instance: ${inst.id}`, cause, 'Successful');
      return true;
    } catch (err) {
      lastError = err instanceof SimError ? `${err.code}: ${err.message}` : String(err);
    }
  }
  const failed = activity(state, g, 'Launching a new EC2 instance.  Status Reason: ' + lastError, cause, 'Failed', lastError);
  emitServiceEvent(state, {
    source: 'aws.autoscaling',
    detailType: 'EC2 Instance Launch Unsuccessful',
    resources: [g.arn],
    detail: {
      StatusCode: 'Failed',
      AutoScalingGroupName: g.name,
      ActivityId: failed.activityId,
      Description: failed.description,
      Cause: failed.cause,
      StatusMessage: lastError,
      StartTime: failed.startTime,
      EndTime: failed.endTime,
      EC2InstanceId: '',
      Details: {},
    },
  });
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
