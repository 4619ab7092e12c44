/**
 * Target groups (instance targets, the network-load-balancer protocols), their targets
 * and target health.
 */
import type {
  CreateTargetGroupInput,
  CreateTargetGroupOutput,
  DeleteTargetGroupInput,
  DeregisterTargetsInput,
  DescribeTargetGroupAttributesInput,
  DescribeTargetGroupAttributesOutput,
  DescribeTargetGroupsInput,
  DescribeTargetGroupsOutput,
  DescribeTargetHealthInput,
  DescribeTargetHealthOutput,
  ModifyTargetGroupAttributesInput,
  ModifyTargetGroupAttributesOutput,
  ModifyTargetGroupInput,
  ModifyTargetGroupOutput,
  RegisterTargetsInput,
  TargetGroup,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import {
  arnPrefix,
  checkName,
  listenersOf,
  loadBalancersOf,
  mustLoadBalancer,
  mustTargetGroup,
  page,
  tagsIn,
  tgs,
  type ElbTarget,
  type ElbTargetGroup,
} from './common';
import { drain, refreshTargetGroup } from './health';

const PROTOCOLS = ['TCP', 'UDP', 'TCP_UDP', 'TLS'];
const HEALTH_PROTOCOLS = ['TCP', 'HTTP', 'HTTPS'];

const DEFAULT_ATTRIBUTES: Record<string, string> = {
  'deregistration_delay.timeout_seconds': '300',
  'deregistration_delay.connection_termination.enabled': 'false',
  'stickiness.enabled': 'false',
  'stickiness.type': 'source_ip',
  'proxy_protocol_v2.enabled': 'false',
  'preserve_client_ip.enabled': 'true',
  'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
  'target_health_state.unhealthy.connection_termination.enabled': 'true',
  'target_health_state.unhealthy.draining_interval_seconds': '0',
};

export function toSdkTargetGroup(tg: ElbTargetGroup, state: SimState): TargetGroup {
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol as TargetGroup['Protocol'],
    Port: tg.port,
    VpcId: tg.vpcId,
    HealthCheckProtocol: tg.healthCheckProtocol as TargetGroup['HealthCheckProtocol'],
    HealthCheckPort: tg.healthCheckPort,
    HealthCheckEnabled: tg.healthCheckEnabled,
    HealthCheckIntervalSeconds: tg.healthCheckIntervalSeconds,
    HealthCheckTimeoutSeconds: tg.healthCheckTimeoutSeconds,
    HealthyThresholdCount: tg.healthyThresholdCount,
    UnhealthyThresholdCount: tg.unhealthyThresholdCount,
    HealthCheckPath: tg.healthCheckPath,
    Matcher: tg.matcher,
    LoadBalancerArns: loadBalancersOf(state, tg.arn),
    TargetType: tg.targetType,
    IpAddressType: tg.ipAddressType as TargetGroup['IpAddressType'],
  };
}

type HealthSettings = Pick<
  CreateTargetGroupInput,
  'HealthCheckProtocol' | 'HealthCheckPort' | 'HealthCheckEnabled' | 'HealthCheckPath' | 'HealthCheckIntervalSeconds' | 'HealthCheckTimeoutSeconds' | 'HealthyThresholdCount' | 'UnhealthyThresholdCount' | 'Matcher'
>;

function between(v: number | undefined, min: number, max: number, what: string): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
    throw new SimError('ValidationError', `${what} must be between ${min} and ${max}`);
  }
}

