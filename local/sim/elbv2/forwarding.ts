/**
 * Whether a connection to `<name>:<port>` reaches a target now, as a client inside the VPC
 * sees a load balancer: the balancer active, a listener on that port, and a healthy target in
 * its group — or, as a network load balancer fails open, targets that all failed their checks
 * but answer. A target still in `initial` (its checks not yet passed) gets no traffic. What
 * `kubeadm init`'s API check and `kubeadm join`'s discovery wait for when the
 * controlPlaneEndpoint is a load balancer.
 */
import { portAnswers } from '../core/instance-ports';
import type { SimState } from '../core/state';
import { lbs, listeners, tgs } from './common';
import { refreshTargetGroup } from './health';

/** Undefined when `host` is no load balancer's name (an address: nothing in between). */
export function balancerForwards(state: SimState, host: string, port: number): boolean | undefined {
  const lb = [...lbs(state).values()].find((l) => l.dnsName.toLowerCase() === host.toLowerCase());
  if (!lb) return undefined;
  const listener = [...listeners(state).values()].find((l) => l.loadBalancerArn === lb.arn && l.port === port);
  const tg = listener && tgs(state).get(listener.targetGroupArn);
  if (lb.state !== 'active' || !tg) return false;
  refreshTargetGroup(state, tg);
  const healthy = tg.targets.filter((t) => t.state === 'healthy');
  const open = healthy.length ? healthy : tg.targets.filter((t) => t.state === 'unhealthy');
  return open.some((t) => portAnswers(state, t.id, t.port || tg.port));
}
