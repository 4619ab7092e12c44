/**
 * A year in the life (bench/lib/year-in-the-life.ts): 3 control planes and two node groups
 * over three zones live 400 simulated days with the schedules running on the simulated clock
 * — scale-outs, a retirement about every month, two spot interruptions, an hour-long zone
 * outage, a minor upgrade in its maintenance window — and nobody but Hopper does anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveAYear, type YearReport } from '../../bench/lib/year-in-the-life';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';

let cp: TestControlPlane;
let report: YearReport;

beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 200, schedules: true });
  try {
    report = await liveAYear({ api: cp.api, cloud: cp.cloud, idle: () => cp.embedded.eventBridge.idle() }, 'year', (line) => process.env.HOPPER_TEST_VERBOSE && console.log(line));
  } catch (err) {
    // HOPPER_TEST_VERBOSE=1: the day-by-day log, and on failure the instances, nodes and groups in .tmp/year-debug.json.
    if (process.env.HOPPER_TEST_VERBOSE) {
      const { writeFileSync } = await import('node:fs');
      const kube = await (await fetch(`${cp.cloud}/_sim/kubernetes`)).json();
      const res = await (await fetch(`${cp.cloud}/_sim/resources?kind=instances`)).json();
      const acts = await (await fetch(`${cp.cloud}/_sim/resources?kind=autoScalingGroups`)).json();
      writeFileSync('.tmp/year-debug.json', JSON.stringify({ kube, res, acts }, null, 1));
    }
    throw err;
  }
}, 1_500_000);
afterAll(() => cp?.stop());

describe('a year in the life', () => {
  it('repairs every machine AWS took away, each as an operation, and the group is whole after each', () => {
    const repaired = report.disruptions.filter((d) => d.kind !== 'zone-impairment');
    expect(repaired.length).toBeGreaterThanOrEqual(14);
    for (const d of repaired) expect(d, JSON.stringify(d)).toMatchObject({ repairStatus: 'Succeeded' });
    expect(report.repairs.failed).toBe(0);
    expect(report.repairs.succeeded).toBeGreaterThanOrEqual(repaired.length);
  });

  it('ends 400 days later validated, upgraded, with valid certificates and nothing left over', () => {
    expect(report.days).toBe(400);
    expect(report.validation, JSON.stringify(report.validation)).toMatchObject({ ok: true });
    expect(report.version).toBe('1.34.1');
    // Upgraded by its own maintenance window, once, not by a person.
    expect(report.operations.filter((o) => o.type === 'scheduled-upgrade' || o.type === 'upgrade')).toEqual([{ type: 'scheduled-upgrade', status: 'Succeeded' }]);
    expect(Date.parse(report.certificatesExpireAt!)).toBeGreaterThan(Date.parse(report.simulatedEnd));
    // Running: what the groups and the control plane want; nothing stopped or half-gone.
    expect(report.instances.running).toBe(report.expectedInstances);
    expect(Object.keys(report.instances).filter((s) => s !== 'running' && s !== 'terminated')).toEqual([]);
    expect(report.operations.filter((o) => o.status === 'Failed')).toEqual([]);
    // etcd was backed up on its schedule (each jump a catch-up: one backup; between jumps the
    // clock runs too), and the retention rule kept one a day for 90 days — the jumps of days 330,
    // 360, 390 and 400, and the last day's — nothing older.
    expect(report.backups.count, JSON.stringify(report.backups)).toBeGreaterThanOrEqual(4);
    expect(report.backups.oldestAgeDays).toBeGreaterThanOrEqual(60);
    expect(report.backups.oldestAgeDays).toBeLessThanOrEqual(90);
    // The last one within the interval of the last jump (plus the minutes the year's end took).
    expect(report.backups.newestAgeSeconds).toBeLessThan(2 * 15 * 60);
    // Nothing of the cluster's left lying about: only the seats' etcd volumes, each attached; no
    // detached network interface, no loose address.
    expect(report.leftovers).toEqual({ volumes: [], networkInterfaces: [], addresses: [] });
  });

  it('rides out an hour-long zone outage: the groups move their capacity to the other zones and back, and Hopper replaces nothing in a loop', () => {
    const outage = report.zoneOutage!;
    expect(outage, 'the year had its zone outage').toBeDefined();
    const total = (counts: Record<string, number>) => Object.values(counts).reduce((n, c) => n + c, 0);
    // While the zone is out, the node groups' whole running capacity is in the other zones; once
    // it is back, every zone holds some of it again — the same capacity throughout.
    expect(outage.during[outage.zone], JSON.stringify(outage)).toBe(0);
    expect(total(outage.during)).toBe(total(outage.after));
    for (const zone of Object.keys(outage.after)) expect(outage.after[zone], JSON.stringify(outage)).toBeGreaterThan(0);
    // Repairs stay within their budget (a group's 40%, one control plane at a time).
    expect(outage.repairsStarted).toBeLessThanOrEqual(2);
  });
});
