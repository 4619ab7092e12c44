/**
 * AWS taking machines away, on request (tests, `npm run chaos`), as AWS does it:
 *
 * - `POST /_sim/instances/<id>/retirement {"inSeconds"?: N}` — the instance's hardware is
 *   degraded: an `instance-retirement` event (DescribeInstanceStatus `Events`, IMDS
 *   `events/maintenance/scheduled`) and an AWS Health "scheduled change" on EventBridge; at
 *   the deadline (default 14 days ahead, as AWS gives at least two weeks) a running instance
 *   is stopped (an EBS-backed instance is stopped, not terminated). Its Auto Scaling group
 *   sees a stopped instance as unhealthy and replaces it.
 * - `POST /_sim/instances/<id>/spot-interruption` — a spot instance is reclaimed: the
 *   "EC2 Spot Instance Interruption Warning" on EventBridge and IMDS `spot/instance-action`
 *   now, termination two minutes later. Refused for an on-demand instance.
 * - `POST /_sim/instances/<id>/status-checks {"instance"?: "failed"|"passed", "system"?: …}` —
 *   a check fails (or passes again): DescribeInstanceStatus reports it impaired, and the
 *   host stops answering (its kubelet stops posting status, its SSM agent goes offline).
 * - `POST /_sim/zones/<zone>/impairment {"impaired": true|false}` — a zone fails: every
 *   instance there stops answering and fails its reachability check, and launches there fail
 *   with InsufficientInstanceCapacity, until it is lifted.
 * - `GET /_sim/disruptions` — what is in effect.
 *
 * A host that stops or recovers answering is announced on `state.events` as
 * `instance:unreachable` / `instance:reachable` (the hosts and Kubernetes modules listen).
 * Timers are not saved in snapshots: `resumeDisruptions` re-arms the deadlines after a load.
 */
import { SimError } from '../core/errors';
import { registerRoute, type RouteRequest } from '../core/registry';
import { emitServiceEvent } from '../core/service-events';
import type { SimState } from '../core/state';
import type { SimInstance, SimInstanceEvent } from '../core/types';
import { stopInstance, terminateInstance } from './instance-lifecycle';

/** AWS schedules a retirement at least two weeks ahead. */
export const RETIREMENT_NOTICE_SECONDS = 14 * 86_400;
/** A spot instance gets two minutes' notice. */
export const SPOT_NOTICE_SECONDS = 120;

export const RETIREMENT_DESCRIPTION = 'The instance is running on degraded hardware';

export function instanceArn(state: SimState, inst: SimInstance): string {
  return `arn:aws:ec2:${inst.region}:${state.accountId}:instance/${inst.id}`;
}

/** Runs `change` and announces a host that stopped or started answering because of it. */
function announcing(state: SimState, instances: SimInstance[], change: () => void): void {
  const before = new Map(instances.map((i) => [i.id, state.answers(i)]));
  change();
  for (const inst of instances) {
    const now = state.answers(inst);
    if (now !== before.get(inst.id) && (inst.state === 'running' || inst.state === 'pending')) state.events.emit(now ? 'instance:reachable' : 'instance:unreachable', inst);
  }
}

