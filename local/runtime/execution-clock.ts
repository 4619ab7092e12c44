/**
 * The clock of execution under the simulator (shared/clock.ts `executionNow`): the wall clock
 * plus the simulator's jumps, each taken only while no handler runs. A handler here runs in
 * real time and cannot be stopped, where in AWS no Lambda lives through hours passing: so a
 * jump counts for Hopper between handlers — as if it came just after the running ones
 * returned — and no running step's fencing ticket runs out under it, letting its operation's
 * end or a take-over free the cluster while it still acts.
 */
export interface ExecutionClock {
  /** Epoch ms: the wall clock plus the jumps taken so far (taking those made since, when idle). */
  read(): number;
  /** Take the jumps made so far (called as a handler starts while none runs). */
  catchUp(): void;
}

export function jumpsBetweenHandlers(jumpedMs: () => number, idle: () => boolean): ExecutionClock {
  let taken = 0;
  const catchUp = () => {
    taken = Math.max(taken, jumpedMs());
  };
  return {
    read: () => {
      if (idle()) catchUp();
      return Date.now() + taken;
    },
    catchUp,
  };
}
