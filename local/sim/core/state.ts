import { EventEmitter } from 'node:events';
import { SimClock } from './clock';
import { Faults } from './faults';
import { LatencyModel, type LatencySpec } from './latency';
import { Rng } from './rng';
import type {
  BaseResource,
  InstanceStateName,
  SimAddress,
  SimAutoScalingGroup,
  SimImage,
  SimInstance,
  SimInternetGateway,
  SimLaunchTemplate,
  SimListener,
  SimLoadBalancer,
  SimNatGateway,
  SimNetworkInterface,
  SimRouteTable,
  SimSecurityGroup,
  SimSubnet,
  SimTargetGroup,
  SimVolume,
  SimVpc,
} from './types';

export type { SimInstance } from './types';

/** Instance lifecycle events; the payload is the instance record (live, do not keep copies). */
export type InstanceEvent =
  | 'instance:pending'
  | 'instance:running'
  | 'instance:stopping'
  | 'instance:stopped'
  | 'instance:shutting-down'
  | 'instance:terminated';

export interface SimEvents {
  'instance:pending': [SimInstance];
  'instance:running': [SimInstance];
  'instance:stopping': [SimInstance];
  'instance:stopped': [SimInstance];
  'instance:shutting-down': [SimInstance];
  'instance:terminated': [SimInstance];
  /** A running instance stopped answering (failed checks, impaired zone), or answers again. */
  'instance:unreachable': [SimInstance];
  'instance:reachable': [SimInstance];
  /** An EBS volume's attachment finished (the device appears on the host) or is going (the host lets go of it). */
  'volume:attached': [SimVolume];
  'volume:detaching': [SimVolume];
  /** A volume is gone, with whatever it held. */
  'volume:deleted': [SimVolume];
  /** Something started answering on an instance's port (kube-apiserver on 6443): health checks see it. */
  'instance:listening': [string, number];
  /** After `POST /_sim/reset` cleared the state: plugins drop their own. */
  reset: [];
}

/** Per service+action call counters, as `GET /_sim/calls` returns them. */
export interface CallCounter {
  calls: number;
  errors: Record<string, number>;
}

export interface SimStateOptions {
  timeScale?: number;
  seed?: number;
  latencies?: Record<string, Partial<LatencySpec>>;
  /** The AWS account id the simulator answers as. */
  accountId?: string;
}

