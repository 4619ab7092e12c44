/**
 * Workflow figures: create (single / HA, with and without a cached image) against the
 * critical path of the latency model; delete, rolling update of N nodes and upgrade when
 * those workflows exist.
 */
import { SUPPORTED_KUBERNETES_VERSIONS } from '../shared/spec/versions';
import { costOf, createCriticalPath, describePath, ROLLING_BATCH_KEYS, ROLLING_PASS_INTERVAL_SECONDS, rollingUpdateIdeal, type Latencies } from './critical-path';
import { fixLatenciesToTypical, startControlPlane, type BenchControlPlane } from './lib/control-plane';
import { callsByService, runOperation, stateMachineNamed, type OperationRun } from './lib/operation-run';
import { available, fmt, notAvailable, table, type Figure, type Goal } from './lib/report';

export const CREATE_RATIO_GOAL = 1.05;
export const ROLLING_RATIO_GOAL = 1.15;
export const HA_TRANSITIONS_GOAL = 150;
/** Simulated seconds a create with a cached image must finish in (the private topology, which waits for its NAT gateway). */
export const CREATE_SECONDS_GOALS = { ha: 300, single: 250 } as const;

export interface CreateFigure {
  variant: string;
  ha: boolean;
  cachedImage: boolean;
  run: OperationRun;
  criticalPathSeconds: number;
  criticalPath: string;
  /** simSeconds / criticalPathSeconds (successful runs only). */
  ratio?: number;
}

export interface RollingFigure {
  nodes: number;
  batchSize: number;
  idealSeconds: number;
  run: OperationRun;
  ratio?: number;
}

export interface WorkflowsResult {
  timeScale: number;
  latencies: Latencies;
  creates: Figure<CreateFigure>[];
  delete: Figure<OperationRun>;
  rollingUpdates: Figure<RollingFigure>[];
  upgrade: Figure<UpgradeFigure>;
  extrapolated: Figure<Extrapolated[]>;
}

export interface UpgradeFigure {
  from: string;
  to: string;
  run: OperationRun;
}

export interface WorkflowOptions {
  timeScale: number;
  /** Node counts for the rolling update. */
  rollingNodes: number[];
  /** Wall-time deadline per operation. */
  deadlineMs: number;
  /** Only the single-zone create variants (smoke). */
  singleOnly?: boolean;
  /** Only the creates (all four variants): for a run at a low time scale. */
  createsOnly?: boolean;
  /**
   * Also run the single-zone creates at this second time scale and extrapolate to time
   * scale 0 (see `Extrapolated`).
   */
  secondTimeScale?: number;
}

/**
 * Simulated time = workflow time + wall-clock overhead × time scale (handlers, dynalite,
 * the runner: real milliseconds that the simulated clock multiplies). Two runs at time scales
 * s1 < s2 give sim1 = a + b·s1 and sim2 = a + b·s2, so the overhead-free workflow time is
 * a = (sim1·s2 − sim2·s1) / (s2 − s1) and the wall overhead b = (sim2 − sim1) / (s2 − s1).
 */
export interface Extrapolated {
  variant: string;
  timeScales: [number, number];
  simSeconds: [number, number];
  /** Workflow time at time scale → 0, simulated s. */
  workflowSeconds: number;
  /** Wall-clock overhead on the path, s. */
  overheadWallSeconds: number;
  criticalPathSeconds: number;
  ratio: number;
  /**
   * False when the two runs contradict the model (negative overhead, or a workflow time above
   * a measured one): the machine's load changed between them, so the estimate means nothing.
   */
  reliable: boolean;
}

const SINGLE = (name: string) => ({ name, region: 'us-east-1', zones: ['us-east-1a'] });
const HA = (name: string) => ({ name, region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], controlPlane: { count: 3 } });

async function create(cp: BenchControlPlane, name: string, body: Record<string, unknown>, deadlineMs: number): Promise<OperationRun> {
  return runOperation(cp, `create ${name}`, name, () => cp.request('POST', '/v1/clusters', body), { deadlineMs, stallMs: deadlineMs });
}

