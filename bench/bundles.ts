/**
 * Lambda bundles: each packaged function's zip size (`npm run package` → `.serverless/*.zip`),
 * its unzipped `.mjs` size, and its module's cold load time (the bundled `.mjs` imported in a
 * fresh node process).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { available, fmt, kb, notAvailable, table, type Figure, type Goal } from './lib/report';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE_DIR = join(ROOT, '.serverless');
/** The goals (issue: light Lambdas): median and largest zip, median cold load. */
export const MEDIAN_ZIP_GOAL_BYTES = 150 * 1024;
export const LARGEST_ZIP_GOAL_BYTES = 300 * 1024;
export const MEDIAN_COLD_LOAD_GOAL_MS = 80;

/**
 * The package before functions declared their clients (every function carried all six SDK
 * clients, CommonJS builds, all of zod): recorded once from the run of 2026-11-23, for
 * comparison.
 */
export const BEFORE_LIGHT_BUNDLES = { label: 'before (2026-11-23: every client in every function)', functions: 93, medianZipBytes: 687_674, largestZipBytes: 747_441, medianMjsBytes: 2_526_927, medianColdLoadMs: 287.1 };

function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export function bundleSummary(functions: BundleFigure[]) {
  return {
    functions: functions.length,
    medianZipBytes: median(functions.map((f) => f.zipBytes))!,
    largestZipBytes: Math.max(...functions.map((f) => f.zipBytes)),
    medianMjsBytes: median(functions.map((f) => f.mjsBytes))!,
    medianColdLoadMs: median(functions.flatMap((f) => (f.coldLoadMs === undefined ? [] : [f.coldLoadMs]))),
  };
}

export interface BundleFigure {
  function: string;
  zipBytes: number;
  mjsBytes: number;
  /** Median of the cold loads, ms (undefined when the load failed). */
  coldLoadMs?: number;
  loadError?: string;
}

export interface BundlesResult {
  packagedAt: string;
  packagedNow: boolean;
  functions: BundleFigure[];
  /** The packaged CloudFormation template: its resources and size (limits: 500, 1 MB), the largest of its stacks. */
  template?: { resources: number; bytes: number };
  /** Each stack of the package (the root and its nested ones), by file. */
  stacks?: { file: string; resources: number; bytes: number }[];
  /**
   * The machine's 1-minute load average when the cold loads began, and its cores: a busy
   * machine (tests running beside the bench) inflates every load time.
   */
  loadAverage?: number;
  cores?: number;
}

/** CloudFormation's limits, and the headroom the stack keeps under them (room to grow). */
export const TEMPLATE_RESOURCE_LIMIT = 500;
export const TEMPLATE_BYTES_LIMIT = 1024 * 1024;
export const TEMPLATE_HEADROOM = 0.4;

/** The nested stacks' templates the package writes beside the root one (serverless/nest-function-roles.cjs). */
const NESTED_TEMPLATES = ['function-roles-stack.json'];

/** Every stack of the package; CloudFormation's limits hold for each on its own. */
function stackFigures(): BundlesResult['stacks'] {
  const root = 'cloudformation-template-update-stack.json';
  if (!existsSync(join(PACKAGE_DIR, root))) return undefined;
  return [root, ...NESTED_TEMPLATES]
    .filter((file) => existsSync(join(PACKAGE_DIR, file)))
    .map((file) => {
      const text = readFileSync(join(PACKAGE_DIR, file), 'utf8');
      return { file, resources: Object.keys((JSON.parse(text) as { Resources: object }).Resources).length, bytes: Buffer.byteLength(text) };
    });
}

/** The figure the goal judges: the most resources and the most bytes any one stack has. */
function templateFigure(stacks: BundlesResult['stacks']): BundlesResult['template'] {
  if (!stacks?.length) return undefined;
  return { resources: Math.max(...stacks.map((t) => t.resources)), bytes: Math.max(...stacks.map((t) => t.bytes)) };
}

/**
 * `repackage`: run `npm run package` first (it wipes `.serverless` and `.esbuild`, which
 * other engineers' runs may be using: the smoke run reuses an existing package instead).
 * `limit`: measure only the N largest bundles (smoke).
 */