export function scheduleRetirement(state: SimState, inst: SimInstance, inSeconds = RETIREMENT_NOTICE_SECONDS): SimInstanceEvent {
  if (inst.state !== 'running' && inst.state !== 'pending') throw new SimError('IncorrectInstanceState', `The instance '${inst.id}' is ${inst.state}: only a running instance can be retired.`);
  const existing = inst.scheduledEvents?.find((e) => e.code === 'instance-retirement' && !e.description.startsWith('[Completed]'));
  if (existing) return existing;
  const notBefore = state.clock.now() + inSeconds * 1000;
  const event: SimInstanceEvent = {
    id: `instance-event-${state.rng.hex(17)}`,
    code: 'instance-retirement',
    description: RETIREMENT_DESCRIPTION,
    notBefore: new Date(notBefore).toISOString(),
    notAfter: new Date(notBefore + 7 * 86_400_000).toISOString(),
  };
  inst.scheduledEvents = [...(inst.scheduledEvents ?? []), event];
  armRetirement(state, inst, event);
  emitServiceEvent(state, {
    source: 'aws.health',
    detailType: 'AWS Health Event',
    resources: [inst.id],
    detail: {
      eventArn: `arn:aws:health:${inst.region}::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/${event.id}`,
      service: 'EC2',
      eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
      eventTypeCategory: 'scheduledChange',
      eventScopeCode: 'ACCOUNT_SPECIFIC',
      startTime: new Date(notBefore).toUTCString(),
      endTime: new Date(notBefore + 7 * 86_400_000).toUTCString(),
      eventRegion: inst.region,
      eventDescription: [{ language: 'en_US', latestDescription: `EC2 has detected degradation of the underlying hardware hosting your instance ${inst.id}. The instance will be stopped after ${event.notBefore}.` }],
      affectedEntities: [{ entityValue: inst.id }],
    },
  });
  return event;
}

function armRetirement(state: SimState, inst: SimInstance, event: SimInstanceEvent): void {
  const wait = Math.max(0, (Date.parse(event.notBefore) - state.clock.now()) / 1000);
  state.clock.after(wait, () => {
    if (state.instances.get(inst.id) !== inst || event.description.startsWith('[Completed]')) return;
    event.description = `[Completed] ${event.description}`;
    if (inst.state === 'running' || inst.state === 'pending') {
      stopInstance(state, inst, { code: 'Server.ScheduledStop', message: 'Server.ScheduledStop: Stopped due to scheduled retirement' });
    }
  });
}

