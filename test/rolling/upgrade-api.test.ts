import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../functions/api/deps';
import { upgradeCluster } from '../../functions/api/upgrade-cluster';
import { UnprocessableError } from '../../shared/errors';
import { startStepEnv, type StepEnv } from '../helpers/step-env';

let env: StepEnv;
const started: unknown[] = [];
let deps: ApiDeps;
beforeAll(async () => {
  env = await startStepEnv();
  await env.createCluster({ name: 'up', region: 'us-east-1', zones: ['us-east-1a'], kubernetesVersion: '1.32.9' });
  const record = await env.deps.store.requireCluster('up');
  await env.deps.store.finishOperation(record.lock!.operationId, { status: 'Succeeded' });
  await env.deps.store.releaseLock('up', record.lock!.operationId);
  await env.deps.store.mutateCluster('up', () => ({ status: 'Ready', kubernetesVersion: '1.32.9' }));
  const sfn = { send: async (c: { input: unknown }) => (started.push(c.input), { executionArn: 'arn:aws:states:us-east-1:0:execution:up:x' }) };
  deps = { store: env.deps.store, sfn: sfn as never, ssm: env.deps.clients.ssm, parameterPrefix: '/hopper', parameterKey: env.deps.parameterKey, now: () => new Date(), stateMachineArn: () => 'arn:aws:states:us-east-1:0:stateMachine:up' };
});
afterAll(() => env?.stop());

const req = (body: { kubernetesVersion?: string } | undefined, dryRun = false) => ({ body, params: { name: 'up' }, query: { dryRun }, headers: {}, requestId: 'q' });

describe('POST /v1/clusters/{name}/upgrade', () => {
  it('defaults to the latest patch of the next minor, and a dry run changes nothing', async () => {
    const res = await upgradeCluster(req(undefined, true), deps);
    expect(res).toMatchObject({ status: 200, body: { from: '1.32.9', to: '1.33.5' } });
    expect(started).toEqual([]);
  });

  it.each([
    ['skipping a minor', '1.34.1', /one minor version at a time/],
    ['a downgrade', '1.31.13', /cannot be downgraded/],
  ])('refuses %s with 422', async (_what, version, message) => {
    const err = await upgradeCluster(req({ kubernetesVersion: version }), deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnprocessableError);
    expect(JSON.stringify((err as UnprocessableError).details)).toMatch(message);
    expect((await env.deps.store.requireCluster('up')).lock).toBeUndefined();
  });

  it('stores the target in the spec with the lock, keeps the running version, and starts the workflow: 202', async () => {
    const res = await upgradeCluster(req({ kubernetesVersion: '1.33' }), deps);
    expect(res.status).toBe(202);
    const record = await env.deps.store.requireCluster('up');
    expect((record.spec as { kubernetesVersion: string }).kubernetesVersion).toBe('1.33.5');
    expect(record.kubernetesVersion).toBe('1.32.9');
    expect(record.lock?.type).toBe('upgrade');
    expect(started).toHaveLength(1);
  });
});
