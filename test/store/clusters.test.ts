import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, VersionConflictError } from '../../shared/errors';
import { ClusterStore } from '../../shared/store';
import { asObject, opaque } from './opaque';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';

let dynamo: TestDynamo;
let store: ClusterStore;

beforeAll(async () => {
  dynamo = await startDynalite();
  store = new ClusterStore({ ddb: dynamo.ddb, tableName: dynamo.tableName });
});
afterAll(() => dynamo.stop());

describe('cluster records', () => {
  it('creates a Pending cluster at version 1 and reads it back', async () => {
    const { cluster } = await store.createCluster({ name: 'alpha', spec: opaque({ region: 'eu-west-1' }) });
    expect(cluster).toMatchObject({ name: 'alpha', status: 'Pending', version: 1, spec: opaque({ region: 'eu-west-1' }) });
    expect(await store.getCluster('alpha')).toEqual(cluster);
  });

  it('refuses a second cluster with a live name: ConflictError "name taken"', async () => {
    await store.createCluster({ name: 'taken', spec: opaque({}) });
    const attempt = store.createCluster({ name: 'taken', spec: opaque({ other: true }) });
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toThrow(/^name taken/);
    expect((await store.getCluster('taken'))?.spec).toEqual({});
  });

  it('reuses the name of a Deleted cluster with a new uid and keeps the old incarnation in history', async () => {
    const { cluster: first } = await store.createCluster({ name: 'reborn', spec: opaque({ generation: 1 }) });
    await store.updateCluster('reborn', first.version, { status: 'Deleted' });
    const { cluster: second } = await store.createCluster({ name: 'reborn', spec: opaque({ generation: 2 }) });

    expect(second.uid).not.toBe(first.uid);
    expect(await store.getCluster('reborn')).toMatchObject({ uid: second.uid, status: 'Pending', spec: opaque({ generation: 2 }) });
    const history = await store.listClusterHistory('reborn');
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ uid: first.uid, status: 'Deleted', spec: opaque({ generation: 1 }) });
  });

  it('retrying a create with the same operationId returns the incarnation it created', async () => {
    const operation = { operationId: 'op-create-retry', type: 'create', owner: 'api', leaseSeconds: 60 };
    const first = await store.createCluster({ name: 'retried', spec: opaque({}), operation });
    const again = await store.createCluster({ name: 'retried', spec: opaque({}), operation });
    expect(again.cluster.uid).toBe(first.cluster.uid);
    expect(again.operation?.id).toBe('op-create-retry');
  });

  it('updateCluster applies a patch at the expected version and bumps it', async () => {
    const { cluster } = await store.createCluster({ name: 'patched', spec: opaque({}) });
    const updated = await store.updateCluster('patched', cluster.version, {
      status: 'Ready',
      kubernetesVersion: '1.33.1',
      instanceGroups: { nodes: { min: 2, max: 4, ready: 2 } },
    });
    expect(updated).toMatchObject({ version: 2, status: 'Ready', kubernetesVersion: '1.33.1', instanceGroups: { nodes: { ready: 2 } } });
  });

  it('updateCluster at a stale version throws VersionConflictError and changes nothing', async () => {
    const { cluster } = await store.createCluster({ name: 'stale', spec: opaque({ n: 0 }) });
    await store.updateCluster('stale', cluster.version, { spec: opaque({ n: 1 }) });
    await expect(store.updateCluster('stale', cluster.version, { spec: opaque({ n: 2 }) })).rejects.toBeInstanceOf(VersionConflictError);
    expect((await store.getCluster('stale'))?.spec).toEqual({ n: 1 });
  });

  it('updateCluster on an unknown name throws NotFoundError instead of creating an item', async () => {
    await expect(store.updateCluster('ghost', 1, { status: 'Ready' })).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.getCluster('ghost')).toBeUndefined();
  });

  it('loses no update when 20 writers add their own label through mutateCluster at once', async () => {
    await store.createCluster({ name: 'crowded', spec: opaque({ labels: {} }) });
    const writers = Array.from({ length: 20 }, (_, i) =>
      store.mutateCluster('crowded', (cluster) => ({
        spec: opaque({ ...asObject(cluster.spec), labels: { ...(asObject(cluster.spec).labels as Record<string, string>), [`writer-${i}`]: 'yes' } }),
      })),
    );
    await Promise.all(writers);
    const cluster = await store.getCluster('crowded');
    expect(Object.keys(asObject(cluster!.spec).labels as object).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `writer-${i}`).sort(),
    );
    expect(cluster?.version).toBe(21);
  });

  it('mutateCluster writes nothing when the function returns no patch', async () => {
    const { cluster } = await store.createCluster({ name: 'untouched', spec: opaque({}) });
    const result = await store.mutateCluster('untouched', () => undefined);
    expect(result.version).toBe(cluster.version);
  });

  it('lists clusters by status through the index, and hides Deleted ones unless asked', async () => {
    const a = await store.createCluster({ name: 'list-a', spec: opaque({}) });
    await store.createCluster({ name: 'list-b', spec: opaque({}) });
    const c = await store.createCluster({ name: 'list-c', spec: opaque({}) });
    await store.updateCluster('list-a', a.cluster.version, { status: 'Ready' });
    await store.updateCluster('list-c', c.cluster.version, { status: 'Deleted' });

    expect((await store.listClusters({ status: 'Ready' })).map((x) => x.name)).toContain('list-a');
    expect((await store.listClusters({ status: 'Ready' })).every((x) => x.status === 'Ready')).toBe(true);
    expect((await store.listClusters({ status: 'Pending' })).map((x) => x.name)).toContain('list-b');
    expect((await store.listClusters({ status: 'Pending' })).map((x) => x.name)).not.toContain('list-a');
    const all = (await store.listClusters()).map((x) => x.name);
    expect(all).toEqual(expect.arrayContaining(['list-a', 'list-b']));
    expect(all).not.toContain('list-c');
    expect((await store.listClusters({ includeDeleted: true })).map((x) => x.name)).toContain('list-c');
  });
});
