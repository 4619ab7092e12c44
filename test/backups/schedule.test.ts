/**
 * The backup schedule of a cluster whose spec asks for an hourly backup: the 15-minute sweep
 * (etcdBackups, as EventBridge invokes it, stamped with each slot's time) takes one every
 * fourth slot — each listed with its size and SHA-256 — and, days later, the retention rule
 * has pruned a day's backups to that day's newest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupsList, OperationView } from '../../shared/api/types';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';

const NAME = 'paced';
let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
  const res = await cp.request<{ operation: OperationView }>('POST', '/v1/clusters', {
    name: NAME,
    region: 'us-east-1',
    zones: ['us-east-1a'],
    topology: 'public',
    instanceGroups: [{ name: 'nodes', min: 1, max: 1 }],
    backups: { intervalMinutes: 60, keepHourlyDays: 0, keepDailyDays: 30 },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const op = await cp.waitForOperation(res.body.operation.id, 300_000);
  expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
}, 360_000);
afterAll(() => cp?.stop());

const backups = async () => (await cp.request<BackupsList>('GET', `/v1/clusters/${NAME}/backups`)).body;

/** The sweep of the slot at `at`, as EventBridge's scheduled event carries it; waits for the snapshot it sent, if any. */
async function sweep(at: Date): Promise<'taken' | 'not due'> {
  const { backups: runs } = (await cp.embedded.lambda.invoke('etcdBackups', { 'detail-type': 'Scheduled Event', source: 'aws.events', time: at.toISOString() })) as { backups: { cluster: string; id?: string; notDue?: boolean; skipped?: string }[] };
  const run = runs.find((r) => r.cluster === NAME)!;
  expect(run.skipped, JSON.stringify(run)).toBeUndefined();
  if (run.notDue) return 'not due';
  for (let i = 0; i < 200 && !(await backups()).backups.some((b) => b.id === run.id); i++) await new Promise((r) => setTimeout(r, 50));
  return 'taken';
}

describe('a cluster backed up hourly', () => {
  // 01:00 UTC of the next day: the first three slots taken fall on one day.
  const start = new Date(Math.ceil(Date.now() / 86_400_000) * 86_400_000 + 3_600_000);
  const slot = (minutes: number) => new Date(start.getTime() + minutes * 60_000);

  it('takes a backup every fourth 15-minute slot, each listed with its size and SHA-256', async () => {
    const outcomes: string[] = [];
    for (let k = 0; k <= 8; k++) outcomes.push(await sweep(slot(15 * k)));
    expect(outcomes).toEqual(['taken', 'not due', 'not due', 'not due', 'taken', 'not due', 'not due', 'not due', 'taken']);
    const list = await backups();
    expect(list.intervalMinutes).toBe(60);
    expect(list.backups.map((b) => b.takenAt)).toEqual([slot(120), slot(60), slot(0)].map((d) => d.toISOString()));
    for (const b of list.backups) {
      expect(b.sizeBytes).toBeGreaterThan(0);
      expect(b.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('keeps only the newest of a day once the day is past (no hourly ones asked for), and takes the next', async () => {
    expect(await sweep(slot(2 * 24 * 60))).toBe('taken');
    expect((await backups()).backups.map((b) => b.takenAt)).toEqual([slot(2 * 24 * 60), slot(120)].map((d) => d.toISOString()));
  });
});
