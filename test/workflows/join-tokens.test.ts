/**
 * Short-lived join tokens, a week into a cluster's life: every token minted at create has
 * expired, yet a node still joins — the replacement an Auto Scaling group launches on its
 * own for a lost node, once the hourly refresh has run, and one an update adds (it mints its
 * own token first). Before the
 * refresh, the replacement of a lost node keeps failing to join: the expiry is real.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOIN_TOKEN_TTL } from '../../shared/render/context';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';

const NAME = 'late';
const WEEK = 7 * 86_400;
const admin = { accessKeyId: 'admin', secretAccessKey: 'admin' };

let cp: TestControlPlane;
let ssm: SSMClient;
let ec2: EC2Client;

async function token(): Promise<string> {
  const out = await ssm.send(new GetParameterCommand({ Name: `/hopper/${NAME}/join/token`, WithDecryption: true }));
  return out.Parameter?.Value ?? '';
}

async function readyWorkers(): Promise<number> {
  const body = (await (await fetch(`${cp.cloud}/_sim/kubernetes`)).json()) as { clusters: { clusterName?: string; nodes: { role: string; ready: boolean }[] }[] };
  return body.clusters.filter((c) => c.clusterName === NAME).flatMap((c) => c.nodes).filter((n) => n.role !== 'control-plane' && n.ready).length;
}

async function jump(seconds: number): Promise<void> {
  const res = await fetch(`${cp.cloud}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: seconds }) });
  expect(res.status).toBe(200);
}

/** Waits `simSeconds` of simulated time (real time at the control plane's scale). */
const simWait = (simSeconds: number) => new Promise((r) => setTimeout(r, (simSeconds * 1000) / 400));

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function nodeGroup(): Promise<{ name: string; desiredCapacity: number }> {
  const groups = ((await cp.simResources()).autoScalingGroups ?? []) as unknown as { name: string; desiredCapacity: number; tags: Record<string, string> }[];
  return groups.find((g) => g.tags['hopper:cluster'] === NAME)!;
}

beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
  ssm = new SSMClient({ endpoint: cp.cloud, region: 'us-east-1', credentials: admin });
  ec2 = new EC2Client({ endpoint: cp.cloud, region: 'us-east-1', credentials: admin });
  const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', { name: NAME, region: 'us-east-1', zones: ['us-east-1a'], topology: 'public' });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const op = await cp.waitForOperation(res.body.operation.id, 240_000);
  expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
}, 300_000);
afterAll(async () => {
  ssm?.destroy();
  ec2?.destroy();
  await cp?.stop();
});

describe('join tokens that expire', () => {
  it(`lives ${JOIN_TOKEN_TTL}, not a day`, () => {
    expect(JOIN_TOKEN_TTL).toBe('2h0m0s');
  });

  it('keeps no certificate key in Parameter Store once the control plane has joined', async () => {
    await expect(ssm.send(new GetParameterCommand({ Name: `/hopper/${NAME}/join/certificate-key`, WithDecryption: true }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
    expect(await token()).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  });

  it('a week later: a lost node\'s replacement cannot join with the old token, and joins once the hourly refresh has run', async () => {
    const created = await token();
    const before = await readyWorkers();
    const known = new Set(((await cp.simResources()).instances as unknown as { id: string }[]).map((i) => i.id));
    await jump(WEEK);
    // A node is lost; its group launches a replacement, as it would at any hour of any day.
    const group = await nodeGroup();
    const lost = ((await cp.simResources()).instances as unknown as { id: string; state: string; tags: Record<string, string> }[]).find(
      (i) => i.tags['aws:autoscaling:groupName'] === group.name && i.state === 'running',
    )!;
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [lost.id] }));
    await until('the node is gone', async () => (await readyWorkers()) === before - 1);
    await until('its replacement is running', async () =>
      ((await cp.simResources()).instances as unknown as { id: string; state: string; tags: Record<string, string> }[]).some(
        (i) => i.tags['aws:autoscaling:groupName'] === group.name && i.state === 'running' && i.id !== lost.id && !known.has(i.id),
      ),
    );
    // Three simulated minutes of join attempts (one every five seconds) with an expired token.
    await simWait(180);
    expect(await readyWorkers()).toBe(before - 1);

    const { refreshed } = (await cp.embedded.lambda.invoke('refreshJoinTokens', {})) as { refreshed: { cluster: string; commandId?: string }[] };
    expect(refreshed.find((r) => r.cluster === NAME)?.commandId).toBeTruthy();
    await until('a fresh token in Parameter Store', async () => (await token()) !== created);
    await until('the replacement joins with it', async () => (await readyWorkers()) === before);
  }, 180_000);

  it('another week later: an update that adds a node mints its own token first, and the node joins', async () => {
    const previous = await token();
    const before = await readyWorkers();
    await jump(WEEK);
    const put = await cp.request('PUT', `/v1/clusters/${NAME}/instance-groups/nodes`, { min: before + 1, max: before + 1 });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const res = await cp.request<{ operation: { id: string } }>('POST', `/v1/clusters/${NAME}/update`);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const op = await cp.waitForOperation(res.body.operation.id, 120_000);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(await token()).not.toBe(previous);
    await until('the added node joins', async () => (await readyWorkers()) === before + 1);
  }, 180_000);
});
