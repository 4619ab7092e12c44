/**
 * `npm run chaos [-- --smoke] [--cycles N] [--race-cycles N] [--seed S] [--time-scale N]`: create → rolling
 * update → delete cycles with random faults from the simulator (`POST /_sim/faults` and the
 * disruption routes): throttling and 5xx answers, a step failing after its side effect, an
 * instance crash, a zone out of capacity, a kubeadm failure, a node scheduled for retirement, a
 * node failing its status checks, a zone impaired for two simulated minutes. Counted: completed, failed (with the reason),
 * hung (no progress before a deadline), duplicate resources (two of a kind where one is
 * expected, by tags) and resources left after delete (anything tagged for the cluster).
 * Then race cycles (`--race-cycles`): a delete asked for the moment a create fails — while
 * one of its branches is still creating, or as it ends after a failed kubeadm init — asked
 * again on every 409 until accepted; counted the same way. Printed and written to docs/benchmarks.md / docs/benchmarks.json (section `chaos`).
 */
import { pathToFileURL } from 'node:url';
import { argValue } from './lib/args';
import { fixLatenciesToTypical, quietStepLogs, reasonOf, sleep, startControlPlane, type BenchControlPlane } from './lib/control-plane';
import { runOperation, stateMachineNamed, type OperationRun } from './lib/operation-run';
import { available, fmt, measure, printGoals, renderMarkdown, table, writeBenchmarks, type Figure, type Goal, type Section } from './lib/report';

export type FaultKind = 'throttling+5xx' | 'fail-after-side-effect' | 'instance-crash' | 'zone-out-of-capacity' | 'kubeadm-failure' | 'retirement' | 'status-checks-failed' | 'zone-impaired';
export const FAULT_KINDS: FaultKind[] = ['throttling+5xx', 'fail-after-side-effect', 'instance-crash', 'zone-out-of-capacity', 'kubeadm-failure', 'retirement', 'status-checks-failed', 'zone-impaired'];

/** Calls a step makes after its creating call: failing them fails the step after its side effect. */
const AFTER_SIDE_EFFECT = ['ec2:CreateTags', 'ec2:AttachInternetGateway', 'ec2:AssociateRouteTable', 'ec2:CreateRoute', 'ec2:AuthorizeSecurityGroupIngress', 'ec2:ModifyVpcAttribute', 'autoscaling:CreateOrUpdateTags', 'ssm:PutParameter'];

export interface CycleResult {
  cycle: number;
  cluster: string;
  faults: string[];
  create?: OperationRun;
  rollingUpdate?: OperationRun | { notAvailable: string };
  delete?: OperationRun | { notAvailable: string };
  /** completed: every available stage succeeded; failed: a stage failed (reason); hung: a stage made no progress. */
  outcome: 'completed' | 'failed' | 'hung';
  reason?: string;
  duplicates: string[];
  /** undefined when there was no delete to check after. */
  leaks?: string[];
}

/** Operations meeting at the end of one: the races fencing closes (shared/store/fencing.ts). */
export type RaceKind = 'delete-after-failed-create' | 'operation-while-ending';
export const RACE_KINDS: RaceKind[] = ['delete-after-failed-create', 'operation-while-ending'];

/** What a race keeps of an operation (its calls and invocations would bloat the report). */
export type RaceRun = Pick<OperationRun, 'outcome' | 'failedStep' | 'error' | 'simSeconds' | 'wallMs'>;

export interface RaceResult {
  cycle: number;
  cluster: string;
  kind: RaceKind;
  create?: RaceRun;
  delete?: RaceRun;
  /** 409s the delete got while the failed create still held the cluster. */
  refusals: number;
  outcome: 'completed' | 'failed' | 'hung';
  reason?: string;
  duplicates: string[];
  leaks?: string[];
}