function createFigure(run: OperationRun, ha: boolean, cachedImage: boolean, latencies: Latencies): Figure<CreateFigure> {
  const cpath = createCriticalPath({ ha, cachedImage }, latencies);
  const variant = `${ha ? 'HA (3 control planes, 3 zones, LB)' : 'single (1 control plane, 1 zone)'}, ${cachedImage ? 'cached image' : 'image baked'}`;
  const figure: CreateFigure = {
    variant,
    ha,
    cachedImage,
    run,
    criticalPathSeconds: cpath.seconds,
    criticalPath: describePath(cpath),
    ratio: run.outcome === 'Succeeded' ? run.simSeconds / cpath.seconds : undefined,
  };
  return available(figure);
}

export async function measureWorkflows(options: WorkflowOptions): Promise<Figure<WorkflowsResult>> {
  const deadline = options.deadlineMs;
  // Control plane A: single baked → single cached → HA cached → delete, rolling updates, upgrade.
  const cp = await startControlPlane({ timeScale: options.timeScale });
  const result: WorkflowsResult = {
    timeScale: options.timeScale,
    latencies: {},
    creates: [],
    delete: notAvailable('not run'),
    rollingUpdates: [],
    upgrade: notAvailable('not run'),
    extrapolated: notAvailable('not run (smoke, or no second time scale)'),
  };
  try {
    result.latencies = await fixLatenciesToTypical(cp);
    const single = await create(cp, 'bench-single', SINGLE('bench-single'), deadline);
    result.creates.push(createFigure(single, false, false, result.latencies));
    const imageCached = single.outcome === 'Succeeded';
    const singleCached = await create(cp, 'bench-single-2', SINGLE('bench-single-2'), deadline);
    result.creates.push(imageCached ? createFigure(singleCached, false, true, result.latencies) : notAvailable(`needs the image the first create bakes (it ${single.outcome.toLowerCase()})`));
    if (!options.singleOnly) {
      const haCached = await create(cp, 'bench-ha', HA('bench-ha'), deadline);
      result.creates.push(imageCached ? createFigure(haCached, true, true, result.latencies) : notAvailable(`needs the image the first create bakes (it ${single.outcome.toLowerCase()})`));
    }
    if (!options.createsOnly) {
      result.delete = await measureDelete(cp, singleCached.outcome === 'Succeeded' ? 'bench-single-2' : undefined, deadline);
      result.rollingUpdates = imageCached
        ? await measureRolling(cp, options.rollingNodes, result.latencies, deadline)
        : options.rollingNodes.map(() => notAvailable(`needs a cluster to roll, and the first create ${single.outcome.toLowerCase()}`));
      result.upgrade = imageCached ? await measureUpgrade(cp, deadline) : notAvailable(`needs a working create, and the first create ${single.outcome.toLowerCase()}`);
    }
  } finally {
    await cp.stop();
  }
  if (!options.singleOnly) {
    // Control plane B: a fresh simulator, so the HA create bakes its image.
    const cp2 = await startControlPlane({ timeScale: options.timeScale });
    try {
      const latencies = await fixLatenciesToTypical(cp2);
      const ha = await create(cp2, 'bench-ha-bake', HA('bench-ha-bake'), deadline);
      result.creates.splice(2, 0, createFigure(ha, true, false, latencies));
    } finally {
      await cp2.stop();
    }
  }
  if (options.secondTimeScale) result.extrapolated = await extrapolate(result, options.secondTimeScale, deadline);
  return available(result);
}

/** The single-zone creates again at a second time scale, on a fresh control plane. */
async function extrapolate(result: WorkflowsResult, timeScale: number, deadlineMs: number): Promise<Figure<Extrapolated[]>> {
  const first = result.creates.slice(0, 2).flatMap((c) => (c.ok && c.value.run.outcome === 'Succeeded' && !c.value.ha ? [c.value] : []));
  if (first.length === 0) return notAvailable('no single-zone create succeeded at the main time scale');
  const cp = await startControlPlane({ timeScale });
  try {
    const latencies = await fixLatenciesToTypical(cp);
    const out: Extrapolated[] = [];
    for (const [i, name] of ['bench-x-single', 'bench-x-single-2'].entries()) {
      const base = first.find((f) => f.cachedImage === (i === 1));
      const run = await create(cp, name, SINGLE(name), deadlineMs);
      if (!base || run.outcome !== 'Succeeded') continue;
      const [s1, s2] = [result.timeScale, timeScale];
      const [t1, t2] = [base.run.simSeconds, run.simSeconds];
      const workflowSeconds = (t1 * s2 - t2 * s1) / (s2 - s1);
      const criticalPathSeconds = createCriticalPath({ ha: false, cachedImage: base.cachedImage }, latencies).seconds;
      const overheadWallSeconds = (t2 - t1) / (s2 - s1);
      const x = { variant: base.variant, timeScales: [s1, s2] as [number, number], simSeconds: [t1, t2] as [number, number], workflowSeconds, overheadWallSeconds, criticalPathSeconds, ratio: workflowSeconds / criticalPathSeconds, reliable: true };
      out.push({ ...x, reliable: isReliable(x) });
    }
    return out.length ? available(out) : notAvailable('the creates at the second time scale did not succeed');
  } finally {
    await cp.stop();
  }
}