export async function measureBundles(options: { repackage: boolean; limit?: number; loads?: number }): Promise<Figure<BundlesResult>> {
  let packagedNow = false;
  if (options.repackage || !hasZips()) {
    if (!options.repackage && !hasZips()) {
      // In smoke mode a missing package is reported, not built (a package takes ~40 s).
      if (options.limit !== undefined) return notAvailable('no .serverless/*.zip (run `npm run package`, or `npm run bench` which packages)');
    }
    try {
      await run('npm', ['run', 'package'], { cwd: ROOT, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' }, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 });
      packagedNow = true;
    } catch (error) {
      return notAvailable(`npm run package failed: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (!hasZips()) return notAvailable('npm run package produced no .serverless/*.zip');
  const zips = readdirSync(PACKAGE_DIR).filter((f) => f.endsWith('.zip'));
  const packagedAt = new Date(Math.max(...zips.map((z) => statSync(join(PACKAGE_DIR, z)).mtimeMs))).toISOString();
  const work = mkdtempSync(join(tmpdir(), 'hopper-bundles-'));
  try {
    const figures: BundleFigure[] = [];
    for (const zip of zips) {
      const name = zip.replace(/\.zip$/, '');
      const dir = join(work, name);
      mkdirSync(dir);
      const zipBytes = statSync(join(PACKAGE_DIR, zip)).size;
      await run('unzip', ['-q', '-o', join(PACKAGE_DIR, zip), '-d', dir]);
      const mjs = findFiles(dir).filter((f) => f.endsWith('.mjs'));
      const mjsBytes = mjs.reduce((n, f) => n + statSync(f).size, 0);
      figures.push({ function: name, zipBytes, mjsBytes, ...(mjs.length === 1 ? {} : { loadError: `${mjs.length} .mjs files` }) });
    }
    figures.sort((a, b) => b.zipBytes - a.zipBytes);
    const toLoad = options.limit === undefined ? figures : figures.slice(0, options.limit);
    const loadAverage = Math.round(loadavg()[0] * 100) / 100;
    for (const f of toLoad) {
      if (f.loadError) continue;
      const file = findFiles(join(work, f.function)).find((p) => p.endsWith('.mjs'));
      if (!file) continue;
      try {
        f.coldLoadMs = await coldLoad(file, options.loads ?? 5);
      } catch (error) {
        f.loadError = (error as Error).message.split('\n')[0].slice(0, 200);
      }
    }
    const stacks = stackFigures();
    return available({ packagedAt, packagedNow, functions: options.limit === undefined ? figures : toLoad, template: templateFigure(stacks), stacks, loadAverage, cores: cpus().length });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Median import time of a module in fresh node processes, ms. */
async function coldLoad(file: string, times: number): Promise<number> {
  const script = `const t0 = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(JSON.stringify({ ms: performance.now() - t0 }));`;
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    // The Lambda environment's usual variables, so module-level setup behaves as deployed.
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dirname(file),
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', HOPPER_TABLE: 'hopper-dev', NODE_ENV: 'production' },
      timeout: 30_000,
    });
    const line = stdout.trim().split('\n').pop() ?? '';
    samples.push((JSON.parse(line) as { ms: number }).ms);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function hasZips(): boolean {
  return existsSync(PACKAGE_DIR) && readdirSync(PACKAGE_DIR).some((f) => f.endsWith('.zip'));
}

function findFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findFiles(p));
    else out.push(p);
  }
  return out;
}

export function bundlesMarkdown(fig: Figure<BundlesResult>): string {
  if (!fig.ok) return `not available: ${fig.notAvailable}`;
  const { functions, packagedAt, packagedNow, loadAverage, cores } = fig.value;
  const total = functions.reduce((n, f) => n + f.zipBytes, 0);
  const now = bundleSummary(functions);
  const row = (label: string, x: typeof BEFORE_LIGHT_BUNDLES | (ReturnType<typeof bundleSummary> & { label: string })) => [
    label,
    x.functions,
    kb(x.medianZipBytes),
    kb(x.largestZipBytes),
    kb(x.medianMjsBytes),
    x.medianColdLoadMs === undefined ? '–' : fmt(x.medianColdLoadMs),
  ];
  return [
    `Package from ${packagedAt}${packagedNow ? ' (packaged by this run)' : ' (existing package reused)'}; ${functions.length} functions, ${kb(total)} zipped in all. Cold load: median of 5 fresh \`node\` processes importing the bundled module${loadAverage === undefined ? '' : `, begun at a 1-minute load average of ${loadAverage} on ${cores} cores (a busy machine inflates them; the run of 2026-12-03, 87.5 ms, took 3 loads each and did not record the load)`}.`,
    '',
    table(['package', 'functions', 'median zip', 'largest zip', 'median .mjs', 'median cold load (ms)'], [row(BEFORE_LIGHT_BUNDLES.label, BEFORE_LIGHT_BUNDLES), row('this run', { ...now, label: 'this run' })]),
    '',
    fig.value.stacks?.length
      ? `The packaged CloudFormation templates (limits per stack: ${TEMPLATE_RESOURCE_LIMIT} resources, ${kb(TEMPLATE_BYTES_LIMIT)}): ${fig.value.stacks.map((t) => `${t.file}: ${t.resources} resources, ${kb(t.bytes)}`).join('; ')}.`
      : fig.value.template
        ? `The packaged CloudFormation template: ${fig.value.template.resources} resources (limit ${TEMPLATE_RESOURCE_LIMIT}), ${kb(fig.value.template.bytes)} (limit ${kb(TEMPLATE_BYTES_LIMIT)}).`
        : 'The packaged CloudFormation template was not found.',
    '',
    table(
      ['function', 'zip', 'unzipped .mjs', 'cold load (ms)'],
      functions.map((f) => [f.function, kb(f.zipBytes), kb(f.mjsBytes), f.coldLoadMs !== undefined ? fmt(f.coldLoadMs) : f.loadError ? `failed: ${f.loadError}` : '–']),
    ),
  ].join('\n');
}

export function bundlesGoals(fig: Figure<BundlesResult>): Goal[] {
  const room = `${TEMPLATE_HEADROOM * 100}% headroom under CloudFormation's limits (≤ ${TEMPLATE_RESOURCE_LIMIT * (1 - TEMPLATE_HEADROOM)} resources, ≤ ${(TEMPLATE_BYTES_LIMIT * (1 - TEMPLATE_HEADROOM)) / 1024} KB)`;
  const goals = [
    `median function bundle ≤ ${MEDIAN_ZIP_GOAL_BYTES / 1024} KB (zip)`,
    `largest function bundle ≤ ${LARGEST_ZIP_GOAL_BYTES / 1024} KB (zip)`,
    `median cold load ≤ ${MEDIAN_COLD_LOAD_GOAL_MS} ms`,
  ];
  if (!fig.ok) return [...goals, room].map((goal) => ({ goal, status: 'N/A', detail: `not available: ${fig.notAvailable}` }));
  const t = fig.value.template;
  const headroom: Goal = t
    ? {
        goal: room,
        status: t.resources <= TEMPLATE_RESOURCE_LIMIT * (1 - TEMPLATE_HEADROOM) && t.bytes <= TEMPLATE_BYTES_LIMIT * (1 - TEMPLATE_HEADROOM) ? 'PASS' : 'FAIL',
        detail: fig.value.stacks && fig.value.stacks.length > 1 ? `per stack at most ${t.resources} resources, ${kb(t.bytes)} (${fig.value.stacks.map((x) => `${x.file.replace(/\.json$/, '')}: ${x.resources}, ${kb(x.bytes)}`).join('; ')})` : `${t.resources} resources, ${kb(t.bytes)}`,
      }
    : { goal: room, status: 'N/A', detail: 'no packaged template' };
  const functions = fig.value.functions;
  const largest = functions.reduce((a, b) => (b.zipBytes > a.zipBytes ? b : a));
  const s = bundleSummary(functions);
  // A smoke run measures only the largest few: its median says nothing of the package.
  const partial = functions.length < BEFORE_LIGHT_BUNDLES.functions / 2;
  return [
    partial
      ? { goal: goals[0], status: 'N/A', detail: `only ${functions.length} functions measured (smoke run)` }
      : { goal: goals[0], status: s.medianZipBytes <= MEDIAN_ZIP_GOAL_BYTES ? 'PASS' : 'FAIL', detail: `${kb(s.medianZipBytes)} (before: ${kb(BEFORE_LIGHT_BUNDLES.medianZipBytes)})` },
    {
      goal: goals[1],
      status: largest.zipBytes <= LARGEST_ZIP_GOAL_BYTES ? 'PASS' : 'FAIL',
      detail: `${largest.function}: ${kb(largest.zipBytes)} (before: ${kb(BEFORE_LIGHT_BUNDLES.largestZipBytes)})`,
    },
    s.medianColdLoadMs === undefined || partial
      ? { goal: goals[2], status: 'N/A', detail: partial ? `only ${functions.length} functions measured (smoke run)` : 'no bundle loaded' }
      : { goal: goals[2], status: s.medianColdLoadMs <= MEDIAN_COLD_LOAD_GOAL_MS ? 'PASS' : 'FAIL', detail: `${fmt(s.medianColdLoadMs)} ms (before: ${fmt(BEFORE_LIGHT_BUNDLES.medianColdLoadMs)} ms)` },
    headroom,
  ];
}
