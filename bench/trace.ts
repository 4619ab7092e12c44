/**
 * Where a workflow's time goes: every Lambda invocation of one run with its simulated start
 * and duration (wall × time scale) and, for failed attempts, the error. Polling slack,
 * retries and handler overhead show up line by line; the benchmarks only give totals.
 *
 *   npx tsx bench/trace.ts create-single|create-ha|rolling [--time-scale 10] [--nodes 3]
 *
 * A first single-zone create bakes the image (not traced); `create-*` then traces a create
 * with the cached image, `rolling` a rolling update of a `--nodes`-node group after a
 * machine-type change.
 */
import { argValue } from './lib/args';
import { fixLatenciesToTypical, quietStepLogs, startControlPlane, type BenchControlPlane } from './lib/control-plane';
import { runOperation, type OperationRun } from './lib/operation-run';

interface Invocation {
  name: string;
  startMs: number;
  wallMs: number;
  error?: string;
}

const DEADLINE_MS = 20 * 60_000;

function option(argv: string[], name: string, fallback: number): number {
  const given = argValue(argv, name);
  return given === undefined ? fallback : Number(given);
}

/** Records every invocation but the API's operation polling (the bench's own reads). */
function record(cp: BenchControlPlane): Invocation[] {
  const trace: Invocation[] = [];
  const original = cp.embedded.lambda.invoke.bind(cp.embedded.lambda);
  cp.embedded.lambda.invoke = async (name, event) => {
    const startMs = Date.now();
    let error: string | undefined;
    try {
      return await original(name, event);
    } catch (e) {
      error = `${(e as Error).name}: ${(e as Error).message.slice(0, 140)}`;
      throw e;
    } finally {
      if (name !== 'apiGetOperation') trace.push({ name, startMs, wallMs: Date.now() - startMs, error });
    }
  };
  return trace;
}

async function create(cp: BenchControlPlane, body: Record<string, unknown>): Promise<OperationRun> {
  return runOperation(cp, `create ${String(body.name)}`, String(body.name), () => cp.request('POST', '/v1/clusters', body), { deadlineMs: DEADLINE_MS });
}

async function main(argv: string[]): Promise<void> {
  quietStepLogs();
  const what = argv[0] ?? 'create-ha';
  const timeScale = option(argv, '--time-scale', 10);
  const nodes = option(argv, '--nodes', 3);
  const cp = await startControlPlane({ timeScale });
  const trace = record(cp);
  try {
    await fixLatenciesToTypical(cp);
    const zones = ['us-east-1a'];
    const first = await create(cp, { name: 'trace-bake', region: 'us-east-1', zones, instanceGroups: [{ name: 'nodes', min: nodes, max: nodes }] });
    console.log(`first create (bakes the image): ${first.outcome}, ${first.simSeconds.toFixed(0)} sim s`);
    let run: OperationRun;
    if (what === 'rolling') {
      await cp.request('PUT', '/v1/clusters/trace-bake/instance-groups/nodes', { machineType: 't3.large' });
      await runOperation(cp, 'update', 'trace-bake', () => cp.request('POST', '/v1/clusters/trace-bake/update'), { deadlineMs: DEADLINE_MS });
      trace.length = 0;
      run = await runOperation(cp, 'rolling-update', 'trace-bake', () => cp.request('POST', '/v1/clusters/trace-bake/rolling-update', { instanceGroups: ['nodes'], maxSurge: 1, maxUnavailable: 0 }), {
        deadlineMs: DEADLINE_MS,
      });
    } else {
      trace.length = 0;
      const ha = what === 'create-ha';
      run = await create(cp, { name: 'trace', region: 'us-east-1', zones: ha ? ['us-east-1a', 'us-east-1b', 'us-east-1c'] : zones, ...(ha ? { controlPlane: { count: 3 } } : {}) });
    }
    console.log(`${what}: ${run.outcome}, ${run.simSeconds.toFixed(1)} sim s, ${run.transitions} transitions; steps ${JSON.stringify(run.stepSimSeconds)}`);
    const t0 = trace[0]?.startMs ?? 0;
    const sim = (ms: number) => ((ms * timeScale) / 1000).toFixed(1).padStart(7);
    for (const t of trace) console.log(`${sim(t.startMs - t0)} +${sim(t.wallMs)} ${t.name}${t.error ? ` (${t.error})` : ''}`);
    const wall = trace.reduce((n, t) => n + t.wallMs, 0);
    console.log(`${trace.length} invocations, ${wall} ms of handler wall time = ${((wall * timeScale) / 1000).toFixed(1)} sim s`);
  } finally {
    await cp.stop();
  }
}

await main(process.argv.slice(2));