async function measureDelete(cp: BenchControlPlane, cluster: string | undefined, deadlineMs: number): Promise<Figure<OperationRun>> {
  if (!stateMachineNamed(cp, 'delete-cluster')) return notAvailable('no delete-cluster state machine is wired in serverless.yml yet (statemachines/delete-cluster.asl.json)');
  if (!cluster) return notAvailable('no cluster was created to delete');
  const run = await runOperation(cp, `delete ${cluster}`, cluster, () => cp.request('DELETE', `/v1/clusters/${cluster}`), { deadlineMs, stallMs: deadlineMs });
  if (run.outcome === 'Rejected') return notAvailable(`DELETE /v1/clusters/{name} answered ${run.error}`);
  return available(run);
}

async function measureRolling(cp: BenchControlPlane, sizes: number[], latencies: Latencies, deadlineMs: number): Promise<Figure<RollingFigure>[]> {
  if (!stateMachineNamed(cp, 'rolling-update')) return sizes.map(() => notAvailable('no rolling-update state machine is wired in serverless.yml yet (statemachines/rolling-update.asl.json)'));
  const out: Figure<RollingFigure>[] = [];
  const batchSize = 1;
  for (const n of sizes) {
    const name = `bench-roll-${n}`;
    const created = await create(cp, name, { ...SINGLE(name), instanceGroups: [{ name: 'nodes', min: n, max: n }] }, deadlineMs * 2);
    if (created.outcome !== 'Succeeded') {
      out.push(notAvailable(`the ${n}-node cluster to roll was not created: ${created.outcome} ${created.error ?? ''}`.slice(0, 300)));
      continue;
    }
    // Make the nodes out of date as kops users do: edit the group, apply (update), then roll.
    // (`force` is not used: the simulator's clock runs ahead of the wall clock, so with `force`
    // the plan sees the instances as launched after the operation began, i.e. up to date.)
    const edited = await cp.request('PUT', `/v1/clusters/${name}/instance-groups/nodes`, { machineType: 't3.large' });
    if (edited.status !== 200) {
      out.push(notAvailable(`PUT instance-groups/nodes answered ${edited.status}: ${JSON.stringify(edited.body).slice(0, 200)}`));
      continue;
    }
    const applied = await runOperation(cp, `update ${name}`, name, () => cp.request('POST', `/v1/clusters/${name}/update`), { deadlineMs, stallMs: deadlineMs });
    if (applied.outcome !== 'Succeeded') {
      out.push(notAvailable(`update (applying the new machine type) ${failure(applied)}`));
      continue;
    }
    const ideal = rollingUpdateIdeal(n, batchSize, latencies);
    const run = await runOperation(
      cp,
      `rolling-update ${name}`,
      name,
      () => cp.request('POST', `/v1/clusters/${name}/rolling-update`, { instanceGroups: ['nodes'], maxSurge: batchSize, maxUnavailable: 0 }),
      { deadlineMs: deadlineMs * 4, stallMs: deadlineMs },
    );
    if (run.outcome === 'Rejected') {
      out.push(notAvailable(`POST /v1/clusters/{name}/rolling-update answered ${run.error}`));
      continue;
    }
    const replaced = plannedReplacements(run);
    if (replaced !== undefined && replaced !== n) {
      out.push(notAvailable(`the rolling update planned ${replaced} replacements, not ${n} (${run.outcome}, ${fmt(run.simSeconds, 0)} sim s)`));
      continue;
    }
    out.push(available({ nodes: n, batchSize, idealSeconds: ideal.seconds, run, ratio: run.outcome === 'Succeeded' ? run.simSeconds / ideal.seconds : undefined }));
  }
  return out;
}