export interface ChaosResult {
  seed: number;
  cycles: number;
  races: RaceResult[];
  timeScale: number;
  stages: string[];
  results: CycleResult[];
  completed: number;
  failed: number;
  hung: number;
  duplicates: number;
  leaks?: number;
}

/** A small deterministic RNG (mulberry32), so a seed replays the same fault plan. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimResource {
  id: string;
  tags?: Record<string, string>;
  state?: string;
  status?: string;
  [key: string]: unknown;
}

/** Everything in the simulator tagged for the cluster, by kind (gone resources left out). */
export async function clusterResources(cp: BenchControlPlane, cluster: string): Promise<Record<string, SimResource[]>> {
  const all = await cp.sim<Record<string, unknown>>('GET', '/_sim/resources');
  const out: Record<string, SimResource[]> = {};
  for (const [kind, list] of Object.entries(all)) {
    if (!Array.isArray(list)) continue;
    const mine = (list as SimResource[]).filter((r) => r && typeof r === 'object' && r.tags && (r.tags[`kubernetes.io/cluster/${cluster}`] || r.tags['hopper:cluster'] === cluster) && !isGone(r));
    if (mine.length) out[kind] = mine;
  }
  return out;
}

function isGone(r: SimResource): boolean {
  const state = String(r.state ?? r.status ?? '');
  return ['terminated', 'deleted', 'deregistered', 'failed'].includes(state);
}

/** Kinds where one is expected per (role, zone, group): two alive is a duplicate. */
export function duplicates(resources: Record<string, SimResource[]>): string[] {
  const singular = ['vpcs', 'internetGateways', 'natGateways', 'autoScalingGroups', 'launchTemplates', 'loadBalancers', 'targetGroups', 'routeTables', 'securityGroups', 'subnets'];
  const out: string[] = [];
  for (const kind of singular) {
    const groups = new Map<string, string[]>();
    for (const r of resources[kind] ?? []) {
      const t = r.tags ?? {};
      const key = [t['hopper:role'] ?? '', t['hopper:zone'] ?? '', t['hopper:instance-group'] ?? ''].join('/');
      groups.set(key, [...(groups.get(key) ?? []), r.id]);
    }
    for (const [key, ids] of groups) if (ids.length > 1) out.push(`${kind} ${key || '(untagged role)'}: ${ids.length} (${ids.join(', ')})`);
  }
  // Instances: control-plane instances by name; more alive than the spec's count would be duplicates.
  const cp = (resources.instances ?? []).filter((i) => i.tags?.['hopper:role'] === 'control-plane' && !['shutting-down', 'stopping'].includes(String(i.state)));
  const byName = new Map<string, number>();
  for (const i of cp) byName.set(i.tags?.Name ?? i.id, (byName.get(i.tags?.Name ?? i.id) ?? 0) + 1);
  for (const [name, n] of byName) if (n > 1) out.push(`instances control-plane ${name}: ${n}`);
  return out;
}

function leakList(resources: Record<string, SimResource[]>): string[] {
  return Object.entries(resources).flatMap(([kind, list]) => list.map((r) => `${kind} ${r.id}${r.state ? ` (${String(r.state)})` : ''}`));
}

async function clearFaults(cp: BenchControlPlane): Promise<void> {
  await cp.sim('POST', '/_sim/faults', { throttling: false, errorRates: [], slowCalls: [], zonesOutOfCapacity: [], hosts: { kubeadmInitFailures: 0, kubeadmJoinFailures: 0, refuseEviction: [] } });
}

