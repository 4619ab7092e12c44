/**
 * `npm run bench [-- --smoke] [--time-scale N] [--scale-time-scale N] [--only a,b] [--creates-only]`: speed, cost and scale figures
 * of the embedded control plane, printed and written to docs/benchmarks.md and
 * docs/benchmarks.json. Each figure degrades to "not available: <why>" rather than failing
 * the run. Sections: criticalPath, bundles, api, workflows, hosts, scale, year.
 *
 * Full run: ~25 minutes on 2 cores — packaging and cold loads ~3 min, the workflows ~20 min,
 * the scale run ~2 min, host scripts under each sandbox ~3 min, a year in the life ~6 min. The workflows run at time scale 10 by default (`--time-scale`):
 * simulated time is wall time × the scale, so the real milliseconds of handlers, dynalite and
 * the simulated hosts' bash count scale-fold; at 50 they added a third to a rolling update,
 * at 10 a few percent. The scale run keeps time scale 50 (`--scale-time-scale`): it counts
 * completions and throttling, not ratios.
 * `--smoke`: a short form for CI (~15 s: time scale 200, reuse an existing package and load
 * only its 3 largest bundles, 1 s of API load, single-zone creates only, a 3-node rolling
 * update, 3 concurrent creates; goals that need the full N are reported N/A).
 * `--out-dir D` writes D/benchmarks.{json,md} instead of docs/.
 */
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { apiMarkdown, measureApiLoad } from './api-load';
import { bundlesGoals, bundlesMarkdown, measureBundles } from './bundles';
import { CREATE_GRAPH, createCriticalPath, describePath, type Latencies } from './critical-path';
import { argValue } from './lib/args';
import { hostScriptsMarkdown, measureHostScripts } from './host-scripts';
import { quietStepLogs, startControlPlane } from './lib/control-plane';
import { chaosGoals, chaosMarkdown } from './chaos';
import { available, DEFAULT_OUT, measure, notAvailable, printGoals, readBenchmarks, renderMarkdown, table, writeBenchmarks, type Figure, type Goal, type Section } from './lib/report';
import { measureScale, scaleGoals, scaleMarkdown } from './scale';
import { measureWorkflows, workflowsGoals, workflowsMarkdown } from './workflows';
import { measureYear, yearGoals, yearMarkdown } from './year';
import type { YearReport } from './lib/year-in-the-life';

/** The year runs its hours of outage and repair on the simulated clock; days pass by jumps. */
const YEAR_TIME_SCALE = 200;

export const SCALE_CONCURRENCY = 20;

export interface BenchOptions {
  smoke: boolean;
  /** Workflows: only the four create variants (for a run at a low time scale). */
  createsOnly: boolean;
  /** Time scale of every section but `scale`. */
  timeScale: number;
  /** Time scale of the `scale` section (20 concurrent creates). */
  scaleTimeScale: number;
  only?: string[];
  /** Where to write (docs/ by default); tests write elsewhere. */
  out?: { json: string; md: string };
  /** Print the rendered markdown at the end. */
  print?: boolean;
}

/**
 * `--render`: rebuild docs/benchmarks.md (and each section's text and goals) from the figures
 * stored in docs/benchmarks.json, measuring nothing — after a change to the presentation.
 */
