import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../shared/errors';
import { ClusterStore } from '../../shared/store';
import { opaque } from './opaque';
import { storeWithHandClock } from './hand-clock';

const world = storeWithHandClock('2030-01-01T00:00:00Z');
const { clock } = world;
let store: ClusterStore;
beforeAll(() => {
  store = world.store;
});

const op = (operationId: string, type = 'update') => ({ operationId, type, owner: `exec-${operationId}`, leaseSeconds: 300 });

describe('the operation lock', () => {
  it('takes the lock and stores the new spec and status in the same write', async () => {
    await store.createCluster({ name: 'spec-change', spec: opaque({ size: 1 }) });
    const { cluster, operation } = await store.beginOperation('spec-change', { ...op('op-1'), spec: opaque({ size: 3 }), status: 'Updating' });
    expect(cluster).toMatchObject({ spec: opaque({ size: 3 }), status: 'Updating', lastOperationId: 'op-1', lock: { operationId: 'op-1' } });
    expect(await store.getCluster('spec-change')).toEqual(cluster);
    expect(operation).toMatchObject({ id: 'op-1', cluster: 'spec-change', type: 'update', status: 'Pending', steps: [] });
  });

  it('refuses a second operation while the lock is held, naming the holder, and keeps the spec', async () => {
    await store.createCluster({ name: 'busy', spec: opaque({ size: 1 }) });
    await store.beginOperation('busy', { ...op('op-holder', 'upgrade'), spec: opaque({ size: 2 }) });
    const attempt = store.beginOperation('busy', { ...op('op-late'), spec: opaque({ size: 9 }) });
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toThrow(/op-holder \(upgrade\) holds it since 2030-01-01T00:00:00.000Z/);
    const error = (await attempt.catch((e: unknown) => e)) as ConflictError;
    expect(error.details[0]).toMatchObject({ operationId: 'op-holder', type: 'upgrade', since: '2030-01-01T00:00:00.000Z' });
    expect((await store.getCluster('busy'))?.spec).toEqual({ size: 2 });
    expect(await store.getOperation('op-late')).toBeUndefined();
  });

  it('accepts the same operationId again (a retried request) and keeps one operation record', async () => {
    await store.createCluster({ name: 'retry', spec: opaque({}) });
    const first = await store.beginOperation('retry', op('op-same'));
    await store.startStep('op-same', 'PlanChanges');
    clock.ms += 10_000;
    const again = await store.beginOperation('retry', op('op-same'));
    expect(again.retried).toBe(true);
    expect(again.tookOverFrom).toBeUndefined();
    // The lock keeps its original acquisition time; the lease is extended from the retry.
    expect(again.cluster.lock).toMatchObject({ operationId: 'op-same', since: first.cluster.lock?.since, expiresAt: clock.ms + 300_000 });
    expect((await store.getCluster('retry'))?.lock).toEqual(again.cluster.lock);
    expect(again.operation.steps.map((s) => s.name)).toEqual(['PlanChanges']);
    expect((await store.listOperations('retry')).map((o) => o.id)).toEqual(['op-same']);
  });

  it('takes over a lock whose lease expired, marks the old operation Interrupted and records an event', async () => {
    await store.createCluster({ name: 'expired', spec: opaque({}) });
    await store.beginOperation('expired', { ...op('op-dead'), leaseSeconds: 60 });
    clock.ms += 61_000;
    const result = await store.beginOperation('expired', op('op-new'));
    expect(result.tookOverFrom).toMatchObject({ operationId: 'op-dead' });
    expect(result.operation.tookOverFrom).toMatchObject({ operationId: 'op-dead' });
    expect((await store.getCluster('expired'))?.lock?.operationId).toBe('op-new');
    expect(await store.getOperation('op-dead')).toMatchObject({ status: 'Interrupted', error: { code: 'LeaseExpired' } });
    const [event] = await store.listEvents('expired', 1);
    expect(event).toMatchObject({ type: 'LockTakenOver' });
    expect(event.message).toContain('op-dead');
  });

  it('does not take over a lease that has not expired yet', async () => {
    await store.createCluster({ name: 'renewed', spec: opaque({}) });
    await store.beginOperation('renewed', { ...op('op-alive'), leaseSeconds: 60 });
    clock.ms += 50_000;
    await store.enterStep('renewed', 'op-alive', 'EnsureVpc', 30); // a step starting renews the lease
    clock.ms += 50_000; // 100 s after the start: past the first lease, within the renewed one.
    await expect(store.beginOperation('renewed', op('op-other'))).rejects.toBeInstanceOf(ConflictError);
  });

  it('refuses to renew a lease the operation no longer holds', async () => {
    await store.createCluster({ name: 'lost', spec: opaque({}) });
    await store.beginOperation('lost', { ...op('op-slow'), leaseSeconds: 1 });
    clock.ms += 2_000;
    await store.beginOperation('lost', op('op-fast'));
    await expect(store.enterStep('lost', 'op-slow', 'EnsureVpc', 30)).rejects.toThrow(/op-fast/);
  });

  it('leaves the lock in place when a non-owner releases it, and says whose it is', async () => {
    await store.createCluster({ name: 'not-yours', spec: opaque({}) });
    await store.beginOperation('not-yours', op('op-owner'));
    const result = await store.releaseLock('not-yours', 'op-intruder');
    expect(result).toMatchObject({ released: false, reason: 'held-by-other', heldBy: { operationId: 'op-owner' } });
    expect((await store.getCluster('not-yours'))?.lock?.operationId).toBe('op-owner');
  });

  it('releases the lock for its owner, and releasing twice is fine', async () => {
    await store.createCluster({ name: 'twice', spec: opaque({}) });
    const { cluster } = await store.beginOperation('twice', op('op-done'));
    expect(await store.releaseLock('twice', 'op-done')).toEqual({ released: true });
    expect(await store.releaseLock('twice', 'op-done')).toEqual({ released: false, reason: 'not-held' });
    const after = await store.getCluster('twice');
    expect(after?.lock).toBeUndefined();
    // Lock changes are not content changes: no optimistic-locking conflict for writers.
    expect(after?.version).toBe(cluster.version);
    await store.beginOperation('twice', op('op-next'));
  });

  it('refuses an operation on an unknown or Deleted cluster with NotFoundError', async () => {
    await expect(store.beginOperation('nowhere', op('op-x'))).rejects.toBeInstanceOf(NotFoundError);
    const { cluster } = await store.createCluster({ name: 'gone', spec: opaque({}) });
    await store.updateCluster('gone', cluster.version, { status: 'Deleted' });
    await expect(store.beginOperation('gone', op('op-y'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('creates a cluster already locked by its create operation', async () => {
    const { cluster, operation } = await store.createCluster({ name: 'born-locked', spec: opaque({}), operation: op('op-create', 'create') });
    expect(cluster.lock?.operationId).toBe('op-create');
    expect(operation).toMatchObject({ id: 'op-create', type: 'create', clusterUid: cluster.uid });
    await expect(store.beginOperation('born-locked', op('op-too-early'))).rejects.toThrow(/op-create \(create\)/);
  });
});
