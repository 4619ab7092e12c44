/**
 * The benchmark and chaos harnesses in their smoke form: they run end to end and produce
 * every figure — measured or "not available: <why>" — in both outputs. Values are not
 * checked (they depend on the machine and on which workflows exist yet).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseChaosArgs, runChaos } from '../../bench/chaos';
import { CREATE_GRAPH, createCriticalPath } from '../../bench/critical-path';
import type { BenchmarksFile } from '../../bench/lib/report';
import { parseArgs, runBench } from '../../bench/run';

const dir = mkdtempSync(join(tmpdir(), 'hopper-bench-smoke-'));
// The harnesses print their report; in the test run it would only read like test results.
beforeAll(() => {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** A figure as the harness stores it: measured or not available with a reason. */
function expectFigure(figure: unknown): void {
  expect(figure).toBeTypeOf('object');
  const f = figure as { ok: boolean; value?: unknown; notAvailable?: string };
  if (f.ok) expect(f.value).toBeDefined();
  else expect(f.notAvailable).toMatch(/\S/);
}

describe('bench/critical-path', () => {
  it('follows the latencies it is given', () => {
    const latencies = { 'image.available': { typical: 300 }, 'natGateway.available': { typical: 90 } };
    const baked = createCriticalPath({ ha: false, cachedImage: false }, latencies);
    const cached = createCriticalPath({ ha: false, cachedImage: true }, latencies);
    expect(baked.seconds).toBeGreaterThan(cached.seconds);
    const slower = createCriticalPath({ ha: false, cachedImage: false }, { ...latencies, 'image.available': { typical: 400 } });
    expect(slower.seconds - baked.seconds).toBe(100);
    expect(baked.path.map((p) => p.id)).toContain('bake');
    expect(new Set(CREATE_GRAPH.map((n) => n.id)).size).toBe(CREATE_GRAPH.length);
  });
});

describe('npm run bench -- --smoke / npm run chaos -- --smoke', () => {
  it('bench produces every figure', async () => {
    const options = { ...parseArgs(['--smoke', '--quiet']), out: { json: join(dir, 'benchmarks.json'), md: join(dir, 'benchmarks.md') } };
    const sections = await runBench(options);
    for (const key of ['environment', 'criticalPath', 'bundles', 'api', 'workflows', 'scale']) {
      expect(sections[key], key).toBeDefined();
      expect(sections[key].markdown).toMatch(/\S/);
      if (key !== 'environment') expectFigure(sections[key].data);
    }
    // Host scripts: a create under each sandbox that works here, with its scripts counted.
    const hosts = sections.hosts.data as { figures: Array<{ ok: boolean; value?: { outcome: string; runCommand: { count: number } } }> };
    const measured = hosts.figures.filter((f) => f.ok);
    expect(measured.length).toBeGreaterThan(0);
    for (const f of measured) {
      expect(f.value?.outcome).toBe('Succeeded');
      expect(f.value?.runCommand.count).toBeGreaterThan(0);
    }
    const goals = Object.values(sections).flatMap((s) => s.goals.map((g) => g.goal));
    for (const goal of ['critical path', 'batch plan', 'concurrent creates', 'state transitions', 'bundle']) expect(goals.join('\n')).toContain(goal);
    const file = JSON.parse(readFileSync(options.out.json, 'utf8')) as BenchmarksFile;
    expect(Object.keys(file.sections)).toEqual(expect.arrayContaining(['criticalPath', 'bundles', 'api', 'workflows', 'hosts', 'scale']));
    const md = readFileSync(options.out.md, 'utf8');
    expect(md).toContain('## Goals');
    expect(md).toMatch(/\*\*(PASS|FAIL|N\/A)\*\*/);
  }, 240_000);

  it('chaos produces its counts and keeps the bench sections', async () => {
    const options = { ...parseChaosArgs(['--smoke', '--quiet']), out: { json: join(dir, 'benchmarks.json'), md: join(dir, 'benchmarks.md') } };
    const sections = await runChaos(options);
    const fig = sections.chaos.data as { ok: boolean; value?: { completed: number; failed: number; hung: number; duplicates: number; results: unknown[]; races: { refusals: number }[] } };
    expectFigure(fig);
    if (fig.ok) {
      expect(fig.value!.results.length).toBe(options.cycles);
      expect(fig.value!.races.length).toBe(options.raceCycles);
      expect(fig.value!.completed + fig.value!.failed + fig.value!.hung).toBe(options.cycles + options.raceCycles);
    }
    const file = JSON.parse(readFileSync(options.out.json, 'utf8')) as BenchmarksFile;
    expect(Object.keys(file.sections)).toEqual(expect.arrayContaining(['chaos', 'workflows']));
    expect(readFileSync(options.out.md, 'utf8')).toContain('chaos: 0 hung, 0 duplicates, 0 leaks');
  }, 180_000);
});
