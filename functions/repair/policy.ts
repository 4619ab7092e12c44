/**
 * Node repair: what counts as trouble, what a repair does about each kind, and how many
 * repairs a group may have at once.
 *
 * AWS says a machine is going (a spot interruption warning, a scheduled retirement) or has
 * gone bad (failed status checks); Hopper drains what it can, has the group replace the
 * instance, and deletes the stale Node object. A node's termination or stop that nobody
 * announced needs no repair of its own: the group's EC2 health check replaces the instance and
 * the cloud controller manager deletes the Node of a terminated one — they are recorded. A
 * control plane terminated outside Hopper has no group: its seat is filled again (`terminated`).
 *
 * Like a MachineHealthCheck's `maxUnhealthy`, a repair starts only while the group's troubled
 * instances are few (at most MAX_UNHEALTHY_PERCENT of it, and at least one): when more are in
 * trouble at once, the cause is wider than a machine (a zone, the region, Hopper itself), and
 * replacing them in a loop would make it worse. The group's own zone balancing moves capacity
 * out of an impaired zone and back.
 */
export const TROUBLES = ['spot-interruption', 'retirement', 'status-check', 'terminated'] as const;
export type Trouble = (typeof TROUBLES)[number];

export const MAX_UNHEALTHY_PERCENT = 40;

/** How many troubled instances a group of `size` may have and still be repaired. */
export function repairBudget(size: number): number {
  return Math.max(1, Math.ceil((size * MAX_UNHEALTHY_PERCENT) / 100));
}

export interface RepairPlan {
  /** Cordon and drain first (the instance still answers and there is time). */
  drain: boolean;
  /** How long the drain may honour PodDisruptionBudgets before pods are deleted. */
  drainTimeoutSeconds: number;
  /** Terminate through the group (it launches the replacement); a spot instance AWS terminates itself. */
  terminate: boolean;
}

/** What a repair does for each kind of trouble. */
export const REPAIR_PLANS: Record<Trouble, RepairPlan> = {
  // Two minutes' notice: a short, budget-honouring drain, then AWS takes the instance.
  'spot-interruption': { drain: true, drainTimeoutSeconds: 60, terminate: false },
  // Days of notice: a normal drain, and a replacement long before the deadline.
  retirement: { drain: true, drainTimeoutSeconds: 300, terminate: true },
  // It does not answer: its kubelet cannot stop pods, so no drain; deleting the Node re-homes them.
  'status-check': { drain: false, drainTimeoutSeconds: 60, terminate: true },
  // Gone already (a control plane terminated outside Hopper): its seat is filled again.
  terminated: { drain: false, drainTimeoutSeconds: 60, terminate: false },
};

export function describeTrouble(trouble: Trouble): string {
  return { 'spot-interruption': 'a spot interruption notice', retirement: 'a scheduled retirement', 'status-check': 'failed status checks', terminated: 'terminated outside Hopper' }[trouble];
}