/** Apply a fault plan; returns a stop function for the background ones (crash, capacity window). */
async function applyFaults(cp: BenchControlPlane, cluster: string, plan: FaultKind[], random: () => number, zones: string[]): Promise<{ stop: () => Promise<void>; notes: string[] }> {
  const notes: string[] = [];
  const background: Promise<void>[] = [];
  let stopped = false;
  for (const kind of plan) {
    switch (kind) {
      case 'throttling+5xx':
        await cp.sim('POST', '/_sim/faults', {
          throttling: true,
          errorRates: [
            { service: 'ec2', action: '*', code: 'InternalError', rate: 0.03 },
            { service: 'autoscaling', action: '*', code: 'InternalFailure', rate: 0.03 },
            { service: 'ssm', action: '*', code: 'InternalServerError', rate: 0.02, status: 500 },
          ],
        });
        notes.push('throttling on, 2–3 % 5xx on ec2/autoscaling/ssm');
        break;
      case 'fail-after-side-effect': {
        const [service, action] = AFTER_SIDE_EFFECT[Math.floor(random() * AFTER_SIDE_EFFECT.length)].split(':');
        // More failures than the SDK's 3 attempts: the step itself fails after its side effect and is retried.
        await cp.sim('POST', '/_sim/faults', { failNext: [{ service, action, code: 'InternalError', count: 4, status: 500 }] });
        notes.push(`the next 4 ${service}:${action} fail (the step fails after its side effect)`);
        break;
      }
      case 'instance-crash':
        notes.push('an instance of the cluster crashes once running');
        background.push(
          (async () => {
            for (let i = 0; i < 600 && !stopped; i++) {
              const res = await clusterResources(cp, cluster).catch(() => ({}) as Record<string, SimResource[]>);
              const running = (res.instances ?? []).filter((x) => x.state === 'running' && x.tags?.['hopper:role'] !== 'image-builder');
              if (running.length) {
                const victim = running[Math.floor(random() * running.length)];
                await cp.sim('POST', '/_sim/faults', { crashInstances: [victim.id] }).catch(() => undefined);
                notes.push(`crashed ${victim.id} (${victim.tags?.['hopper:role'] ?? '?'})`);
                return;
              }
              await sleep(100);
            }
          })(),
        );
        break;
      case 'zone-out-of-capacity': {
        const zone = zones[Math.floor(random() * zones.length)];
        const simSeconds = 60;
        await cp.sim('POST', '/_sim/faults', { zonesOutOfCapacity: [zone] });
        notes.push(`${zone} out of capacity for ${simSeconds} simulated s`);
        background.push(
          (async () => {
            await sleep((simSeconds * 1000) / cp.timeScale);
            await cp.sim('POST', '/_sim/faults', { zonesOutOfCapacity: [] }).catch(() => undefined);
          })(),
        );
        break;
      }
      case 'kubeadm-failure':
        await cp.sim('POST', '/_sim/faults', { hosts: { kubeadmInitFailures: 1 } });
        notes.push('the next kubeadm init fails');
        break;
      // AWS taking machines away (the disruption routes, `local/sim/ec2/disruptions.ts`), at a
      // node of the cluster once one runs: what Hopper's events, sweep and the groups answer.
      case 'retirement':
      case 'status-checks-failed':
        background.push(
          (async () => {
            for (let i = 0; i < 600 && !stopped; i++) {
              const res = await clusterResources(cp, cluster).catch(() => ({}) as Record<string, SimResource[]>);
              const nodes = (res.instances ?? []).filter((x) => x.state === 'running' && x.tags?.['hopper:role'] === 'node');
              if (nodes.length) {
                const victim = nodes[Math.floor(random() * nodes.length)];
                if (kind === 'retirement') {
                  // Two simulated minutes' notice: the instance is stopped at the deadline unless Hopper replaced it first.
                  await cp.sim('POST', `/_sim/instances/${victim.id}/retirement`, { inSeconds: 120 }).catch(() => undefined);
                  notes.push(`${victim.id} scheduled for retirement in 120 simulated s`);
                } else {
                  await cp.sim('POST', `/_sim/instances/${victim.id}/status-checks`, { system: 'failed' }).catch(() => undefined);
                  notes.push(`${victim.id} fails its system status check`);
                }
                return;
              }
              await sleep(100);
            }
          })(),
        );
        break;
      case 'zone-impaired': {
        const zone = zones[Math.floor(random() * zones.length)];
        const simSeconds = 120;
        await cp.sim('POST', `/_sim/zones/${zone}/impairment`, { impaired: true });
        notes.push(`${zone} impaired for ${simSeconds} simulated s`);
        background.push(
          (async () => {
            await sleep((simSeconds * 1000) / cp.timeScale);
            await cp.sim('POST', `/_sim/zones/${zone}/impairment`, { impaired: false }).catch(() => undefined);
          })(),
        );
        break;
      }
    }
  }
  return {
    notes,
    stop: async () => {
      stopped = true;
      await Promise.all(background);
    },
  };
}