export function rerender(out = DEFAULT_OUT): void {
  const file = readBenchmarks(out.json);
  const s = file.sections;
  type Stored<T> = Figure<T>;
  if (s.bundles) Object.assign(s.bundles, { markdown: bundlesMarkdown(s.bundles.data as Stored<never>), goals: bundlesGoals(s.bundles.data as Stored<never>) });
  if (s.api) Object.assign(s.api, { markdown: apiMarkdown(s.api.data as Stored<never>) });
  if (s.workflows) Object.assign(s.workflows, { markdown: workflowsMarkdown(s.workflows.data as Stored<never>), goals: workflowsGoals(s.workflows.data as Stored<never>) });
  if (s.hosts) {
    const d = s.hosts.data as { timeScale: number; figures: Parameters<typeof hostScriptsMarkdown>[0]; baseline?: Parameters<typeof hostScriptsMarkdown>[2] };
    Object.assign(s.hosts, { markdown: hostScriptsMarkdown(d.figures, d.timeScale, d.baseline) });
  }
  if (s.scale) Object.assign(s.scale, { markdown: scaleMarkdown(s.scale.data as Stored<never>), goals: scaleGoals(s.scale.data as Stored<never>, SCALE_CONCURRENCY) });
  if (s.chaos) Object.assign(s.chaos, { markdown: chaosMarkdown(s.chaos.data as Stored<never>), goals: chaosGoals(s.chaos.data as Stored<never>, s.chaos.mode === 'smoke') });
  writeBenchmarks(s, out);
  console.log(renderMarkdown(readBenchmarks(out.json)));
}

export function parseArgs(argv: string[]): BenchOptions {
  const smoke = argv.includes('--smoke');
  const value = (name: string) => argValue(argv, name);
  const ts = value('--time-scale');
  const sts = value('--scale-time-scale');
  const only = value('--only');
  const outDir = value('--out-dir');
  return {
    smoke,
    createsOnly: argv.includes('--creates-only'),
    timeScale: ts ? Number(ts) : smoke ? 200 : 10,
    scaleTimeScale: sts ? Number(sts) : smoke ? 200 : 50,
    only: only ? only.split(',') : undefined,
    out: outDir ? { json: `${outDir}/benchmarks.json`, md: `${outDir}/benchmarks.md` } : undefined,
    print: !argv.includes('--quiet'),
  };
}