/** Upgrade one minor version: a cluster created at the version before the default, upgraded to the default. */
async function measureUpgrade(cp: BenchControlPlane, deadlineMs: number): Promise<Figure<UpgradeFigure>> {
  if (!stateMachineNamed(cp, 'upgrade')) return notAvailable('no upgrade-cluster state machine is wired in serverless.yml yet (statemachines/upgrade-cluster.asl.json)');
  const versions = SUPPORTED_KUBERNETES_VERSIONS;
  const from = versions[versions.length - 2];
  const to = versions[versions.length - 1];
  const name = 'bench-upgrade';
  const created = await create(cp, name, { ...SINGLE(name), kubernetesVersion: from }, deadlineMs);
  if (created.outcome !== 'Succeeded') return notAvailable(`the ${from} cluster to upgrade was not created: ${failure(created)}`);
  const run = await runOperation(cp, `upgrade ${name}`, name, () => cp.request('POST', `/v1/clusters/${name}/upgrade`, { kubernetesVersion: to }), { deadlineMs: deadlineMs * 3, stallMs: deadlineMs });
  if (run.outcome === 'Rejected') return notAvailable(`POST /v1/clusters/{name}/upgrade answered ${run.error}`);
  return available({ from, to, run });
}

/** Instances the rolling update's Plan step says it replaces. */
function plannedReplacements(run: OperationRun): number | undefined {
  const plan = run.steps?.find((st) => st.name === 'Plan')?.detail as { controlPlane?: { replace?: unknown[] }; instanceGroups?: { replace?: unknown[] }[] } | undefined;
  if (!plan) return undefined;
  return (plan.controlPlane?.replace?.length ?? 0) + (plan.instanceGroups ?? []).reduce((k, g) => k + (g.replace?.length ?? 0), 0);
}

function failure(run: OperationRun): string {
  return `${run.outcome.toLowerCase()}${run.failedStep ? ` at ${run.failedStep}` : ''}: ${run.error ?? ''}`.slice(0, 300);
}

function runCells(run: OperationRun): (string | number)[] {
  const services = callsByService(run.callsByAction);
  return [
    run.outcome,
    fmt(run.simSeconds, 0),
    run.transitions === undefined ? '–' : `${run.transitions}${run.childTransitions ? ` (+${run.childTransitions} bake)` : ''}`,
    run.lambdaInvocations,
    `${run.awsCalls} (${Object.entries(services).map(([s, n]) => `${s} ${n}`).join(', ')})`,
  ];
}

/** An extrapolation consistent with its model (see `Extrapolated.reliable`), recomputed from its numbers. */
function isReliable(x: Extrapolated): boolean {
  return x.overheadWallSeconds >= 0 && x.workflowSeconds > 0 && x.workflowSeconds <= Math.min(...x.simSeconds);
}

function stepsLine(run: OperationRun): string {
  return Object.entries(run.stepSimSeconds).map(([name, secs]) => `${name} ${secs}`).join(', ') || '–';
}

function topActions(run: OperationRun, n = 12): string {
  return Object.entries(run.callsByAction)
    .sort((a, b) => b[1].calls - a[1].calls)
    .slice(0, n)
    .map(([k, c]) => `${k} ${c.calls}${Object.keys(c.errors).length ? ` [${Object.entries(c.errors).map(([e, m]) => `${e} ${m}`).join(', ')}]` : ''}`)
    .join(', ');
}