export interface ChaosOptions {
  cycles: number;
  /** Race cycles after the fault cycles, alternating the RACE_KINDS. */
  raceCycles: number;
  seed: number;
  timeScale: number;
  deadlineMs: number;
  stallMs: number;
}

export async function measureChaos(options: ChaosOptions): Promise<Figure<ChaosResult>> {
  const random = rng(options.seed);
  const cp = await startControlPlane({ timeScale: options.timeScale });
  const results: CycleResult[] = [];
  const races: RaceResult[] = [];
  const hasRolling = !!stateMachineNamed(cp, 'rolling-update');
  const hasDelete = !!stateMachineNamed(cp, 'delete-cluster');
  const stages = ['create', hasRolling ? 'rolling update' : 'rolling update (not available: no rolling-update state machine yet)', hasDelete ? 'delete' : 'delete (not available: no delete-cluster state machine yet)'];
  try {
    await fixLatenciesToTypical(cp);
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      const cluster = `chaos-${options.seed}-${cycle}`;
      const zones = ['us-east-1a', 'us-east-1b'];
      // Two or three distinct fault kinds per cycle.
      const plan = [...FAULT_KINDS].sort(() => random() - 0.5).slice(0, 2 + Math.floor(random() * 2));
      await clearFaults(cp);
      const faults = await applyFaults(cp, cluster, plan, random, zones);
      const result: CycleResult = { cycle, cluster, faults: faults.notes, outcome: 'completed', duplicates: [] };
      const wait = { deadlineMs: options.deadlineMs, stallMs: options.stallMs, pollMs: 500 };
      try {
        result.create = await runOperation(cp, `create ${cluster}`, cluster, () => cp.request('POST', '/v1/clusters', { name: cluster, region: 'us-east-1', zones }), wait);
        record(result, 'create', result.create);
        await faults.stop();
        result.duplicates = duplicates(await clusterResources(cp, cluster));
        if (result.create.outcome === 'Succeeded') {
          if (hasRolling) {
            // Out-of-date nodes as kops users make them: edit the group, apply, roll. (`force`
            // replaces nothing here: the simulator's clock runs ahead of the wall clock.)
            const edited = await cp.request('PUT', `/v1/clusters/${cluster}/instance-groups/nodes`, { machineType: 't3.large' });
            if (edited.status !== 200) throw new Error(`PUT instance-groups/nodes answered ${edited.status}`);
            const update = await runOperation(cp, `update ${cluster}`, cluster, () => cp.request('POST', `/v1/clusters/${cluster}/update`), wait);
            record(result, 'update (apply the edit)', update);
            result.rollingUpdate = await runOperation(cp, `rolling-update ${cluster}`, cluster, () => cp.request('POST', `/v1/clusters/${cluster}/rolling-update`, {}), wait);
            record(result, 'rolling update', result.rollingUpdate);
            result.duplicates = [...new Set([...result.duplicates, ...duplicates(await clusterResources(cp, cluster))])];
          } else result.rollingUpdate = { notAvailable: 'no rolling-update state machine yet' };
        }
        if (hasDelete) {
          // Delete whatever the create left, succeeded or not, under the same throttling and
          // error rates: that is when leaks show.
          result.delete = await runOperation(cp, `delete ${cluster}`, cluster, () => deleteWhenFree(cp, cluster, wait.deadlineMs), wait);
          record(result, 'delete', result.delete);
          if (result.delete.outcome === 'Succeeded') result.leaks = leakList(await clusterResources(cp, cluster));
        } else result.delete = { notAvailable: 'no delete-cluster state machine yet' };
      } catch (error) {
        result.outcome = 'failed';
        result.reason = `harness: ${reasonOf(error)}`;
      } finally {
        await faults.stop();
      }
      results.push(result);
      console.log(`  cycle ${cycle}: ${result.outcome}${result.reason ? ` (${result.reason.slice(0, 160)})` : ''}; faults: ${result.faults.join('; ')}; duplicates ${result.duplicates.length}; leaks ${result.leaks?.length ?? 'n/a'}`);
    }
    if (hasDelete) {
      for (let cycle = 0; cycle < options.raceCycles; cycle++) {
        const kind = RACE_KINDS[cycle % RACE_KINDS.length];
        const race = await raceCycle(cp, kind, `race-${options.seed}-${cycle}`, cycle, { deadlineMs: options.deadlineMs, stallMs: options.stallMs, pollMs: 100 });
        races.push(race);
        console.log(`  race ${cycle} (${kind}): ${race.outcome}${race.reason ? ` (${race.reason.slice(0, 160)})` : ''}; 409s ${race.refusals}; duplicates ${race.duplicates.length}; leaks ${race.leaks?.length ?? 'n/a'}`);
      }
    }
  } finally {
    await cp.stop();
  }
  const all = [...results, ...races];
  const leakCounts = all.filter((r) => r.leaks !== undefined).map((r) => r.leaks!.length);
  return available({
    seed: options.seed,
    cycles: options.cycles,
    races,
    timeScale: options.timeScale,
    stages,
    results,
    completed: all.filter((r) => r.outcome === 'completed').length,
    failed: all.filter((r) => r.outcome === 'failed').length,
    hung: all.filter((r) => r.outcome === 'hung').length,
    duplicates: all.reduce((n, r) => n + r.duplicates.length, 0),
    leaks: leakCounts.length ? leakCounts.reduce((a, b) => a + b, 0) : undefined,
  });
}