/** Names of the resource maps, in dependency order (used for snapshots and /_sim/resources). */
export const RESOURCE_KINDS = [
  'vpcs',
  'subnets',
  'internetGateways',
  'addresses',
  'natGateways',
  'routeTables',
  'securityGroups',
  'networkInterfaces',
  'images',
  'launchTemplates',
  'instances',
  'autoScalingGroups',
  'loadBalancers',
  'targetGroups',
  'listeners',
  'volumes',
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/**
 * Everything the simulated cloud holds. Services mutate it directly; the hosts
 * engineer's code reads instances, listens to `events`, and keeps its own data under
 * `ssm` and `ext`.
 */
export class SimState {
  readonly clock: SimClock;
  readonly rng: Rng;
  readonly latency: LatencyModel;
  readonly faults: Faults;
  readonly events = new EventEmitter<SimEvents>();
  readonly accountId: string;

  vpcs = new Map<string, SimVpc>();
  subnets = new Map<string, SimSubnet>();
  internetGateways = new Map<string, SimInternetGateway>();
  addresses = new Map<string, SimAddress>();
  natGateways = new Map<string, SimNatGateway>();
  routeTables = new Map<string, SimRouteTable>();
  securityGroups = new Map<string, SimSecurityGroup>();
  networkInterfaces = new Map<string, SimNetworkInterface>();
  images = new Map<string, SimImage>();
  launchTemplates = new Map<string, SimLaunchTemplate>();
  instances = new Map<string, SimInstance>();
  autoScalingGroups = new Map<string, SimAutoScalingGroup>();
  loadBalancers = new Map<string, SimLoadBalancer>();
  targetGroups = new Map<string, SimTargetGroup>();
  listeners = new Map<string, SimListener>();
  volumes = new Map<string, SimVolume>();

  /** The hosts engineer's SSM data (parameters, commands, managed instances); JSON-able. */
  ssm: Record<string, unknown> = {};
  /** Other plugin data, JSON-able, saved in snapshots under its key. */
  ext: Record<string, unknown> = {};

  /** Call counters keyed `service:Action`. */
  calls = new Map<string, CallCounter>();

  constructor(options: SimStateOptions = {}) {
    this.clock = new SimClock({ timeScale: options.timeScale });
    this.rng = new Rng(options.seed ?? 1);
    this.latency = new LatencyModel(this.rng, options.latencies);
    this.faults = new Faults(this.rng, () => this.clock.now());
    this.accountId = options.accountId ?? '000000000000';
    this.events.setMaxListeners(100);
  }

  /** A new id such as `vpc-0a1b…` (17 hex digits, as AWS issues now). */
  newId(prefix: string, hexDigits = 17): string {
    return `${prefix}-${this.rng.hex(hexDigits)}`;
  }

  /** A request id in UUID form. */
  requestId(): string {
    const h = this.rng.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Base fields for a new record, stamped with the simulated time. */
  base(id: string, region: string, tags: Record<string, string> = {}): BaseResource {
    return { id, region, tags: { ...tags }, createdAt: this.clock.now() };
  }

  /**
   * Whether a resource is visible to by-id reads yet. Within the eventual-consistency
   * window after its creation AWS may answer NotFound; so does the simulator.
   */
  visible(r: BaseResource): boolean {
    const ec = this.faults.state.eventualConsistency;
    if (!ec.enabled) return true;
    return this.clock.now() - r.createdAt >= ec.windowSeconds * 1000;
  }

  /** Finds any resource by id (or ARN) across all maps. */
  findById(id: string): { kind: ResourceKind; resource: BaseResource } | undefined {
    for (const kind of RESOURCE_KINDS) {
      const r = this[kind].get(id) as BaseResource | undefined;
      if (r) return { kind, resource: r };
    }
    return undefined;
  }

  /** Counts a call (and its error code, if it failed). */
  recordCall(service: string, action: string, errorCode?: string): void {
    const key = `${service}:${action}`;
    const c = this.calls.get(key) ?? { calls: 0, errors: {} };
    c.calls += 1;
    if (errorCode) c.errors[errorCode] = (c.errors[errorCode] ?? 0) + 1;
    this.calls.set(key, c);
  }

  /** Moves an instance to a state and emits `instance:<state>`. */
  setInstanceState(inst: SimInstance, next: InstanceStateName, reason?: { code: string; message: string }): void {
    inst.state = next;
    if (reason) {
      inst.stateReason = reason;
      inst.stateTransitionReason = `${reason.message} (${this.clock.date().toISOString()})`;
    }
    if (next === 'terminated') inst.terminatedAt = this.clock.now();
    this.events.emit(`instance:${next}`, inst);
  }

  /**
   * Whether an instance answers on the network: its status checks pass and its zone is not
   * impaired (ec2/disruptions.ts). Whether it is running is the caller's question.
   */
  answers(inst: SimInstance): boolean {
    return !inst.failedChecks?.instance && !inst.failedChecks?.system && !this.faults.state.impairedZones.includes(inst.availabilityZone);
  }

  /** Every resource, as `GET /_sim/resources` returns it. */
  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const kind of RESOURCE_KINDS) out[kind] = [...this[kind].values()];
    out.ssm = this.ssm;
    out.ext = this.ext;
    return out;
  }

  /** Replaces the contents with a snapshot made by `snapshot()`. */
  load(data: Record<string, unknown>): void {
    for (const kind of RESOURCE_KINDS) {
      const list = (data[kind] ?? []) as BaseResource[];
      const map = this[kind] as Map<string, BaseResource>;
      map.clear();
      for (const r of list) map.set(r.id, r);
    }
    this.ssm = (data.ssm as Record<string, unknown>) ?? {};
    this.ext = (data.ext as Record<string, unknown>) ?? {};
  }

  /** Forgets every resource, counter and fault; emits `reset`. */
  clear(): void {
    for (const kind of RESOURCE_KINDS) this[kind].clear();
    this.ssm = {};
    this.ext = {};
    this.calls.clear();
    this.faults.reset();
    this.events.emit('reset');
  }
}