export function workflowsMarkdown(fig: Figure<WorkflowsResult>): string {
  if (!fig.ok) return `not available: ${fig.notAvailable}`;
  const w = fig.value;
  const lines: string[] = [
    `Time scale ${w.timeScale}; the simulator's latencies fixed at their typical values (\`POST /_sim/latencies\` with min = max = typical). Simulated time = the execution's wall time × ${w.timeScale}, so any wall-clock overhead (Lambda handlers, dynalite, polling) counts ${w.timeScale}×.`,
    '',
    '### Create',
    '',
  ];
  const rows = w.creates.map((c, i) => {
    if (c.ok) {
      const v = c.value;
      return [v.variant, ...runCells(v.run), fmt(v.criticalPathSeconds, 0), v.ratio === undefined ? `not available: ${failure(v.run)}` : fmt(v.ratio, 2)];
    }
    return [`variant ${i + 1}`, `not available: ${c.notAvailable}`, '', '', '', '', '', ''];
  });
  lines.push(table(['variant', 'outcome', 'sim s', 'state transitions', 'Lambda invocations', 'AWS calls', 'critical path s', 'ratio'], rows), '');
  lines.push('Critical paths (latency model, typical values; see `bench/critical-path.ts`):', '');
  for (const c of w.creates) {
    const v = c.ok ? c.value : undefined;
    if (v) lines.push(`- ${v.variant}: ${v.criticalPath}`);
  }
  if (w.extrapolated.ok) {
    lines.push(
      '',
      'Overhead-free estimate: the same creates at two time scales, extrapolated to time scale 0 (simulated time = workflow time + wall overhead × time scale):',
      '',
      table(
        ['variant', 'time scales', 'sim s', 'workflow s (scale → 0)', 'wall overhead s', 'critical path s', 'ratio', 'usable'],
        w.extrapolated.value.map((x) => [
          x.variant,
          x.timeScales.join(' / '),
          x.simSeconds.map((v) => fmt(v, 0)).join(' / '),
          fmt(x.workflowSeconds, 0),
          fmt(x.overheadWallSeconds, 2),
          fmt(x.criticalPathSeconds, 0),
          fmt(x.ratio, 2),
          !isReliable(x) ? 'no: the runs contradict the model (machine load changed between them)' : 'yes',
        ]),
      ),
    );
  } else lines.push('', `Overhead-free estimate: not available: ${w.extrapolated.notAvailable}`);
  lines.push('', 'Operation steps (simulated s, from the steps\' recorded start and end):', '');
  for (const c of w.creates) {
    const v = c.ok ? c.value : undefined;
    if (v) lines.push(`- ${v.variant}: ${stepsLine(v.run)}`);
  }
  for (const r of w.rollingUpdates) if (r.ok) lines.push(`- rolling update, ${r.value.nodes} nodes: ${stepsLine(r.value.run)}`);
  if (w.delete.ok) lines.push(`- delete: ${stepsLine(w.delete.value)}`);
  if (w.upgrade.ok) lines.push(`- upgrade: ${stepsLine(w.upgrade.value.run)}`);
  lines.push('', 'AWS calls per action:', '');
  for (const c of w.creates) {
    const v = c.ok ? c.value : undefined;
    if (v) lines.push(`- ${v.variant}: ${topActions(v.run, 40)}`);
  }
  lines.push('', '### Delete, rolling update, upgrade', '');
  const other: (string | number)[][] = [];
  other.push(w.delete.ok ? ['delete', ...runCells(w.delete.value), '–', '–'] : ['delete', `not available: ${w.delete.notAvailable}`, '', '', '', '', '', '']);
  for (const r of w.rollingUpdates) {
    if (r.ok) other.push([`rolling update, ${r.value.nodes} nodes (batch ${r.value.batchSize})`, ...runCells(r.value.run), fmt(r.value.idealSeconds, 0), r.value.ratio === undefined ? '–' : fmt(r.value.ratio, 2)]);
    else other.push(['rolling update', `not available: ${r.notAvailable}`, '', '', '', '', '', '']);
  }
  other.push(w.upgrade.ok ? [`upgrade ${w.upgrade.value.from} → ${w.upgrade.value.to}`, ...runCells(w.upgrade.value.run), '–', '–'] : ['upgrade', `not available: ${w.upgrade.notAvailable}`, '', '', '', '', '', '']);
  lines.push(table(['operation', 'outcome', 'sim s', 'state transitions', 'Lambda invocations', 'AWS calls', 'ideal s', 'ratio'], other));
  const perBatch = costOf(ROLLING_BATCH_KEYS, w.latencies) + ROLLING_PASS_INTERVAL_SECONDS;
  lines.push(
    '',
    `Ideal of a rolling update's batch plan (\`bench/critical-path.ts\`): batches one after another, each ${ROLLING_BATCH_KEYS.map((k) => `${k} (${w.latencies[k]?.typical ?? 1})`).join(' + ')} + ${ROLLING_PASS_INTERVAL_SECONDS} between the two passes after the drain = ${fmt(perBatch, 0)} s: the replacements come up and pass validation, the old nodes drain, two passes in a row.`,
  );
  return lines.join('\n');
}

