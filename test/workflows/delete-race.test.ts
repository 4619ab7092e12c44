/**
 * The race a delete right after a failed create used to lose: the create's Image branch
 * fails while its Network branch is still creating a security group (the simulator holds
 * CreateSecurityGroup back), and the delete is asked for the moment the create reports
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

describe('delete immediately after a create that failed while another branch was still creating', () => {
  it(`leaves nothing tagged for the cluster, in ${RUNS} runs out of ${RUNS}`, async () => {
    const leaks: Record<string, string[]> = {};
    const refused: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const name = `race-${run}`;
      // The image branch fails after 40 simulated seconds, while the first security group takes 1200 (3 s) to appear.
      await cp.faults({
        errorRates: [{ service: 'ec2', action: 'DescribeImages', code: 'UnauthorizedOperation', rate: 1 }],
        slowCalls: [
          { service: 'ec2', action: 'DescribeImages', seconds: 40, count: 1 },
          { service: 'ec2', action: 'CreateSecurityGroup', seconds: 1200, count: 1 },
        ],
      });
      const create = await createAndWait(cp, { name, region: 'us-east-1', zones: ['us-east-1a'], topology: 'public' }, 60_000);
      await cp.faults({ errorRates: [], slowCalls: [] });
      expect(create.status).toBe('Failed');
      expect(create.error?.step).toBe('Image');
      const { operationId, refusals } = await deleteAtOnce(name);
      refused.push(...refusals);
      const deleted = await cp.waitForOperation(operationId, 60_000);
      expect(deleted.status, JSON.stringify(deleted.error)).toBe('Succeeded');
      const left = await anyTagged(cp, name);
      if (left.length > 0) leaks[name] = left;
    }
    expect(leaks).toEqual({});
    // The race did happen: at least once the delete had to wait for the creating step.
    expect(refused.some((m) => /still holds it until its step EnsureSecurityGroups returns/.test(m)), refused.slice(0, 3).join('\n')).toBe(true);
  }, 600_000);
});
