/**
 * A fenced step's entry returns the cluster record it wrote, and the step's first read of its
 * cluster (`loadCluster`) is that record rather than another GetItem; a later read in the same
 * invocation goes to the store, so it sees what the step itself changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { loadCluster } from '../../functions/lib/cluster';
import { defineStep, stepEnvelope } from '../../functions/lib/step';
import { table } from '../../shared/aws/iam';
import { startStepEnv, type StepEnv } from '../helpers/step-env';

let env: StepEnv;
beforeAll(async () => {
  env = await startStepEnv();
}, 60_000);
afterAll(() => env?.stop());

describe('a fenced step reading its cluster', () => {
  it('reads it once from its entry, and again from the store after changing it', async () => {
    const { operationId } = await env.createCluster({ name: 'entered', region: 'us-east-1', zones: ['us-east-1a'] });
    const step = defineStep({
      name: 'ReadTwice',
      input: stepEnvelope,
      permissions: [table('GetItem', 'PutItem', 'UpdateItem')],
      fenced: true,
      run: async (input, deps) => {
        const first = await loadCluster(deps, input.cluster);
        await deps.store.mutateCluster(input.cluster, () => ({ message: 'changed by the step' }));
        const second = await loadCluster(deps, input.cluster);
        return { first: first.record, second: second.record };
      },
    });
    const reads: string[] = [];
    const store = Object.create(env.deps.store) as typeof env.deps.store;
    store.requireCluster = (name: string) => {
      reads.push(name);
      return env.deps.store.requireCluster(name);
    };
    const out = (await step.run({ cluster: 'entered', operationId }, undefined, { ...env.deps, store })) as z.infer<z.ZodAny>;
    // The first read came with the entry: the step's own ticket is in its lock.
    expect(Object.keys(out.first.lock.inflight)).toEqual([expect.stringMatching(/^ReadTwice#/)]);
    expect(out.first.message ?? '').toBe('');
    expect(out.second.message).toBe('changed by the step');
    expect(reads).toEqual(['entered']);
  });
});
