/** Listeners of network load balancers: one forward default action to one target group. */
import type {
  Action,
  CreateListenerInput,
  CreateListenerOutput,
  DeleteListenerInput,
  DescribeListenersInput,
  DescribeListenersOutput,
  Listener,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import { arnPrefix, listeners, loadBalancersOf, mustListener, mustLoadBalancer, mustTargetGroup, page, tagsIn, type ElbListener } from './common';
import { refreshAll, refreshTargetGroup } from './health';

const PROTOCOLS = ['TCP', 'UDP', 'TCP_UDP', 'TLS'];

function toSdk(l: ElbListener): Listener {
  return {
    ListenerArn: l.arn,
    LoadBalancerArn: l.loadBalancerArn,
    Port: l.port,
    Protocol: l.protocol as Listener['Protocol'],
    DefaultActions: l.defaultActions.map((a) => ({
      Type: a.Type as Action['Type'],
      TargetGroupArn: a.TargetGroupArn,
      Order: a.Order,
      ForwardConfig: { TargetGroups: [{ TargetGroupArn: a.TargetGroupArn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
    })),
  };
}

/** The one target group a forward default action names. */
function forwardTarget(actions: Action[] | undefined): string {
  if (!actions?.length) throw new SimError('ValidationError', 'A default action must be specified');
  if (actions.length > 1 || actions[0].Type !== 'forward') {
    throw new SimError('InvalidLoadBalancerAction', 'A network load balancer listener supports exactly one forward default action');
  }
  const a = actions[0];
  const fromConfig = a.ForwardConfig?.TargetGroups ?? [];
  if (fromConfig.length > 1) throw new SimError('InvalidLoadBalancerAction', 'A network load balancer listener forwards to one target group');
  const arn = a.TargetGroupArn ?? fromConfig[0]?.TargetGroupArn;
  if (!arn) throw new SimError('ValidationError', 'A target group ARN must be specified');
  if (fromConfig[0]?.TargetGroupArn && a.TargetGroupArn && fromConfig[0].TargetGroupArn !== a.TargetGroupArn) {
    throw new SimError('ValidationError', 'TargetGroupArn and ForwardConfig name different target groups');
  }
  return arn;
}

const create: QueryHandler = (input: CreateListenerInput, ctx: SimContext): CreateListenerOutput => {
  const { state } = ctx;
  const lb = mustLoadBalancer(ctx, input.LoadBalancerArn);
  const protocol = input.Protocol ?? 'TCP';
  if (!PROTOCOLS.includes(protocol)) throw new SimError('UnsupportedProtocol', `Protocol '${protocol}' is not supported for network load balancers`);
  const port = input.Port;
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) throw new SimError('ValidationError', 'Port must be between 1 and 65535');
  const tgArn = forwardTarget(input.DefaultActions);
  const tg = mustTargetGroup(ctx, tgArn);
  if (tg.vpcId !== lb.vpcId) throw new SimError('ValidationError', `The target group '${tg.arn}' is not in the VPC of the load balancer`);
  if (tg.protocol !== protocol) throw new SimError('IncompatibleProtocols', `The listener protocol '${protocol}' is not compatible with the target group protocol '${tg.protocol}'`);
  const other = loadBalancersOf(state, tg.arn).find((a) => a !== lb.arn);
  if (other) throw new SimError('TargetGroupAssociationLimit', `The target group '${tg.arn}' is currently associated with another load balancer`);
  const tags = tagsIn(input.Tags);

  const existing = [...listeners(state).values()].find((l) => l.loadBalancerArn === lb.arn && l.port === port);
  if (existing) {
    // The same listener again is answered with the existing one (CreateListener is idempotent).
    if (existing.protocol === protocol && existing.targetGroupArn === tg.arn) return { Listeners: [toSdk(existing)] };
    throw new SimError('DuplicateListener', 'A listener already exists on this port for this load balancer');
  }
  const lbPath = lb.arn.split(':loadbalancer/')[1];
  const arn = `${arnPrefix(ctx)}:listener/${lbPath}/${state.rng.hex(16)}`;
  const l: ElbListener = {
    ...state.base(arn, ctx.region, tags),
    arn,
    loadBalancerArn: lb.arn,
    protocol,
    port,
    targetGroupArn: tg.arn,
    defaultActions: [{ Type: 'forward', TargetGroupArn: tg.arn }],
  };
  listeners(state).set(arn, l);
  refreshTargetGroup(state, tg);
  return { Listeners: [toSdk(l)] };
};

const describe: QueryHandler = (input: DescribeListenersInput, ctx: SimContext): DescribeListenersOutput => {
  const { state } = ctx;
  let items: ElbListener[];
  if (input.ListenerArns?.length) {
    if (input.LoadBalancerArn) throw new SimError('ValidationError', 'Listener ARNs and a load balancer ARN cannot be specified at the same time');
    items = input.ListenerArns.map((arn) => {
      const l = mustListener(ctx, arn);
      if (!state.visible(l)) throw new SimError('ListenerNotFound', `Listener '${arn}' not found`);
      return l;
    });
  } else if (input.LoadBalancerArn) {
    const lb = mustLoadBalancer(ctx, input.LoadBalancerArn);
    items = [...listeners(state).values()].filter((l) => l.loadBalancerArn === lb.arn);
  } else {
    throw new SimError('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
  }
  const p = page(items, input.PageSize, input.Marker);
  return { Listeners: p.items.map(toSdk), NextMarker: p.nextMarker };
};

const remove: QueryHandler = (input: DeleteListenerInput, ctx: SimContext) => {
  const l = mustListener(ctx, input.ListenerArn);
  listeners(ctx.state).delete(l.id);
  refreshAll(ctx.state);
  return {};
};

export const listenerHandlers = {
  CreateListener: create,
  DescribeListeners: describe,
  DeleteListener: remove,
};