/** DELETE, asked again on every 409 (an operation ending, its last steps still running) until accepted or the deadline. */
async function deleteWhenFree(cp: BenchControlPlane, cluster: string, deadlineMs: number, onRefusal: () => void = () => undefined): Promise<{ status: number; body: unknown }> {
  for (const deadline = Date.now() + deadlineMs; ; ) {
    const res = await cp.request('DELETE', `/v1/clusters/${cluster}`);
    if (res.status !== 409 || Date.now() > deadline) return res;
    onRefusal();
    await sleep(20);
  }
}

function brief(run: OperationRun): RaceRun {
  return { outcome: run.outcome, failedStep: run.failedStep, error: run.error, simSeconds: run.simSeconds, wallMs: run.wallMs };
}

/** The faults that make each race: the create fails while (or just as) something of it still runs. */
function raceFaults(kind: RaceKind): Record<string, unknown> {
  if (kind === 'delete-after-failed-create') {
    // The image branch fails after 40 simulated seconds; the network branch's first security group takes 1200 to appear.
    return {
      errorRates: [{ service: 'ec2', action: 'DescribeImages', code: 'UnauthorizedOperation', rate: 1 }],
      slowCalls: [
        { service: 'ec2', action: 'DescribeImages', seconds: 40, count: 1 },
        { service: 'ec2', action: 'CreateSecurityGroup', seconds: 1200, count: 1 },
      ],
    };
  }
  // kubeadm init fails: the create ends with instances, subnets and groups in place.
  return { hosts: { kubeadmInitFailures: 1 } };
}