/** Applies (validated) health-check settings onto a group. */
function applyHealth(tg: ElbTargetGroup, input: HealthSettings): void {
  if (input.HealthCheckProtocol !== undefined && !HEALTH_PROTOCOLS.includes(input.HealthCheckProtocol)) {
    throw new SimError('ValidationError', `Health check protocol '${input.HealthCheckProtocol}' is not supported for target groups with the ${tg.protocol} protocol`);
  }
  if (input.HealthCheckPort !== undefined && input.HealthCheckPort !== 'traffic-port') {
    between(Number(input.HealthCheckPort), 1, 65535, 'Health check port');
  }
  if (input.HealthCheckEnabled === false) throw new SimError('ValidationError', 'Health checks cannot be disabled for target groups with the TCP protocol');
  between(input.HealthCheckIntervalSeconds, 5, 300, 'Health check interval');
  between(input.HealthCheckTimeoutSeconds, 2, 120, 'Health check timeout');
  between(input.HealthyThresholdCount, 2, 10, 'Healthy threshold count');
  between(input.UnhealthyThresholdCount, 2, 10, 'Unhealthy threshold count');
  const proto = input.HealthCheckProtocol ?? tg.healthCheckProtocol;
  if (input.HealthCheckPath !== undefined && proto === 'TCP') throw new SimError('ValidationError', 'Health check path cannot be set with the TCP health check protocol');
  tg.healthCheckProtocol = proto;
  tg.healthCheckPort = input.HealthCheckPort ?? tg.healthCheckPort;
  tg.healthCheckIntervalSeconds = input.HealthCheckIntervalSeconds ?? tg.healthCheckIntervalSeconds;
  tg.healthCheckTimeoutSeconds = input.HealthCheckTimeoutSeconds ?? tg.healthCheckTimeoutSeconds;
  tg.healthyThresholdCount = input.HealthyThresholdCount ?? tg.healthyThresholdCount;
  tg.unhealthyThresholdCount = input.UnhealthyThresholdCount ?? tg.unhealthyThresholdCount;
  if (proto === 'TCP') {
    tg.healthCheckPath = undefined;
    tg.matcher = undefined;
  } else {
    tg.healthCheckPath = input.HealthCheckPath ?? tg.healthCheckPath ?? '/';
    tg.matcher = input.Matcher ?? tg.matcher ?? { HttpCode: '200-399' };
  }
}

function sameSettings(a: ElbTargetGroup, b: ElbTargetGroup): boolean {
  const keys = ['protocol', 'port', 'vpcId', 'targetType', 'healthCheckProtocol', 'healthCheckPort', 'healthCheckPath', 'healthCheckIntervalSeconds', 'healthCheckTimeoutSeconds', 'healthyThresholdCount', 'unhealthyThresholdCount'] as const;
  return keys.every((k) => a[k] === b[k]);
}

const create: QueryHandler = (input: CreateTargetGroupInput, ctx: SimContext): CreateTargetGroupOutput => {
  const { state } = ctx;
  const name = checkName(input.Name, 'Target group');
  const targetType = input.TargetType ?? 'instance';
  if (targetType !== 'instance') throw new SimError('ValidationError', `The simulator models instance targets only (TargetType '${targetType}' requested)`);
  const protocol = input.Protocol;
  if (!protocol || !PROTOCOLS.includes(protocol)) {
    throw new SimError('ValidationError', `A target group of network-load-balancer type needs Protocol ${PROTOCOLS.join(', ')} (got '${protocol ?? ''}')`);
  }
  if (input.Port === undefined) throw new SimError('ValidationError', 'A port must be specified');
  between(input.Port, 1, 65535, 'Port');
  const vpc = input.VpcId ? state.vpcs.get(input.VpcId) : undefined;
  if (!vpc || vpc.region !== ctx.region) throw new SimError('ValidationError', `The VPC ID '${input.VpcId ?? ''}' is not found`);
  const tags = tagsIn(input.Tags);
  const hash = state.rng.hex(16);
  const arn = `${arnPrefix(ctx)}:targetgroup/${name}/${hash}`;
  const tg: ElbTargetGroup = {
    ...state.base(arn, ctx.region, tags),
    arn,
    name,
    protocol,
    port: input.Port,
    vpcId: vpc.id,
    targetType: 'instance',
    healthCheckProtocol: 'TCP',
    healthCheckPort: 'traffic-port',
    healthCheckEnabled: true,
    healthCheckIntervalSeconds: 30,
    healthCheckTimeoutSeconds: 10,
    healthyThresholdCount: 5,
    unhealthyThresholdCount: 2,
    ipAddressType: input.IpAddressType ?? 'ipv4',
    targets: [],
    attributes: { ...DEFAULT_ATTRIBUTES },
  };
  applyHealth(tg, input);

  // Same name, same settings: CreateTargetGroup is idempotent and answers the existing group.
  const existing = [...tgs(state).values()].find((g) => g.name === name && g.region === ctx.region);
  if (existing) {
    if (sameSettings(existing, tg)) return { TargetGroups: [toSdkTargetGroup(existing, state)] };
    throw new SimError('DuplicateTargetGroupName', 'A target group with the same name exists, but with different settings');
  }
  tgs(state).set(arn, tg);
  return { TargetGroups: [toSdkTargetGroup(tg, state)] };
};