export function interruptSpot(state: SimState, inst: SimInstance): { action: 'terminate'; time: string } {
  if (inst.instanceLifecycle !== 'spot') throw new SimError('InvalidParameterValue', `The instance '${inst.id}' is not a spot instance.`);
  if (inst.state !== 'running' && inst.state !== 'pending') throw new SimError('IncorrectInstanceState', `The instance '${inst.id}' is ${inst.state}.`);
  if (inst.spotInstanceAction) return inst.spotInstanceAction;
  inst.spotInstanceAction = { action: 'terminate', time: new Date(state.clock.now() + SPOT_NOTICE_SECONDS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  armSpotTermination(state, inst);
  emitServiceEvent(state, {
    source: 'aws.ec2',
    detailType: 'EC2 Spot Instance Interruption Warning',
    resources: [instanceArn(state, inst)],
    detail: { 'instance-id': inst.id, 'instance-action': 'terminate' },
  });
  return inst.spotInstanceAction;
}

function armSpotTermination(state: SimState, inst: SimInstance): void {
  const wait = Math.max(0, (Date.parse(inst.spotInstanceAction!.time) - state.clock.now()) / 1000);
  state.clock.after(wait, () => {
    if (state.instances.get(inst.id) === inst) terminateInstance(state, inst, { code: 'Server.SpotInstanceTermination', message: 'Server.SpotInstanceTermination: Spot instance termination' });
  });
}

const CHECK = ['failed', 'passed'] as const;

export function setStatusChecks(state: SimState, inst: SimInstance, checks: { instance?: (typeof CHECK)[number]; system?: (typeof CHECK)[number] }): SimInstance['failedChecks'] {
  announcing(state, [inst], () => {
    const now = state.clock.now();
    const failed = { ...inst.failedChecks };
    for (const kind of ['instance', 'system'] as const) {
      if (checks[kind] === 'failed') failed[kind] ??= now;
      if (checks[kind] === 'passed') delete failed[kind];
    }
    inst.failedChecks = failed.instance === undefined && failed.system === undefined ? undefined : failed;
  });
  return inst.failedChecks ?? {};
}

export function setZoneImpaired(state: SimState, zone: string, impaired: boolean): string[] {
  const inZone = [...state.instances.values()].filter((i) => i.availabilityZone === zone);
  announcing(state, inZone, () => {
    const zones = new Set(state.faults.state.impairedZones);
    if (impaired) zones.add(zone);
    else zones.delete(zone);
    state.faults.state.impairedZones = [...zones];
  });
  return state.faults.state.impairedZones;
}

/** Re-arms retirement deadlines and spot terminations after a snapshot load. */
export function resumeDisruptions(state: SimState): void {
  for (const inst of state.instances.values()) {
    for (const e of inst.scheduledEvents ?? []) if (e.code === 'instance-retirement' && !e.description.startsWith('[Completed]')) armRetirement(state, inst, e);
    if (inst.spotInstanceAction && inst.state !== 'terminated' && inst.state !== 'shutting-down') armSpotTermination(state, inst);
  }
}

function instanceFrom(state: SimState, req: RouteRequest, suffix: string): SimInstance {
  const id = decodeURIComponent(req.path.slice('/_sim/instances/'.length, -suffix.length));
  const inst = state.instances.get(id);
  if (!inst || inst.state === 'terminated') throw new SimError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`, 404);
  return inst;
}

function answer(fn: () => unknown): { status?: number; body: unknown } {
  try {
    return { body: fn() };
  } catch (err) {
    if (err instanceof SimError) return { status: err.status === 404 ? 404 : 400, body: { error: { code: err.code, message: err.message } } };
    throw err;
  }
}

registerRoute('POST', '/_sim/instances/*', (req, { state }) =>
  answer(() => {
    const body = (req.body.length ? req.json() : {}) as Record<string, unknown>;
    if (req.path.endsWith('/retirement')) {
      const inSeconds = body.inSeconds ?? RETIREMENT_NOTICE_SECONDS;
      if (typeof inSeconds !== 'number' || !Number.isFinite(inSeconds) || inSeconds < 0) throw new SimError('InvalidParameterValue', 'inSeconds must be a number of seconds ≥ 0');
      return { event: scheduleRetirement(state, instanceFrom(state, req, '/retirement'), inSeconds) };
    }
    if (req.path.endsWith('/spot-interruption')) return { instanceAction: interruptSpot(state, instanceFrom(state, req, '/spot-interruption')) };
    if (req.path.endsWith('/status-checks')) {
      const bad = (['instance', 'system'] as const).filter((k) => body[k] !== undefined && !CHECK.includes(body[k] as never));
      if (bad.length || (body.instance === undefined && body.system === undefined)) {
        throw new SimError('InvalidParameterValue', 'give "instance" and/or "system", each "failed" or "passed"');
      }
      return { failedChecks: setStatusChecks(state, instanceFrom(state, req, '/status-checks'), body as never) };
    }
    throw new SimError('NotFound', `no route ${req.path}: use /retirement, /spot-interruption or /status-checks`, 404);
  }),
);

registerRoute('POST', '/_sim/zones/*', (req, { state }) =>
  answer(() => {
    const m = /^\/_sim\/zones\/([a-z0-9-]+)\/impairment$/.exec(req.path);
    if (!m) throw new SimError('NotFound', `no route ${req.path}: use /_sim/zones/<zone>/impairment`, 404);
    const body = (req.body.length ? req.json() : {}) as { impaired?: unknown };
    if (typeof body.impaired !== 'boolean') throw new SimError('InvalidParameterValue', 'give {"impaired": true} or {"impaired": false}');
    return { impairedZones: setZoneImpaired(state, m[1], body.impaired) };
  }),
);

registerRoute('GET', '/_sim/disruptions', (_req, { state }) => ({
  body: {
    impairedZones: state.faults.state.impairedZones,
    instances: [...state.instances.values()]
      .filter((i) => i.scheduledEvents?.length || i.failedChecks || i.spotInstanceAction)
      .map((i) => ({ instanceId: i.id, state: i.state, zone: i.availabilityZone, scheduledEvents: i.scheduledEvents ?? [], failedChecks: i.failedChecks ?? {}, spotInstanceAction: i.spotInstanceAction })),
  },
}));
