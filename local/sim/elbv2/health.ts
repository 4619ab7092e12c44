/**
 * Target health, as a network load balancer reports it:
 *
 * - `unused` (Target.NotInUse) while no listener of a load balancer forwards to the group;
 * - `initial` (Elb.RegistrationInProgress) once it is in use, until the group's health checks
 *   have passed `HealthyThresholdCount` times in a row, `HealthCheckIntervalSeconds` apart, from
 *   when the load balancer is active, the registration has gone through (`target.healthy` after
 *   RegisterTargets) and the target's port accepts connections
 *   (`core/instance-ports.ts`: kube-apiserver on 6443 once kubeadm has started it; a port no
 *   module models answers while the instance runs);
 * - `healthy` after that;
 * - `unhealthy` (Target.FailedHealthChecks) while the instance is stopping, shutting down or
 *   (re)starting; `unused` (Target.InvalidState) once it is stopped or terminated, as AWS says;
 * - `draining` (Target.DeregistrationInProgress) for a while (`drain`, capped by
 *   `deregistration_delay.timeout_seconds`) after deregistration, then gone.
 *
 * States are recomputed on every event that can change them (instance transitions,
 * listeners, registrations) and on every read; timers wake the group when an
 * `initial`/`draining` deadline passes so `/_sim/resources` shows current states too.
 */
import type { SimState } from '../core/state';
import { portAnswers } from '../core/instance-ports';
import { lbs, loadBalancersOf, tgs, type ElbTarget, type ElbTargetGroup } from './common';

function set(t: ElbTarget, now: number, state: ElbTarget['state'], reason?: string, description?: string): void {
  if (t.state !== state || t.reason !== reason) t.since = now;
  t.state = state;
  t.reason = reason;
  t.description = description;
}

/** The port a group's health checks connect to: the target's own (`traffic-port`) or the one configured. */
function checkPort(tg: ElbTargetGroup, t: ElbTarget): number {
  const configured = Number(tg.healthCheckPort);
  return tg.healthCheckPort && tg.healthCheckPort !== 'traffic-port' && Number.isFinite(configured) ? configured : t.port;
}

/** Wakes the group's health evaluation at a simulated epoch ms. */
function wakeAt(state: SimState, tg: ElbTargetGroup, at: number): void {
  state.clock.after(Math.max(0, (at - state.clock.now()) / 1000) + 0.001, () => {
    const cur = tgs(state).get(tg.id);
    if (cur) refreshTargetGroup(state, cur);
  });
}

/** Recomputes every target's state of one group. */
export function refreshTargetGroup(state: SimState, tg: ElbTargetGroup): void {
  const now = state.clock.now();
  const lbArns = loadBalancersOf(state, tg.arn);
  const activeAt = Math.max(0, ...lbArns.map((a) => lbs(state).get(a)?.activeAt ?? 0));
  const keep: ElbTarget[] = [];
  for (const t of tg.targets) {
    const inst = state.instances.get(t.id);
    if (t.state === 'draining') {
      if (t.drainUntil !== undefined && now < t.drainUntil) keep.push(t);
      continue;
    }
    // An instance that has vanished altogether is deregistered.
    if (!inst) continue;
    keep.push(t);
    if (!lbArns.length) {
      set(t, now, 'unused', 'Target.NotInUse', 'Target group is not configured to receive traffic from the load balancer');
      t.healthyAt = undefined;
    } else if (inst.state === 'stopped' || inst.state === 'terminated') {
      set(t, now, 'unused', 'Target.InvalidState', `Target is in the ${inst.state} state`);
      t.healthyAt = undefined;
    } else if (inst.state !== 'running') {
      set(t, now, 'unhealthy', 'Target.FailedHealthChecks', 'Health checks failed');
      t.healthyAt = undefined;
    } else if (t.state !== 'healthy') {
      // Health checks run once the balancer is active: `healthyThresholdCount` in a row,
      // `healthCheckIntervalSeconds` apart, each a TCP connection the target's port accepts.
      if (!portAnswers(state, t.id, checkPort(tg, t))) {
        t.listeningSince = undefined;
        t.healthyAt = undefined;
        if (t.state !== 'unhealthy') set(t, now, 'initial', 'Elb.RegistrationInProgress', 'Target registration is in progress');
      } else {
        t.listeningSince ??= now;
        // Registration itself takes a while (`target.healthy`), whatever the checks say.
        t.registeredBy ??= t.registeredAt + state.latency.sample('target.healthy') * 1000;
        if (t.healthyAt === undefined) {
          t.healthyAt = Math.max(t.listeningSince, activeAt, t.registeredBy) + tg.healthyThresholdCount * tg.healthCheckIntervalSeconds * 1000;
          if (t.state !== 'unhealthy') set(t, now, 'initial', 'Elb.RegistrationInProgress', 'Target registration is in progress');
          wakeAt(state, tg, t.healthyAt);
        }
        if (now >= t.healthyAt) {
          set(t, t.healthyAt, 'healthy');
          t.healthyAt = undefined;
        }
      }
    }
  }
  tg.targets = keep;
}

export function refreshAll(state: SimState): void {
  for (const tg of tgs(state).values()) refreshTargetGroup(state, tg);
}

/** Re-evaluates the groups an instance is registered in. */
export function refreshForInstance(state: SimState, instanceId: string): void {
  for (const tg of tgs(state).values()) if (tg.targets.some((t) => t.id === instanceId)) refreshTargetGroup(state, tg);
}

/** Starts draining a target (or drops it at once when the group is not in use). */
export function drain(state: SimState, tg: ElbTargetGroup, t: ElbTarget): void {
  const now = state.clock.now();
  if (t.state === 'unused' || !loadBalancersOf(state, tg.arn).length) {
    tg.targets = tg.targets.filter((x) => x !== t);
    return;
  }
  const cap = Number(tg.attributes['deregistration_delay.timeout_seconds'] ?? 300);
  t.drainUntil = now + Math.min(cap, state.latency.sample('drain')) * 1000;
  t.healthyAt = undefined;
  set(t, now, 'draining', 'Target.DeregistrationInProgress', 'Target deregistration is in progress');
  wakeAt(state, tg, t.drainUntil);
}

/** After a snapshot load: wake the groups at their pending deadlines. */
export function resumeHealth(state: SimState): void {
  const now = state.clock.now();
  for (const tg of tgs(state).values()) {
    for (const t of tg.targets) {
      // Simulated time restarts from the wall clock: cap saved deadlines at a fresh draw.
      if (t.healthyAt !== undefined) t.healthyAt = Math.min(t.healthyAt, now + state.latency.sample('target.healthy') * 1000);
      if (t.drainUntil !== undefined) t.drainUntil = Math.min(t.drainUntil, now + state.latency.sample('drain') * 1000);
      if (t.healthyAt !== undefined) wakeAt(state, tg, t.healthyAt);
      if (t.drainUntil !== undefined && t.state === 'draining') wakeAt(state, tg, t.drainUntil);
    }
    refreshTargetGroup(state, tg);
  }
}