const describe: QueryHandler = (input: DescribeTargetGroupsInput, ctx: SimContext): DescribeTargetGroupsOutput => {
  const { state } = ctx;
  const given = [input.TargetGroupArns?.length, input.Names?.length, input.LoadBalancerArn].filter(Boolean).length;
  if (given > 1) throw new SimError('ValidationError', 'Only one of target group ARNs, names or a load balancer ARN can be specified');
  const all = [...tgs(state).values()].filter((g) => g.region === ctx.region);
  let items = all;
  if (input.TargetGroupArns?.length) {
    items = input.TargetGroupArns.map((arn) => {
      const g = all.find((x) => x.arn === arn);
      if (!g || !state.visible(g)) throw new SimError('TargetGroupNotFound', `Target groups '[${arn}]' not found`);
      return g;
    });
  } else if (input.Names?.length) {
    items = input.Names.map((n) => {
      const g = all.find((x) => x.name === n);
      if (!g || !state.visible(g)) throw new SimError('TargetGroupNotFound', `One or more target groups not found`);
      return g;
    });
  } else if (input.LoadBalancerArn) {
    const lb = mustLoadBalancer(ctx, input.LoadBalancerArn);
    items = all.filter((g) => loadBalancersOf(state, g.arn).includes(lb.arn));
  }
  const p = page(items, input.PageSize, input.Marker);
  return { TargetGroups: p.items.map((g) => toSdkTargetGroup(g, state)), NextMarker: p.nextMarker };
};

const modify: QueryHandler = (input: ModifyTargetGroupInput, ctx: SimContext): ModifyTargetGroupOutput => {
  const tg = mustTargetGroup(ctx, input.TargetGroupArn);
  const copy = structuredClone(tg);
  applyHealth(copy, input); // validate everything before changing anything
  applyHealth(tg, input);
  return { TargetGroups: [toSdkTargetGroup(tg, ctx.state)] };
};

const remove: QueryHandler = (input: DeleteTargetGroupInput, ctx: SimContext) => {
  const tg = mustTargetGroup(ctx, input.TargetGroupArn);
  if (listenersOf(ctx.state, tg.arn).length) {
    throw new SimError('ResourceInUse', `Target group '${tg.arn}' is currently in use by a listener or a rule`);
  }
  tgs(ctx.state).delete(tg.arn);
  return {};
};

/** Resolves and checks the instance targets of a Register/Deregister call. */
function targetsOf(ctx: SimContext, tg: ElbTargetGroup, list: { Id?: string; Port?: number }[] | undefined, registering: boolean): { id: string; port: number }[] {
  if (!list?.length) throw new SimError('ValidationError', 'At least one target must be specified');
  const out = list.map((t) => ({ id: t.Id ?? '', port: t.Port ?? tg.port }));
  const bad = (ids: string[], why: string) => {
    if (ids.length) throw new SimError('InvalidTarget', `${why}: ${ids.map((i) => `'${i}'`).join(', ')}`);
  };
  for (const t of out) between(t.port, 1, 65535, 'Port');
  const inst = (id: string) => {
    const i = ctx.state.instances.get(id);
    return i && i.region === ctx.region ? i : undefined;
  };
  if (!registering) {
    const unknown = out.filter((t) => !tg.targets.some((x) => x.id === t.id && x.port === t.port) && !inst(t.id)).map((t) => t.id);
    bad(unknown, 'The following targets are not valid');
    return out;
  }
  bad(out.filter((t) => !inst(t.id)).map((t) => t.id), 'The following targets are not valid');
  bad(out.filter((t) => inst(t.id)?.state !== 'running').map((t) => t.id), 'The following targets are not in a running state and cannot be registered');
  const wrongVpc = out.filter((t) => inst(t.id)?.vpcId !== tg.vpcId).map((t) => t.id);
  if (wrongVpc.length) bad(wrongVpc, `The following targets are not in the target group VPC '${tg.vpcId}'`);
  return out;
}

