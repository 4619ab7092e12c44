/**
 * Fencing (shared/store/fencing.ts): a step runs only while its operation holds the cluster,
 * and the cluster stays held until every step of an ended operation has returned.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, SupersededError } from '../../shared/errors';
import { ClusterStore } from '../../shared/store';
import { opaque } from './opaque';
import { storeWithHandClock } from './hand-clock';

const world = storeWithHandClock('2030-01-01T00:00:00Z');
const { clock } = world;
let store: ClusterStore;
beforeAll(() => {
  store = world.store;
});

const op = (operationId: string, type = 'create') => ({ operationId, type, owner: `exec-${operationId}`, leaseSeconds: 3600 });

async function held(name: string, operationId: string) {
  await store.createCluster({ name, spec: opaque({ size: 1 }) });
  await store.beginOperation(name, op(operationId));
}

describe('fenced steps', () => {
  it('a step of the holder enters, renews the lease and leaves no trace when it exits', async () => {
    await held('enter', 'op-1');
    clock.ms += 30 * 60_000;
    const ticket = await store.enterStep('enter', 'op-1', 'EnsureVpc', 60);
    // The entry hands the step its cluster as a read right after would find it.
    expect(ticket.record).toEqual(await store.getCluster('enter'));
    const during = (await store.getCluster('enter'))!.lock!;
    expect(during.expiresAt).toBe(clock.ms + 3600_000);
    expect(Object.keys(during.inflight ?? {})).toEqual([ticket.key]);
    await store.exitStep('enter', 'op-1', ticket);
    expect((await store.getCluster('enter'))!.lock).toMatchObject({ operationId: 'op-1', inflight: {} });
  });

  it('a step of an operation that no longer holds the cluster refuses, saying why', async () => {
    await held('taken', 'op-old');
    clock.ms += 2 * 3600_000; // the lease ran out
    await store.beginOperation('taken', op('op-new', 'delete'));
    const refused = store.enterStep('taken', 'op-old', 'EnsureSecurityGroups', 60);
    await expect(refused).rejects.toBeInstanceOf(SupersededError);
    await expect(refused).rejects.toThrow('EnsureSecurityGroups refused to run: operation op-old was superseded: op-new (delete) holds cluster taken. It changed nothing.');
  });

  it('an ended operation starts no new step, and holds the cluster until the steps in flight return', async () => {
    await held('closing', 'op-fail');
    const slow = await store.enterStep('closing', 'op-fail', 'EnsureSecurityGroups', 120);
    const closed = await store.closeLock('closing', 'op-fail');
    expect(closed).toEqual({ released: false, waitingFor: ['EnsureSecurityGroups'] });
    await expect(store.enterStep('closing', 'op-fail', 'EnsureVpc', 60)).rejects.toThrow(/op-fail has ended/);
    // A new operation meanwhile: 409, naming what it waits for.
    const attempt = store.beginOperation('closing', op('op-delete', 'delete'));
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toThrow(/op-fail \(create\) has ended but still holds it until its step EnsureSecurityGroups returns/);
    await store.exitStep('closing', 'op-fail', slow);
    expect((await store.getCluster('closing'))!.lock).toBeUndefined();
    await expect(store.beginOperation('closing', op('op-delete', 'delete'))).resolves.toMatchObject({ retried: false });
  });

  it('an operation whose record has ended but whose last step has not closed the lock yet is waited for, not failed on', async () => {
    // The failure path writes "Failed" on the operation, then closes the lock: a user who
    // saw the failure and deletes at once lands in between.
    await held('ending', 'op-end');
    await store.finishOperation('op-end', { status: 'Failed', error: { code: 'X', message: 'x', step: 'Network' } });
    const attempt = store.beginOperation('ending', op('op-delete', 'delete'));
    await expect(attempt).rejects.toThrow(/op-end \(create\) has ended and is releasing it/);
    const details = ((await attempt.catch((e: unknown) => e)) as ConflictError).details as { endedAt?: string; waitingFor?: string[] }[];
    expect(details[0]).toMatchObject({ endedAt: expect.any(String), waitingFor: ['the end of the workflow'] });
    await store.closeLock('ending', 'op-end');
    await expect(store.beginOperation('ending', op('op-delete', 'delete'))).resolves.toMatchObject({ retried: false });
  });

  it('a step that died without returning holds an ended operation no longer than its Lambda could live', async () => {
    await held('died', 'op-dead');
    await store.enterStep('died', 'op-dead', 'LaunchControlPlane', 300);
    expect(await store.closeLock('died', 'op-dead')).toMatchObject({ released: false });
    clock.ms += 299_000;
    await expect(store.beginOperation('died', op('op-next', 'delete'))).rejects.toBeInstanceOf(ConflictError);
    clock.ms += 2_000;
    await expect(store.beginOperation('died', op('op-next', 'delete'))).resolves.toMatchObject({ tookOverFrom: { operationId: 'op-dead' } });
  });

  it('closing with nothing in flight releases at once; closing twice, or someone else\'s lock, changes nothing', async () => {
    await held('quick', 'op-q');
    expect(await store.closeLock('quick', 'op-q')).toEqual({ released: true });
    expect(await store.closeLock('quick', 'op-q')).toEqual({ released: false, reason: 'not-held' });
    await store.beginOperation('quick', op('op-r'));
    expect(await store.closeLock('quick', 'op-q')).toMatchObject({ released: false, reason: 'held-by-other', heldBy: { operationId: 'op-r' } });
  });
});