/** One race: the create under `kind`'s faults, then a delete asked at once and again on every 409. */
async function raceCycle(cp: BenchControlPlane, kind: RaceKind, cluster: string, cycle: number, wait: { deadlineMs: number; stallMs: number; pollMs: number }): Promise<RaceResult> {
  const result: RaceResult = { cycle, cluster, kind, refusals: 0, outcome: 'completed', duplicates: [] };
  await clearFaults(cp);
  await cp.sim('POST', '/_sim/faults', raceFaults(kind));
  try {
    result.create = brief(await runOperation(cp, `create ${cluster}`, cluster, () => cp.request('POST', '/v1/clusters', { name: cluster, region: 'us-east-1', zones: ['us-east-1a'] }), wait));
    await clearFaults(cp);
    if (result.create.outcome === 'Hung') {
      record(result, 'create', result.create);
      return result;
    }
    if (result.create.outcome !== 'Failed') throw new Error(`the create was to fail, it ended ${result.create.outcome}`);
    result.duplicates = duplicates(await clusterResources(cp, cluster));
    result.delete = brief(await runOperation(
      cp,
      `delete ${cluster}`,
      cluster,
      () => deleteWhenFree(cp, cluster, wait.deadlineMs, () => (result.refusals += 1)),
      wait,
    ));
    record(result, 'delete', result.delete);
    if (result.delete.outcome === 'Succeeded') result.leaks = leakList(await clusterResources(cp, cluster));
  } catch (error) {
    result.outcome = 'failed';
    result.reason = `harness: ${reasonOf(error)}`;
  } finally {
    await clearFaults(cp);
  }
  return result;
}

function record(result: CycleResult | RaceResult, stage: string, run: RaceRun): void {
  if (result.outcome !== 'completed') return;
  if (run.outcome === 'Hung') {
    result.outcome = 'hung';
    result.reason = `${stage}: ${run.error ?? 'no progress'}`;
  } else if (run.outcome !== 'Succeeded') {
    result.outcome = 'failed';
    result.reason = `${stage} ${run.outcome.toLowerCase()}${run.failedStep ? ` at ${run.failedStep}` : ''}: ${run.error ?? ''}`.slice(0, 400);
  }
}

