/**
 * A year in the life of a cluster's certificates: validation reads when kubeadm's one-year
 * certificates expire (`certificatesExpireAt` on the cluster); the daily check starts a
 * `renew-certificates` operation once less than 30 days are left, which renews them on the
 * control plane and restarts its static pods; the cluster still validates past the day its
 * original certificates expired. Left alone for another year, it stops answering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationView } from '../../shared/api/types';
import { hopperCli } from '../e2e/harness';
import { withCrashes } from './world';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';

const DAY = 86_400;
const NAME = 'aging';
let cp: TestControlPlane;

const simNow = async () => ((await (await fetch(`${cp.cloud}/_sim/clock`)).json()) as { epochMs: number }).epochMs;
const jump = async (seconds: number) => expect((await fetch(`${cp.cloud}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: seconds }) })).status).toBe(200);
const expiry = async () => (await cp.request<{ certificatesExpireAt?: string }>('GET', `/v1/clusters/${NAME}`)).body.certificatesExpireAt;
const renewals = async () => ((await cp.embedded.lambda.invoke('certificateRenewals', {})) as { decisions: { cluster: string; action: string; reason?: string; operationId?: string }[] }).decisions.filter((d) => d.cluster === NAME);

/** The SSM commands Hopper sent to renew certificates (its inventory keeps each, named after its purpose). */
async function renewalCommands(): Promise<string[]> {
  const view = await cp.request<{ resources: { type: string; id: string; name?: string }[] }>('GET', `/v1/clusters/${NAME}`);
  return view.body.resources.filter((r) => r.name === 'RenewCertificates').map((r) => r.id);
}

async function validate(): Promise<{ ok: boolean; failures: unknown[] }> {
  const res = await cp.request<{ operation: { id: string } }>('POST', `/v1/clusters/${NAME}/validate`);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const op = await cp.waitForOperation(res.body.operation.id, 120_000);
  expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
  return op.steps.find((s) => s.name === 'Validate')?.detail as { ok: boolean; failures: unknown[] };
}

beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
  const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', { name: NAME, region: 'us-east-1', zones: ['us-east-1a'], topology: 'public' });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const op = await cp.waitForOperation(res.body.operation.id, 240_000);
  expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
}, 300_000);
afterAll(() => cp?.stop());

describe('certificates over a year', () => {
  it('knows from the create’s validation when the certificates expire: a year from the kubeadm init', async () => {
    const at = await expiry();
    expect(at).toBeDefined();
    expect(Math.abs(Date.parse(at!) - ((await simNow()) + 365 * DAY * 1000))).toBeLessThan(2 * DAY * 1000);
    // The CLI says so, and changes nothing without --yes.
    const cli = await hopperCli(cp.api, ['renew', 'certificates', NAME]);
    expect(cli.code, cli.all).toBe(0);
    expect(cli.stdout).toContain(`The certificates of ${NAME} expire at ${at}.`);
    expect(cli.stdout).toContain('Must specify --yes to renew them now');
    const decisions = await renewals();
    expect(decisions, JSON.stringify(decisions)).toMatchObject([{ cluster: NAME, action: 'none', reason: 'not-due', expiresAt: at }]);
  });

  it('renews them when less than 30 days are left, as an operation, and outlives the original expiry', async () => {
    const original = Date.parse((await expiry())!);
    await jump(340 * DAY);
    const [decision] = await renewals();
    expect(decision).toMatchObject({ action: 'started' });
    const op: OperationView = await cp.waitForOperation(decision.operationId!, 180_000);
    expect(op.status, JSON.stringify(op)).toBe('Succeeded');
    expect(op.type).toBe('renew-certificates');
    expect(op.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['Prepare', 'Renew']));
    const renewed = Date.parse((await expiry())!);
    expect(Math.abs(renewed - ((await simNow()) + 365 * DAY * 1000))).toBeLessThan(DAY * 1000);
    expect(renewed).toBeGreaterThan(original + 300 * DAY * 1000);

    await jump(60 * DAY); // day 400: past what kubeadm init issued
    expect(await validate()).toMatchObject({ ok: true });
  }, 300_000);

  it('renews once per control plane even when every step crashes after its side effect', async () => {
    const before = (await renewalCommands()).length;
    const op = await withCrashes('BeginWorkflow,PrepareRenewal,SendRenewCertificates,RecordCertificates,FinishWorkflow', async () => {
      const res = await cp.request<{ operation: { id: string } }>('POST', `/v1/clusters/${NAME}/renew-certificates`);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return cp.waitForOperation(res.body.operation.id, 180_000);
    });
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    const history = cp.embedded.stepFunctions.history(op.executionArn!) as unknown as Array<{ type: string; taskFailedEventDetails?: { cause?: string } }>;
    expect(history.filter((e) => e.type === 'TaskFailed' && e.taskFailedEventDetails?.cause?.includes('injected fault')).length).toBeGreaterThanOrEqual(3);
    // One control plane: one renewal command for the operation, not one per attempt.
    expect((await renewalCommands()).length - before).toBe(1);
  }, 300_000);

  it('stops answering when a year passes with no renewal', async () => {
    await jump(366 * DAY);
    const report = await validate();
    expect(report.ok).toBe(false);
    expect(JSON.stringify(report.failures)).toMatch(/x509: certificate has expired/);
  }, 300_000);
});