const register: QueryHandler = (input: RegisterTargetsInput, ctx: SimContext) => {
  const { state } = ctx;
  const tg = mustTargetGroup(ctx, input.TargetGroupArn);
  const now = state.clock.now();
  for (const { id, port } of targetsOf(ctx, tg, input.Targets, true)) {
    const cur = tg.targets.find((x) => x.id === id && x.port === port);
    if (cur && cur.state !== 'draining') continue;
    if (cur) tg.targets = tg.targets.filter((x) => x !== cur);
    const t: ElbTarget = { id, port, state: 'initial', reason: 'Elb.RegistrationInProgress', since: now, registeredAt: now };
    tg.targets.push(t);
  }
  refreshTargetGroup(state, tg);
  return {};
};

const deregister: QueryHandler = (input: DeregisterTargetsInput, ctx: SimContext) => {
  const { state } = ctx;
  const tg = mustTargetGroup(ctx, input.TargetGroupArn);
  for (const { id, port } of targetsOf(ctx, tg, input.Targets, false)) {
    const cur = tg.targets.find((x) => x.id === id && x.port === port);
    if (cur && cur.state !== 'draining') drain(state, tg, cur);
  }
  return {};
};

function describeOne(tg: ElbTargetGroup, t: ElbTarget): TargetHealthDescription {
  return {
    Target: { Id: t.id, Port: t.port },
    HealthCheckPort: tg.healthCheckPort === 'traffic-port' ? String(t.port) : tg.healthCheckPort,
    TargetHealth: {
      State: t.state,
      Reason: t.reason as NonNullable<TargetHealthDescription['TargetHealth']>['Reason'],
      Description: t.description,
    },
  };
}

const describeHealth: QueryHandler = (input: DescribeTargetHealthInput, ctx: SimContext): DescribeTargetHealthOutput => {
  const tg = mustTargetGroup(ctx, input.TargetGroupArn);
  refreshTargetGroup(ctx.state, tg);
  if (!input.Targets?.length) return { TargetHealthDescriptions: tg.targets.map((t) => describeOne(tg, t)) };
  const out: TargetHealthDescription[] = [];
  for (const want of input.Targets) {
    const inst = ctx.state.instances.get(want.Id ?? '');
    if (!inst || inst.region !== ctx.region) throw new SimError('InvalidTarget', `The following targets are not valid: '${want.Id ?? ''}'`);
    const found = tg.targets.filter((t) => t.id === want.Id && (want.Port === undefined || t.port === want.Port));
    if (found.length) out.push(...found.map((t) => describeOne(tg, t)));
    else {
      out.push({
        Target: { Id: want.Id, Port: want.Port ?? tg.port },
        HealthCheckPort: tg.healthCheckPort === 'traffic-port' ? String(want.Port ?? tg.port) : tg.healthCheckPort,
        TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' },
      });
    }
  }
  return { TargetHealthDescriptions: out };
};

const describeAttributes: QueryHandler = (input: DescribeTargetGroupAttributesInput, ctx: SimContext): DescribeTargetGroupAttributesOutput => {
  const tg = mustTargetGroup(ctx, input.TargetGroupArn);
  return { Attributes: Object.entries(tg.attributes).map(([Key, Value]) => ({ Key, Value })) };
};

const modifyAttributes: QueryHandler = (input: ModifyTargetGroupAttributesInput, ctx: SimContext): ModifyTargetGroupAttributesOutput => {
  const tg = mustTargetGroup(ctx, input.TargetGroupArn);
  for (const a of input.Attributes ?? []) {
    if (!a.Key || !(a.Key in DEFAULT_ATTRIBUTES)) throw new SimError('ValidationError', `Target group attribute key '${a.Key ?? ''}' is not recognized`);
    if (a.Key === 'deregistration_delay.timeout_seconds') between(Number(a.Value), 0, 3600, 'Deregistration delay');
  }
  for (const a of input.Attributes ?? []) tg.attributes[a.Key as string] = a.Value ?? '';
  return { Attributes: Object.entries(tg.attributes).map(([Key, Value]) => ({ Key, Value })) };
};

export const targetGroupHandlers = {
  CreateTargetGroup: create,
  DescribeTargetGroups: describe,
  ModifyTargetGroup: modify,
  DeleteTargetGroup: remove,
  RegisterTargets: register,
  DeregisterTargets: deregister,
  DescribeTargetHealth: describeHealth,
  DescribeTargetGroupAttributes: describeAttributes,
  ModifyTargetGroupAttributes: modifyAttributes,
};