export async function runBench(options: BenchOptions): Promise<Record<string, Section>> {
  quietStepLogs();
  const mode = options.smoke ? 'smoke' : 'full';
  const at = new Date().toISOString();
  const want = (name: string) => !options.only || options.only.includes(name);
  const sections: Record<string, Section> = {};
  const section = (key: string, title: string, markdown: string, data: unknown, goals: Goal[] = []) => {
    sections[key] = { title, measuredAt: at, mode, markdown, data, goals };
  };
  console.log(`hopper bench (${mode}, time scale ${options.timeScale}; the scale run ${options.scaleTimeScale})`);

  section(
    'environment',
    'Environment',
    table(['node', 'cpus', 'platform', 'mode', 'time scale', 'time scale (scale run)'], [[process.version, `${cpus().length} × ${cpus()[0]?.model ?? '?'}`, `${process.platform}/${process.arch}`, mode, options.timeScale, options.scaleTimeScale]]),
    { node: process.version, cpus: cpus().length, mode, timeScale: options.timeScale, scaleTimeScale: options.scaleTimeScale },
  );

  if (want('criticalPath')) {
    const fig = await measure('critical path', async () => {
      const cp = await startControlPlane({ timeScale: options.timeScale });
      try {
        const latencies = await cp.sim<Latencies>('GET', '/_sim/latencies');
        return available({ latencies, variants: VARIANTS.map((v) => ({ ...v, ...createCriticalPath(v, latencies) })) });
      } finally {
        await cp.stop();
      }
    });
    section('criticalPath', 'Create: critical path of the latency model', criticalPathMarkdown(fig), fig);
  }

  if (want('bundles')) {
    const fig = await measure('bundles', () => measureBundles({ repackage: !options.smoke, limit: options.smoke ? 3 : undefined, loads: options.smoke ? 1 : 3 }));
    section('bundles', 'Lambda bundles', bundlesMarkdown(fig), fig, bundlesGoals(fig));
  }

  if (want('api')) {
    const fig = await measure('API load', async () => {
      const cp = await startControlPlane({ timeScale: options.timeScale });
      try {
        return await measureApiLoad(cp, { clusters: 100, durationSeconds: options.smoke ? 1 : 5, connections: 10 });
      } finally {
        await cp.stop();
      }
    });
    section('api', 'API', apiMarkdown(fig), fig);
  }

  if (want('workflows')) {
    const fig = await measure('workflows', () =>
      measureWorkflows({
        timeScale: options.timeScale,
        rollingNodes: options.smoke ? [3] : [3, 10, 30],
        // At a low time scale a create takes minutes of wall time: allow ~2,000 simulated s.
        deadlineMs: Math.max(options.smoke ? 30_000 : 180_000, 2_000_000 / options.timeScale),
        singleOnly: options.smoke,
        createsOnly: options.createsOnly,
        secondTimeScale: options.smoke || options.createsOnly ? undefined : options.timeScale * 2,
      }),
    );
    section('workflows', 'Workflows: create, delete, rolling update, upgrade', workflowsMarkdown(fig), fig, workflowsGoals(fig));
  }

  if (want('hosts')) {
    const fig = await measure('host scripts', async () => available(await measureHostScripts({ timeScale: options.timeScale, deadlineMs: Math.max(60_000, 2_000_000 / options.timeScale) })));
    const figures = fig.ok ? fig.value : [notAvailable<never>(fig.notAvailable)];
    section('hosts', 'Host scripts: real time per sandbox', hostScriptsMarkdown(figures, options.timeScale), { timeScale: options.timeScale, figures });
  }

  if (want('scale')) {
    const concurrency = options.smoke ? 3 : SCALE_CONCURRENCY;
    const fig = await measure('scale', () => measureScale({ concurrency, timeScale: options.scaleTimeScale, deadlineMs: options.smoke ? 30_000 : 300_000 }));
    section('scale', `Scale: ${concurrency} concurrent creates under throttling`, scaleMarkdown(fig), fig, scaleGoals(fig, SCALE_CONCURRENCY));
  }

  if (want('year')) {
    // Minutes of wall time: not in the smoke run (test/workflows/year-in-the-life.test.ts runs it in CI).
    const fig = options.smoke
      ? notAvailable<YearReport>('not in the smoke run: test/workflows/year-in-the-life.test.ts runs the same year')
      : await measure('a year in the life', () => measureYear({ timeScale: YEAR_TIME_SCALE }));
    section('year', 'A year in the life: 400 simulated days, nobody repairing', yearMarkdown(fig), fig, yearGoals(fig));
  }

  const file = writeBenchmarks(sections, options.out);
  if (options.print) console.log(`\n${renderMarkdown({ ...file, sections })}`);
  printGoals(Object.values(sections).flatMap((s) => s.goals));
  return sections;
}

const VARIANTS = [
  { ha: false, cachedImage: false },
  { ha: false, cachedImage: true },
  { ha: true, cachedImage: false },
  { ha: true, cachedImage: true },
];

function criticalPathMarkdown(fig: Figure<{ latencies: Latencies; variants: ({ ha: boolean; cachedImage: boolean } & ReturnType<typeof createCriticalPath>)[] }>): string {
  if (!fig.ok) return `not available: ${fig.notAvailable}`;
  const { variants, latencies } = fig.value;
  const lines = [
    "The longest path through the create workflow's dependency graph (`bench/critical-path.ts`), with the simulator's configured latencies (`GET /_sim/latencies`, typical values): what a create would take with no polling delay and no overhead.",
    '',
    table(
      ['variant', 'critical path (s)', 'path'],
      variants.map((v) => [`${v.ha ? 'HA' : 'single'}, ${v.cachedImage ? 'cached image' : 'image baked'}`, Math.round(v.seconds), describePath(v)]),
    ),
    '',
    'The graph (node: latency keys ← dependencies — why):',
    '',
    ...CREATE_GRAPH.map((n) => `- **${n.id}**: ${n.keys.map((k) => `${k} (${latencies[k]?.typical ?? 1})`).join(' + ') || '0'}${n.policySeconds ? ` + ${n.policySeconds} policy` : ''} ← ${n.after.join(', ') || 'start'} — ${n.why}`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv.includes('--render')) {
  rerender();
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runBench(parseArgs(process.argv.slice(2))).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