export function chaosMarkdown(fig: Figure<ChaosResult>): string {
  if (!fig.ok) return `not available: ${fig.notAvailable}`;
  const c = fig.value;
  return [
    `${c.cycles} cycles (seed ${c.seed}, time scale ${c.timeScale}); stages: ${c.stages.join(' → ')}. Each cycle draws 2–3 fault kinds from: ${FAULT_KINDS.join(', ')}.`,
    '',
    table(['cycles', 'completed', 'failed', 'hung', 'duplicates', 'leaked after delete'], [[c.cycles, c.completed, c.failed, c.hung, c.duplicates, c.leaks === undefined ? 'not available: no successful delete' : c.leaks]]),
    '',
    table(
      ['cycle', 'faults', 'create', 'rolling update', 'delete', 'outcome', 'duplicates', 'leaks'],
      c.results.map((r) => [
        r.cycle,
        r.faults.join('; '),
        r.create ? `${r.create.outcome} (${fmt(r.create.simSeconds, 0)} sim s)` : '–',
        stageCell(r.rollingUpdate),
        stageCell(r.delete),
        `${r.outcome}${r.reason ? `: ${r.reason.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`,
        r.duplicates.length ? r.duplicates.join('; ') : 0,
        r.leaks === undefined ? '–' : r.leaks.length ? r.leaks.join('; ') : 0,
      ]),
    ),
    '',
    `Race cycles: a delete asked for the moment a create fails, again on every 409 (${RACE_KINDS.join(', ')}, alternating).`,
    '',
    c.races.length === 0
      ? 'none run'
      : table(
          ['race', 'kind', 'create', '409s before the delete began', 'delete', 'outcome', 'duplicates', 'leaks'],
          c.races.map((r) => [
            r.cycle,
            r.kind,
            r.create ? `${r.create.outcome}${r.create.failedStep ? ` at ${r.create.failedStep}` : ''}` : '–',
            r.refusals,
            r.delete ? `${r.delete.outcome} (${fmt(r.delete.simSeconds, 0)} sim s)` : '–',
            `${r.outcome}${r.reason ? `: ${r.reason.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`,
            r.duplicates.length ? r.duplicates.join('; ') : 0,
            r.leaks === undefined ? '–' : r.leaks.length ? r.leaks.join('; ') : 0,
          ]),
        ),
  ].join('\n');
}

function stageCell(stage: OperationRun | { notAvailable: string } | undefined): string {
  if (!stage) return '–';
  if ('notAvailable' in stage) return `not available: ${stage.notAvailable}`;
  return `${stage.outcome} (${fmt(stage.simSeconds, 0)} sim s)`;
}

export function chaosGoals(fig: Figure<ChaosResult>, smoke = false): Goal[] {
  const goal = 'chaos: 0 hung, 0 duplicates, 0 leaks';
  if (!fig.ok) return [{ goal, status: 'N/A', detail: `not available: ${fig.notAvailable}` }];
  const c = fig.value;
  const detail = `${c.cycles} cycles and ${c.races.length} races: ${c.completed} completed, ${c.failed} failed, ${c.hung} hung, ${c.duplicates} duplicates, leaks ${c.leaks === undefined ? 'not measured (no successful delete)' : c.leaks}`;
  if (c.hung > 0 || c.duplicates > 0 || (c.leaks ?? 0) > 0) return [{ goal, status: 'FAIL', detail }];
  if (smoke) return [{ goal, status: 'N/A', detail: `${detail} (smoke run: too few cycles to judge)` }];
  if (c.leaks === undefined) return [{ goal, status: 'N/A', detail }];
  return [{ goal, status: 'PASS', detail }];
}

export interface ChaosRunOptions extends ChaosOptions {
  smoke: boolean;
  out?: { json: string; md: string };
  print?: boolean;
}

export function parseChaosArgs(argv: string[]): ChaosRunOptions {
  const smoke = argv.includes('--smoke');
  const value = (name: string) => argValue(argv, name);
  const outDir = value('--out-dir');
  const timeScale = Number(value('--time-scale') ?? (smoke ? 200 : 100));
  return {
    smoke,
    cycles: Number(value('--cycles') ?? (smoke ? 1 : 5)),
    raceCycles: Number(value('--race-cycles') ?? (smoke ? 1 : 20)),
    seed: Number(value('--seed') ?? 42),
    timeScale,
    deadlineMs: smoke ? 30_000 : 240_000,
    stallMs: smoke ? 15_000 : 60_000,
    out: outDir ? { json: `${outDir}/benchmarks.json`, md: `${outDir}/benchmarks.md` } : undefined,
    print: !argv.includes('--quiet'),
  };
}

export async function runChaos(options: ChaosRunOptions): Promise<Record<string, Section>> {
  quietStepLogs();
  console.log(`hopper chaos (${options.smoke ? 'smoke' : 'full'}, ${options.cycles} cycles, ${options.raceCycles} races, seed ${options.seed}, time scale ${options.timeScale})`);
  const fig = await measure('chaos', () => measureChaos(options));
  const sections: Record<string, Section> = {
    chaos: {
      title: 'Chaos: create → rolling update → delete under faults, and deletes racing a failing create',
      measuredAt: new Date().toISOString(),
      mode: options.smoke ? 'smoke' : 'full',
      markdown: chaosMarkdown(fig),
      data: fig,
      goals: chaosGoals(fig, options.smoke),
    },
  };
  const file = writeBenchmarks(sections, options.out);
  if (options.print) console.log(`\n${renderMarkdown({ ...file, sections })}`);
  printGoals(sections.chaos.goals);
  return sections;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runChaos(parseChaosArgs(process.argv.slice(2))).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
