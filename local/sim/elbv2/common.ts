/**
 * Shared pieces of the ELBv2 simulator: the record shapes (the core types plus the
 * fields only ELBv2 reads, kept on the same JSON-able records so snapshots carry them),
 * ARNs, name rules, lookups with AWS's error codes, tags and Marker pagination.
 */
import { SimError } from '../core/errors';
import type { SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { SimListener, SimLoadBalancer, SimTargetGroup, Tags } from '../core/types';

export interface ElbLoadBalancer extends SimLoadBalancer {
  /** Simulated epoch ms at which a provisioning load balancer turns active. */
  activeAt: number;
  subnetMappings: { subnetId: string; allocationId?: string; privateIPv4Address?: string }[];
  canonicalHostedZoneId: string;
  attributes: Record<string, string>;
}

export interface ElbTarget {
  id: string;
  port: number;
  state: SimTargetGroup['targets'][number]['state'];
  reason?: string;
  description?: string;
  /** Simulated ms of the last state change. */
  since: number;
  registeredAt: number;
  /** While `initial`: when health checks will have passed. */
  healthyAt?: number;
  /** While `initial`: since when the target's port has accepted connections. */
  listeningSince?: number;
  /** When its registration has gone through (health checks count from then). */
  registeredBy?: number;
  /** While `draining`: when the target leaves the group. */
  drainUntil?: number;
}

export interface ElbTargetGroup extends SimTargetGroup {
  targets: ElbTarget[];
  healthCheckEnabled: boolean;
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  matcher?: { HttpCode?: string; GrpcCode?: string };
  ipAddressType: string;
  attributes: Record<string, string>;
}

export interface ElbListener extends SimListener {
  /** The default actions as the request gave them (SDK shape), for Describe. */
  defaultActions: { Type: string; TargetGroupArn: string; Order?: number }[];
}

export const lbs = (s: SimState) => s.loadBalancers as Map<string, ElbLoadBalancer>;
export const tgs = (s: SimState) => s.targetGroups as Map<string, ElbTargetGroup>;
export const listeners = (s: SimState) => s.listeners as Map<string, ElbListener>;

export function arnPrefix(ctx: SimContext): string {
  return `arn:aws:elasticloadbalancing:${ctx.region}:${ctx.state.accountId}`;
}

/** Load balancer and target group names: 1–32 of [A-Za-z0-9-], no hyphen at either end. */
export function checkName(name: string | undefined, what: 'Load balancer' | 'Target group'): string {
  if (!name) throw new SimError('ValidationError', `${what} name is required`);
  if (name.length > 32) throw new SimError('ValidationError', `${what} name '${name}' cannot be longer than '32' characters`);
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw new SimError('ValidationError', `${what} name '${name}' can only contain characters that are alphanumeric characters or hyphens(-)`);
  if (name.startsWith('-') || name.endsWith('-')) throw new SimError('ValidationError', `${what} name '${name}' cannot begin or end with '-' character`);
  if (what === 'Load balancer' && name.startsWith('internal-')) throw new SimError('ValidationError', `Load balancer name '${name}' cannot begin with 'internal-'`);
  return name;
}

export function mustLoadBalancer(ctx: SimContext, arn: string | undefined): ElbLoadBalancer {
  const lb = arn ? lbs(ctx.state).get(arn) : undefined;
  if (!lb || lb.region !== ctx.region) throw new SimError('LoadBalancerNotFound', `Load balancer '${arn ?? ''}' not found`);
  return lb;
}

export function mustTargetGroup(ctx: SimContext, arn: string | undefined): ElbTargetGroup {
  const tg = arn ? tgs(ctx.state).get(arn) : undefined;
  if (!tg || tg.region !== ctx.region) throw new SimError('TargetGroupNotFound', `Target groups '${arn ?? ''}' not found`);
  return tg;
}

export function mustListener(ctx: SimContext, arn: string | undefined): ElbListener {
  const l = arn ? listeners(ctx.state).get(arn) : undefined;
  if (!l || l.region !== ctx.region) throw new SimError('ListenerNotFound', `Listener '${arn ?? ''}' not found`);
  return l;
}

/** The listeners that forward to a target group. */
export function listenersOf(state: SimState, tgArn: string): ElbListener[] {
  return [...listeners(state).values()].filter((l) => l.targetGroupArn === tgArn || l.defaultActions.some((a) => a.TargetGroupArn === tgArn));
}

/** The load balancers a target group receives traffic from. */
export function loadBalancersOf(state: SimState, tgArn: string): string[] {
  return [...new Set(listenersOf(state, tgArn).map((l) => l.loadBalancerArn))].filter((a) => lbs(state).has(a));
}

export function tagsIn(list: { Key?: string; Value?: string }[] | undefined): Tags {
  const out: Tags = {};
  const seen = new Set<string>();
  for (const t of list ?? []) {
    if (!t.Key) throw new SimError('ValidationError', 'A tag key is required');
    if (seen.has(t.Key)) throw new SimError('DuplicateTagKeys', `Tag key '${t.Key}' is duplicated`);
    if (t.Key.startsWith('aws:')) throw new SimError('ValidationError', `Tag keys starting with 'aws:' are reserved for internal use`);
    seen.add(t.Key);
    out[t.Key] = t.Value ?? '';
  }
  if (Object.keys(out).length > 50) throw new SimError('TooManyTags', 'You have reached the limit on the number of tags for this resource');
  return out;
}

export function tagList(tags: Tags): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** One page for Marker/PageSize (the marker is an opaque offset). */
export function page<T>(items: T[], pageSize: number | undefined, marker: string | undefined): { items: T[]; nextMarker?: string } {
  if (pageSize !== undefined && (pageSize < 1 || pageSize > 400)) {
    throw new SimError('ValidationError', `1 validation error detected: Value '${pageSize}' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400`);
  }
  let start = 0;
  if (marker) {
    start = Number(Buffer.from(marker, 'base64').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw new SimError('ValidationError', 'Invalid Marker');
  }
  const size = pageSize ?? 400;
  const end = start + size;
  return { items: items.slice(start, end), nextMarker: end < items.length ? Buffer.from(String(end)).toString('base64') : undefined };
}
