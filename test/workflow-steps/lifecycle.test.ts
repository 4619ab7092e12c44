/** The steps every workflow starts and ends with: run twice, they leave the same record. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginWorkflow, step as beginStep } from '../../functions/workflow/begin-workflow';
import { failWorkflow } from '../../functions/workflow/fail-workflow';
import { finishWorkflow } from '../../functions/workflow/finish-workflow';
import { operationInterrupted } from '../../functions/workflow/operation-interrupted';
import { startStepEnv, type StepEnv } from '../helpers/step-env';

let env: StepEnv;
beforeAll(async () => {
  env = await startStepEnv();
});
afterAll(() => env.stop());

describe('workflow lifecycle steps', () => {
  it('begins twice with the same context and refuses an operation that does not hold the lock', async () => {
    const { operationId } = await env.createCluster({ name: 'life', region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'], natMode: 'single' });
    const first = await beginWorkflow({ cluster: 'life', operationId, type: 'create' }, env.deps);
    expect(first).toMatchObject({ zones: ['us-east-1a', 'us-east-1b'], natZones: ['us-east-1a'], groups: ['nodes'] });
    expect(await beginWorkflow({ cluster: 'life', operationId, type: 'create' }, env.deps)).toEqual(first);
    expect((await env.deps.store.getCluster('life'))?.status).toBe('Creating');
    await expect(beginWorkflow({ cluster: 'life', operationId: 'someone-else', type: 'create' }, env.deps)).rejects.toThrow(/does not hold cluster life/);
  });

  it('finishes twice with one Succeeded operation and the lock released', async () => {
    const { operationId } = await env.createCluster({ name: 'done', region: 'us-east-1' });
    await beginWorkflow({ cluster: 'done', operationId, type: 'create' }, env.deps);
    await finishWorkflow({ cluster: 'done', operationId, status: 'Ready', kubernetesVersion: '1.34.1' }, env.deps);
    const once = await env.deps.store.getOperation(operationId);
    await finishWorkflow({ cluster: 'done', operationId, status: 'Ready', kubernetesVersion: '1.34.1' }, env.deps);
    expect(await env.deps.store.getOperation(operationId)).toEqual(once);
    const cluster = await env.deps.store.getCluster('done');
    expect(cluster).toMatchObject({ status: 'Ready', kubernetesVersion: '1.34.1' });
    expect(cluster?.lock).toBeUndefined();
  });

  it('marks the operation ended last: whoever sees it ended finds the cluster written and free; a rerun after a crash in between finishes it', async () => {
    const { operationId } = await env.createCluster({ name: 'order', region: 'us-east-1' });
    // As the state machine calls it: the Prepare stage marks the operation Running.
    await beginStep.run({ cluster: 'order', operationId, type: 'create', stage: 'Prepare', endsStage: true }, undefined, env.deps);
    // The first run closed the lock and died before marking the operation.
    const store = env.deps.store;
    const finishOperation = store.finishOperation.bind(store);
    store.finishOperation = () => Promise.reject(new Error('Lambda died'));
    try {
      await expect(finishWorkflow({ cluster: 'order', operationId, status: 'Ready' }, env.deps)).rejects.toThrow('Lambda died');
    } finally {
      store.finishOperation = finishOperation;
    }
    expect((await store.getOperation(operationId))?.status).toBe('Running');
    expect(await store.getCluster('order')).toMatchObject({ status: 'Ready' });
    expect((await store.getCluster('order'))?.lock).toBeUndefined();
    // The state machine's retry.
    await finishWorkflow({ cluster: 'order', operationId, status: 'Ready' }, env.deps);
    expect((await store.getOperation(operationId))?.status).toBe('Succeeded');
  });

  it('records a failure once, naming the failed stage, and releases the lock', async () => {
    const { operationId } = await env.createCluster({ name: 'broke', region: 'us-east-1' });
    await env.deps.store.startStep(operationId, 'ControlPlane');
    const failure = { Error: 'StepFailedError', Cause: JSON.stringify({ errorType: 'StepFailedError', errorMessage: 'InitControlPlane failed on i-1: kubeadm init: [ERROR Port-6443]' }) };
    await failWorkflow({ cluster: 'broke', operationId, status: 'Failed', failure }, env.deps);
    const once = await env.deps.store.getOperation(operationId);
    await failWorkflow({ cluster: 'broke', operationId, status: 'Failed', failure }, env.deps);
    expect(await env.deps.store.getOperation(operationId)).toEqual(once);
    expect(once?.error).toMatchObject({ code: 'StepFailedError', step: 'ControlPlane', message: expect.stringContaining('kubeadm init') });
    expect((await env.deps.store.getCluster('broke'))?.lock).toBeUndefined();
  });

  it('marks an operation whose execution died Interrupted, once, and ignores executions that are not its own', async () => {
    const { operationId } = await env.createCluster({ name: 'cut', region: 'us-east-1' });
    const arn = 'arn:aws:states:us-east-1:000000000000:execution:hopper-dev-create-cluster:' + operationId;
    await env.deps.store.setExecutionArn(operationId, arn);
    const bake = { detail: { executionArn: arn.replace('create-cluster', 'bake-image'), status: 'FAILED', input: JSON.stringify({ cluster: 'cut', operationId }) } };
    expect(await operationInterrupted(bake, env.deps)).toMatchObject({ interrupted: false });
    expect((await env.deps.store.getOperation(operationId))?.status).toBe('Running');
    const stopped = { detail: { executionArn: arn, status: 'ABORTED', input: JSON.stringify({ cluster: 'cut', operationId }) } };
    expect(await operationInterrupted(stopped, env.deps)).toMatchObject({ interrupted: true });
    expect(await operationInterrupted(stopped, env.deps)).toMatchObject({ interrupted: false });
    expect((await env.deps.store.getOperation(operationId))?.status).toBe('Interrupted');
  });
});
