/**
 * When a scheduled invocation was due: the `time` EventBridge stamps on a scheduled event, else
 * `fallback` (a direct invocation). Decisions about *when* — which maintenance window, which
 * hour's token, which day's renewal — go by it rather than by the function's own clock: a
 * late or retried delivery still belongs to its slot, and in the embedded runtime, whose
 * schedules follow the simulated clock, a jump of a year puts each slot where the clusters
 * live. (Leases and locks stay on the store's clock.)
 */
export function scheduledAt(event: unknown, fallback: Date): Date {
  const time = (event as { time?: unknown } | null)?.time;
  const at = typeof time === 'string' ? new Date(time) : undefined;
  return at && !Number.isNaN(at.getTime()) ? at : fallback;
}
