/**
 * Scale: N concurrent cluster creates with EC2's throttling on (design.md's buckets), against
 * one create alone (also throttled) on a fresh control plane: completions, failures, total time,
 * RequestLimitExceeded answers and retries.
 */
import { diffCalls, errorCount, fixLatenciesToTypical, simCalls, startControlPlane, totalCalls } from './lib/control-plane';
import { runOperation, type OperationRun } from './lib/operation-run';
import { available, fmt, notAvailable, table, type Figure, type Goal } from './lib/report';

export interface ScaleResult {
  concurrency: number;
  timeScale: number;
  single: { outcome: string; simSeconds: number; error?: string };
  completed: number;
  failed: number;
  hung: number;
  failures: string[];
  /** From the first request to the last completion, simulated seconds. */
  totalSimSeconds: number;
  /** totalSimSeconds / the single create's. */
  vsSingle?: number;
  awsCalls: number;
  requestLimitExceeded: number;
  /** Failed task attempts (retried or caught), polls excluded, summed over the creates. */
  taskRetries: number;
}

const spec = (name: string) => ({ name, region: 'us-east-1', zones: ['us-east-1a'] });

export async function measureScale(options: { concurrency: number; timeScale: number; deadlineMs: number }): Promise<Figure<ScaleResult>> {
  // The single create, throttled, on its own fresh control plane (it bakes the image, as each of the concurrent ones must share one bake).
  const a = await startControlPlane({ timeScale: options.timeScale });
  let single: OperationRun;
  try {
    await fixLatenciesToTypical(a);
    await a.sim('POST', '/_sim/faults', { throttling: true });
    single = await runOperation(a, 'create scale-single', 'scale-single', () => a.request('POST', '/v1/clusters', spec('scale-single')), { deadlineMs: options.deadlineMs });
  } finally {
    await a.stop();
  }
  if (single.outcome !== 'Succeeded') {
    return notAvailable(`the single create to compare with ${single.outcome.toLowerCase()}${single.failedStep ? ` at ${single.failedStep}` : ''}: ${single.error ?? ''}`.slice(0, 300));
  }
  const b = await startControlPlane({ timeScale: options.timeScale });
  try {
    await fixLatenciesToTypical(b);
    await b.sim('POST', '/_sim/faults', { throttling: true });
    const before = await simCalls(b);
    const t0 = Date.now();
    const names = Array.from({ length: options.concurrency }, (_, i) => `scale-${String(i).padStart(2, '0')}`);
    const runs = await Promise.all(
      names.map((name) => runOperation(b, `create ${name}`, name, () => b.request('POST', '/v1/clusters', spec(name)), { deadlineMs: options.deadlineMs, stallMs: options.deadlineMs, pollMs: 2000 })),
    );
    const wallMs = Date.now() - t0;
    const calls = diffCalls(before, await simCalls(b));
    const totalSimSeconds = (wallMs * options.timeScale) / 1000;
    return available({
      concurrency: options.concurrency,
      timeScale: options.timeScale,
      single: { outcome: single.outcome, simSeconds: single.simSeconds },
      completed: runs.filter((r) => r.outcome === 'Succeeded').length,
      failed: runs.filter((r) => r.outcome === 'Failed' || r.outcome === 'Rejected').length,
      hung: runs.filter((r) => r.outcome === 'Hung').length,
      failures: runs.filter((r) => r.outcome !== 'Succeeded').map((r) => `${r.cluster}: ${r.outcome}${r.failedStep ? ` at ${r.failedStep}` : ''} ${r.error ?? ''}`.slice(0, 300)),
      totalSimSeconds,
      vsSingle: totalSimSeconds / single.simSeconds,
      awsCalls: totalCalls(calls),
      requestLimitExceeded: errorCount(calls, 'RequestLimitExceeded'),
      taskRetries: runs.reduce((n, r) => n + r.taskRetries, 0),
    });
  } finally {
    await b.stop();
  }
}

export function scaleMarkdown(fig: Figure<ScaleResult>): string {
  if (!fig.ok) return `not available: ${fig.notAvailable}`;
  const s = fig.value;
  const lines = [
    `${s.concurrency} concurrent single-zone creates (each polled every 2 s over the API; the times come from the executions' start and stop), EC2 throttling on (design.md's token buckets), latencies at typical values, time scale ${s.timeScale}. The throttling buckets refill per simulated second, as the workflows wait and retry in simulated time.`,
    '',
    table(
      ['creates', 'completed', 'failed', 'hung', 'total sim s', 'single create sim s', 'total / single', 'AWS calls', 'RequestLimitExceeded', 'failed task attempts (polls excluded)'],
      [[s.concurrency, s.completed, s.failed, s.hung, fmt(s.totalSimSeconds, 0), fmt(s.single.simSeconds, 0), s.vsSingle === undefined ? '–' : fmt(s.vsSingle, 2), s.awsCalls, s.requestLimitExceeded, s.taskRetries]],
    ),
  ];
  if (s.failures.length) lines.push('', 'Failures:', '', ...s.failures.map((f) => `- ${f}`));
  return lines.join('\n');
}

export function scaleGoals(fig: Figure<ScaleResult>, fullConcurrency: number): Goal[] {
  const goal = `${fullConcurrency} concurrent creates under throttling: 0 failures`;
  if (!fig.ok) return [{ goal, status: 'N/A', detail: `not available: ${fig.notAvailable}` }];
  const s = fig.value;
  const detail = `${s.completed}/${s.concurrency} completed, ${s.failed} failed, ${s.hung} hung; ${s.requestLimitExceeded} RequestLimitExceeded${s.concurrency < fullConcurrency ? ` (smoke: ${s.concurrency} creates, not ${fullConcurrency})` : ''}`;
  if (s.concurrency < fullConcurrency) return [{ goal, status: 'N/A', detail }];
  return [{ goal, status: s.failed === 0 && s.hung === 0 ? 'PASS' : 'FAIL', detail }];
}
