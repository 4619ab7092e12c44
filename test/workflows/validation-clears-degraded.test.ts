/**
 * A validation that finds every group whole clears the groups' Degraded marks, and turns a
 * cluster Degraded by them Ready again — unless another operation is still at work on the
 * cluster (it may change the groups). One that has ended, its lock closing while a step of it
 * returns, holds nothing any more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishValidation } from '../../functions/workflow/finish-validation';
import { startStepEnv, type StepEnv } from '../helpers/step-env';

let env: StepEnv;
beforeAll(async () => {
  env = await startStepEnv();
}, 60_000);
afterAll(() => env?.stop());

const REASON = 'We currently do not have sufficient spot capacity';

/** A cluster whose `spot` group is Degraded (and the cluster with it), still held by its create. */
async function degraded(name: string): Promise<string> {
  const { operationId } = await env.createCluster({ name, region: 'us-east-1', zones: ['us-east-1a'] });
  await env.deps.store.mutateCluster(name, () => ({
    status: 'Degraded',
    message: REASON,
    instanceGroups: { spot: { status: 'Degraded', reason: REASON, since: new Date().toISOString() } },
  }));
  return operationId;
}

/** A passing validation of `name`, as the validate workflow ends it. */
async function validate(name: string): Promise<void> {
  const record = await env.deps.store.requireCluster(name);
  const operationId = `op-validate-${name}`;
  await env.deps.store.recordOperation(record, { operationId, type: 'validate', owner: 'test', leaseSeconds: 600 });
  await finishValidation({ cluster: name, operationId, result: { ok: true, nodes: [], failures: [] } }, env.deps);
}

describe('a passing validation of a Degraded cluster', () => {
  it('leaves it Degraded while another operation is at work on it, but clears the group marks', async () => {
    await degraded('busy');
    await validate('busy');
    const record = await env.deps.store.requireCluster('busy');
    expect(record.status).toBe('Degraded');
    expect(record.instanceGroups?.spot?.status).not.toBe('Degraded');
  });

  it('makes it Ready once that operation has ended, even while a step of it is still returning', async () => {
    const create = await degraded('ended');
    const ticket = await env.deps.store.enterStep('ended', create, 'LateStep', 60);
    expect(await env.deps.store.closeLock('ended', create)).toMatchObject({ released: false, waitingFor: ['LateStep'] });
    await validate('ended');
    expect((await env.deps.store.requireCluster('ended')).status).toBe('Ready');
    await env.deps.store.exitStep('ended', create, ticket);
    expect((await env.deps.store.requireCluster('ended')).lock).toBeUndefined();
  });
});
