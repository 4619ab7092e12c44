/**
 * The latency model: how long AWS (and kubeadm on a host) typically takes for each thing Hopper
 * waits on, with the range it varies in. The simulator draws its delays from it; the create's
 * critical path (`shared/plan/create-critical-path.ts`) and the estimate of what remains of a
 * running create are computed from its typical values.
 */
/** A latency in simulated seconds: the typical value and the range it varies in. */
export interface LatencySpec {
  typical: number;
  min: number;
  max: number;
}

/**
 * AWS-typical latencies (design.md, "The cloud simulator"). Keys are shared with the
 * hosts engineer's models (ssm, kubeadm…), so add keys rather than rename them.
 */
export const DEFAULT_LATENCIES: Record<string, LatencySpec> = {
  'vpc.available': { typical: 1, min: 0.5, max: 2 },
  'subnet.available': { typical: 1, min: 0.5, max: 2 },
  'igw.available': { typical: 1, min: 0.5, max: 2 },
  'route.active': { typical: 1, min: 0.5, max: 2 },
  'securityGroup.available': { typical: 1, min: 0.5, max: 2 },
  'natGateway.available': { typical: 90, min: 60, max: 180 },
  'natGateway.deleted': { typical: 60, min: 40, max: 90 },
  'instance.running': { typical: 30, min: 15, max: 45 },
  'instance.stopped': { typical: 30, min: 15, max: 45 },
  'instance.terminated': { typical: 45, min: 30, max: 60 },
  'ssm.online': { typical: 45, min: 30, max: 60 },
  'image.available': { typical: 300, min: 180, max: 600 },
  'bake.packages': { typical: 120, min: 90, max: 180 },
  'kubeadm.init': { typical: 90, min: 60, max: 120 },
  'node.joined': { typical: 45, min: 30, max: 60 },
  'node.ready': { typical: 20, min: 10, max: 30 },
  'loadBalancer.active': { typical: 150, min: 120, max: 180 },
  'target.healthy': { typical: 30, min: 20, max: 45 },
  'drain': { typical: 20, min: 10, max: 60 },
  'volume.available': { typical: 5, min: 2, max: 10 },
  'volume.attached': { typical: 5, min: 2, max: 10 },
  'volume.detached': { typical: 5, min: 2, max: 10 },
  'asg.reconcile': { typical: 10, min: 10, max: 10 },
  // IAM's eventual consistency: EC2 refuses a new instance profile for a few seconds.
  'instanceProfile.visible': { typical: 8, min: 8, max: 8 },
};
