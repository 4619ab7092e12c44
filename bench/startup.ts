/**
 * `npx tsx bench/startup.ts [--runs N] [--quick]`: how long `npm start` takes to come up.
 * Starts it N times (default 3; `--quick`: once) on free ports, each time measuring the real
 * time from spawn to the "ready" line and to the first healthy `GET /healthz`, stops it with
 * SIGINT, and prints each run, the median and the max against the goal (< 5 s).
 */
import { pathToFileURL } from 'node:url';
import { startHopper } from '../test/e2e/harness';

export const STARTUP_GOAL_MS = 5000;

export interface StartupRun {
  readyMs: number;
  healthyMs: number;
}

export interface StartupFigures {
  runs: StartupRun[];
  ready: { median: number; max: number };
  healthy: { median: number; max: number };
  goalMet: boolean;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

/** Start and stop `npm start` `runs` times, one after another. */
export async function measureStartup(runs: number, log: (line: string) => void = () => undefined): Promise<StartupFigures> {
  const results: StartupRun[] = [];
  for (let i = 0; i < runs; i++) {
    const hopper = await startHopper({ timeScale: 400 });
    try {
      results.push({ readyMs: hopper.readyMs, healthyMs: hopper.healthyMs });
      log(`  run ${i + 1}/${runs}: ready line ${hopper.readyMs} ms, /healthz ${hopper.healthyMs} ms`);
    } finally {
      await hopper.stop();
    }
  }
  const summary = (values: number[]) => ({ median: median(values), max: Math.max(...values) });
  const healthy = summary(results.map((r) => r.healthyMs));
  return { runs: results, ready: summary(results.map((r) => r.readyMs)), healthy, goalMet: healthy.max < STARTUP_GOAL_MS };
}

export function parseStartupArgs(argv: string[]): { runs: number } {
  if (argv.includes('--quick')) return { runs: 1 };
  const i = argv.findIndex((a) => a === '--runs' || a === '-n' || a.startsWith('--runs='));
  if (i < 0) return { runs: 3 };
  const raw = argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs wants a positive integer, got ${raw}`);
  return { runs };
}

export function renderStartup(f: StartupFigures): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return [
    `npm start, spawn → "ready" line:   median ${s(f.ready.median)}, max ${s(f.ready.max)} (${f.runs.length} run${f.runs.length === 1 ? '' : 's'})`,
    `npm start, spawn → healthy /healthz: median ${s(f.healthy.median)}, max ${s(f.healthy.max)}`,
    `goal < ${s(STARTUP_GOAL_MS)}: ${f.goalMet ? 'met' : 'NOT met'}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { runs } = parseStartupArgs(process.argv.slice(2));
  console.log(`Starting npm start ${runs} time${runs === 1 ? '' : 's'}…`);
  const figures = await measureStartup(runs, (line) => console.log(line));
  console.log(renderStartup(figures));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
