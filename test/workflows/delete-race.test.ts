/**
 * The race a delete right after a failed create used to lose: the create's Image branch
 * fails while another Provision branch is still creating a security group (the simulator
 * holds CreateSecurityGroup back), and the delete is asked for the moment the create reports
 * Failed. The create's lock holds the cluster until that step has returned (the delete gets
 * 409 naming it meanwhile, and is asked again), so the delete sees everything — in every run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';
import { anyTagged, createAndWait } from './world';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
}, 60_000);
afterAll(() => cp?.stop());

const RUNS = Number(process.env.RACE_RUNS ?? 20);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** DELETE until it is accepted (409 while the failed create still holds the cluster); the refusals' messages. */
async function deleteAtOnce(name: string): Promise<{ operationId: string; refusals: string[] }> {
  const refusals: string[] = [];
  for (;;) {
    const res = await cp.request<{ operation: { id: string }; error?: { message: string } }>('DELETE', `/v1/clusters/${name}`);
    if (res.status === 202) return { operationId: res.body.operation.id, refusals };
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    refusals.push(String(res.body.error?.message));
    await sleep(20);
  }
}

/** Runs at once: the faults below are global, so a batch shares them. */
const BATCH = 4;

/** One run: create (failing as set up), then delete at once; what is left tagged and the delete's 409 messages. */
async function race(name: string): Promise<{ left: string[]; refusals: string[] }> {
  const create = await createAndWait(cp, { name, region: 'us-east-1', zones: ['us-east-1a'], topology: 'public' }, 60_000);
  expect(create.status).toBe('Failed');
  expect(create.error?.step).toBe('Image');
  const { operationId, refusals } = await deleteAtOnce(name);
  const deleted = await cp.waitForOperation(operationId, 60_000);
  expect(deleted.status, JSON.stringify(deleted.error)).toBe('Succeeded');
  return { left: await anyTagged(cp, name), refusals };
}

describe('delete immediately after a create that failed while another branch was still creating', () => {
  it(`leaves nothing tagged for the cluster, in ${RUNS} runs out of ${RUNS}`, async () => {
    const leaks: Record<string, string[]> = {};
    const refused: string[] = [];
    for (let first = 0; first < RUNS; first += BATCH) {
      const names = Array.from({ length: Math.min(BATCH, RUNS - first) }, (_, i) => `race-${first + i}`);
      // Each image branch fails after 40 simulated seconds; a security group of each cluster takes 1200 (3 s) to appear.
      await cp.faults({
        errorRates: [{ service: 'ec2', action: 'DescribeImages', code: 'UnauthorizedOperation', rate: 1 }],
        slowCalls: [
          { service: 'ec2', action: 'DescribeImages', seconds: 40, count: names.length },
          { service: 'ec2', action: 'CreateSecurityGroup', seconds: 1200, count: names.length },
        ],
      });
      try {
        const runs = await Promise.all(names.map((name) => race(name)));
        runs.forEach((run, i) => {
          refused.push(...run.refusals);
          if (run.left.length > 0) leaks[names[i]] = run.left;
        });
      } finally {
        await cp.faults({ errorRates: [], slowCalls: [] });
      }
    }
    expect(leaks).toEqual({});
    // The race did happen: the deletes had to wait for the creating step.
    expect(refused.some((m) => /still holds it until its step EnsureSecurityGroups returns/.test(m)), refused.slice(0, 3).join('\n')).toBe(true);
  }, 600_000);
});