export function workflowsGoals(fig: Figure<WorkflowsResult>): Goal[] {
  const createGoal = `create ≤ ${CREATE_RATIO_GOAL.toFixed(2)} × critical path`;
  const rollGoal = `rolling update ≤ ${ROLLING_RATIO_GOAL.toFixed(2)} × the ideal of its batch plan`;
  const transGoal = `≤ ${HA_TRANSITIONS_GOAL} state transitions for an HA create`;
  if (!fig.ok) return [createGoal, rollGoal, transGoal].map((goal) => ({ goal, status: 'N/A' as const, detail: `not available: ${fig.notAvailable}` }));
  const w = fig.value;
  const goals: Goal[] = [];
  const measured = w.creates.flatMap((c) => (c.ok ? [c.value] : []));
  const creates = measured.filter((c) => c.ratio !== undefined);
  const failed = [...w.creates.flatMap((c) => (c.ok ? [] : [c.notAvailable])), ...measured.filter((c) => c.ratio === undefined).map((c) => `${c.variant}: ${failure(c.run)}`)];
  if (creates.length === 0) goals.push({ goal: createGoal, status: 'N/A', detail: `no create succeeded: ${failed.join('; ').slice(0, 400)}` });
  else {
    const worst = creates.reduce((a, b) => ((b.ratio ?? 0) > (a.ratio ?? 0) ? b : a));
    const pass = creates.every((c) => (c.ratio ?? Infinity) <= CREATE_RATIO_GOAL) && failed.length === 0;
    goals.push({
      goal: createGoal,
      status: pass ? 'PASS' : 'FAIL',
      detail: `at time scale ${w.timeScale}: ${creates.map((c) => `${c.variant}: ${fmt(c.ratio ?? NaN, 2)}`).join('; ')}${failed.length ? `; ${failed.length} variant(s) not measured` : ''} (worst ${fmt(worst.ratio ?? NaN, 2)})${
        w.extrapolated.ok && w.extrapolated.value.some(isReliable)
          ? `; overhead-free estimate (time scale → 0): ${w.extrapolated.value.filter(isReliable).map((x) => `${x.variant} ${fmt(x.ratio, 2)}`).join('; ')}`
          : ''
      }`,
    });
  }
  const rolls = w.rollingUpdates.filter((r) => r.ok).map((r) => (r as { value: RollingFigure }).value);
  if (rolls.length === 0) goals.push({ goal: rollGoal, status: 'N/A', detail: w.rollingUpdates.map((r) => (r.ok ? '' : `not available: ${r.notAvailable}`))[0] ?? 'not run' });
  else {
    const pass = rolls.every((r) => r.ratio !== undefined && r.ratio <= ROLLING_RATIO_GOAL) && rolls.length === w.rollingUpdates.length;
    goals.push({ goal: rollGoal, status: pass ? 'PASS' : 'FAIL', detail: `at time scale ${w.timeScale}: ` + rolls.map((r) => `${r.nodes} nodes: ${r.run.outcome} ${r.ratio === undefined ? '' : fmt(r.ratio, 2)}`).join('; ') });
  }
  for (const haVariant of [true, false]) {
    const limit = haVariant ? CREATE_SECONDS_GOALS.ha : CREATE_SECONDS_GOALS.single;
    const goal = `${haVariant ? 'HA (3 control planes, 3 zones)' : 'single control plane, private'} create with a cached image ≤ ${limit} s simulated`;
    const run = measured.find((c) => c.ha === haVariant && c.cachedImage && c.run.outcome === 'Succeeded');
    if (!run) goals.push({ goal, status: 'N/A', detail: 'that create did not succeed' });
    else goals.push({ goal, status: run.run.simSeconds <= limit ? 'PASS' : 'FAIL', detail: `${fmt(run.run.simSeconds, 0)} s at time scale ${w.timeScale} (critical path ${fmt(run.criticalPathSeconds, 0)} s: ${run.criticalPath})` });
  }
  const ha = w.creates.flatMap((c) => (c.ok ? [c.value] : [])).filter((c) => c.ha && c.run.outcome === 'Succeeded');
  if (ha.length === 0) goals.push({ goal: transGoal, status: 'N/A', detail: 'no HA create succeeded' });
  else {
    const max = Math.max(...ha.map((c) => c.run.transitions ?? Infinity));
    goals.push({ goal: transGoal, status: max <= HA_TRANSITIONS_GOAL ? 'PASS' : 'FAIL', detail: ha.map((c) => `${c.variant}: ${c.run.transitions}${c.run.childTransitions ? ` (+${c.run.childTransitions} in the bake)` : ''}`).join('; ') });
  }
  return goals;
}
