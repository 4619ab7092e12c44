/**
 * The hourly join-token refresh on its schedule, with nobody invoking anything: the schedules
 * run on the simulated clock, and a jump past the token's lifetime fires the refresh that fell
 * inside it (EventBridge's catch-up). Then the group scales out on its own — as the cluster
 * autoscaler or a person in the console would, with no Hopper operation — and the new node
 * joins with the token the schedule left in Parameter Store.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AutoScalingClient, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';

const NAME = 'hourly';
const HOUR = 3600;
const admin = { accessKeyId: 'admin', secretAccessKey: 'admin' };

let cp: TestControlPlane;
let ssm: SSMClient;
let autoscaling: AutoScalingClient;

const token = async () => (await ssm.send(new GetParameterCommand({ Name: `/hopper/${NAME}/join/token`, WithDecryption: true }))).Parameter?.Value ?? '';

async function readyWorkers(): Promise<number> {
  const body = (await (await fetch(`${cp.cloud}/_sim/kubernetes`)).json()) as { clusters: { clusterName?: string; nodes: { role: string; ready: boolean }[] }[] };
  return body.clusters.filter((c) => c.clusterName === NAME).flatMap((c) => c.nodes).filter((n) => n.role !== 'control-plane' && n.ready).length;
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !(await fn()); await new Promise((r) => setTimeout(r, 200))) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
  }
}

beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400, schedules: true });
  ssm = new SSMClient({ endpoint: cp.cloud, region: 'us-east-1', credentials: admin });
  autoscaling = new AutoScalingClient({ endpoint: cp.cloud, region: 'us-east-1', credentials: admin });
  const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', {
    name: NAME,
    region: 'us-east-1',
    zones: ['us-east-1a'],
    topology: 'public',
    instanceGroups: [{ name: 'nodes', min: 1, max: 3 }],
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const op = await cp.waitForOperation(res.body.operation.id, 240_000);
  expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
}, 300_000);
afterAll(async () => {
  ssm?.destroy();
  autoscaling?.destroy();
  await cp?.stop();
});

describe('the hourly join-token refresh, on its schedule', () => {
  it('leaves a valid token after a jump past the last one\'s lifetime, and a node the group adds on its own joins with it', async () => {
    const created = await token();
    const before = await readyWorkers();
    expect(before).toBe(1);
    // Three hours on: the create's token (two hours) has lapsed; the refresh that fell inside the jump has run.
    const jump = await fetch(`${cp.cloud}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 3 * HOUR }) });
    expect(jump.status).toBe(200);
    await cp.embedded.eventBridge.idle();
    await until('the schedule writes a fresh token', async () => (await token()) !== created);
    expect(await token()).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    // The group grows with no Hopper operation: its new instance reads the token at boot and joins.
    await autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: `nodes.${NAME}`, DesiredCapacity: 2 }));
    await until('the added node joins and is Ready', async () => (await readyWorkers()) === 2, 90_000);
    const ops = (await cp.request<{ operations: { type: string }[] }>('GET', `/v1/clusters/${NAME}/operations`)).body.operations;
    expect(ops.map((o) => o.type)).toEqual(['create']);
  }, 180_000);
});
