/**
 * How long each workflow may run, and so how long its operation holds the cluster.
 *
 * Each state machine's `TimeoutSeconds` is set from here (workflows/*.ts), and the lease an
 * operation takes is that timeout plus a margin: an execution ends (and its end closes the
 * lock, shared/store/fencing.ts) before its lease can run out, so a live execution never
 * loses its cluster to a take-over. The lease matters only when the execution's end is never
 * heard of; then another operation may take the cluster over once it has passed, and stops
 * the old execution. Steps with side effects renew the lease as they start.
 *
 * Both count on the clock of execution (shared/clock.ts): in the embedded runtime the wall
 * clock plus the simulator's jumps, not scaled — the hosts' scripts take real time that
 * HOPPER_TIME_SCALE does not shorten — so a jump times out the executions it passes, and
 * their leases after them.
 */

/** State machine → its TimeoutSeconds. */
export const WORKFLOW_TIMEOUT_SECONDS = {
  'create-cluster': 2 * 3600 + 45 * 60,
  // Started by the create, inside its time.
  'bake-image': 2 * 3600,
  'delete-cluster': 3600 + 45 * 60,
  'update-cluster': 3600 + 45 * 60,
  'rolling-update': 5 * 3600 + 45 * 60,
  'upgrade-cluster': 5 * 3600 + 45 * 60,
  'validate-cluster': 9 * 60,
  // One control plane after another, ten minutes each at most.
  'renew-certificates': 45 * 60,
  // A drain (at most 5 + 1 minutes), the group's replacement (15), the Node's deletion (5).
  'repair-node': 45 * 60,
  // Fetch, restore and start (ten minutes each at most), a join token, about ten minutes of validation.
  'restore-cluster': 60 * 60,
} as const;

export type StateMachineName = keyof typeof WORKFLOW_TIMEOUT_SECONDS;

/** What a lease adds to its workflow's timeout: the end-of-execution event's delivery, the failure path. */
export const LEASE_MARGIN_SECONDS = 15 * 60;

/** The lease of an operation run by `machine`. */
export function leaseSeconds(machine: StateMachineName): number {
  return WORKFLOW_TIMEOUT_SECONDS[machine] + LEASE_MARGIN_SECONDS;
}
