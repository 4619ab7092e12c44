/**
 * Cluster records: one item per cluster name holding the live incarnation (and its
 * operation lock, see locks.ts). Every content change is a conditional write on
 * `version` (optimistic locking); a name is reusable once its incarnation is Deleted.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError, VersionConflictError } from '../errors';
import { backoff, compact, isConditionFailed, type StoreContext } from './context';
import { CLUSTER_SK, CLUSTERS_GSI_PK, HIST_PREFIX, clusterGsiSk, clusterPk, historySk, stripKeys } from './keys';
import { readClusterItem, requireReadable, type UnreadableRecord } from './read-record';
import { GSI1 } from './table';
import type { ClusterPatch, ClusterRecord, ClusterStatus } from './types';

/** The cluster record as an item, with its keys. */
export function clusterItem(cluster: ClusterRecord): Record<string, unknown> {
  return compact({
    pk: clusterPk(cluster.name),
    sk: CLUSTER_SK,
    gsi1pk: CLUSTERS_GSI_PK,
    gsi1sk: clusterGsiSk(cluster.status, cluster.name),
    entity: 'cluster',
    ...cluster,
  });
}

export async function getCluster(ctx: StoreContext, name: string): Promise<ClusterRecord | undefined> {
  const out = await ctx.ddb.send(
    new GetCommand({ TableName: ctx.table, Key: { pk: clusterPk(name), sk: CLUSTER_SK }, ConsistentRead: true }),
  );
  return out.Item ? requireReadable(out.Item) : undefined;
}

/** The live incarnation; NotFoundError when the name is unknown or its incarnation is Deleted. */
export async function requireCluster(ctx: StoreContext, name: string): Promise<ClusterRecord> {
  const cluster = await getCluster(ctx, name);
  if (!cluster || cluster.status === 'Deleted') throw new NotFoundError(`cluster ${name} not found`);
  return cluster;
}

/**
 * Store a new incarnation under `name`. The name must be absent, or its previous incarnation
 * Deleted: that one is first copied to a history item (so a crash between the two writes
 * loses nothing), then replaced. Otherwise ConflictError('name taken …').
 */
export async function putNewCluster(ctx: StoreContext, cluster: ClusterRecord): Promise<void> {
  const previous = await getCluster(ctx, cluster.name);
  if (previous && previous.status !== 'Deleted') throw nameTaken(previous);
  if (previous) {
    await ctx.ddb.send(
      new PutCommand({
        TableName: ctx.table,
        // Keyed by the old incarnation's uid: writing it again writes the same item.
        Item: compact({
          pk: clusterPk(previous.name),
          sk: historySk(previous.createdAt, previous.uid),
          entity: 'cluster-history',
          ...previous,
        }),
      }),
    );
  }
  try {
    await ctx.ddb.send(
      new PutCommand({
        TableName: ctx.table,
        Item: clusterItem(cluster),
        ...(previous
          ? {
              // Replace only the very Deleted incarnation we archived, not one created since.
              ConditionExpression: '#status = :deleted AND #uid = :previousUid',
              ExpressionAttributeNames: { '#status': 'status', '#uid': 'uid' },
              ExpressionAttributeValues: { ':deleted': 'Deleted', ':previousUid': previous.uid },
            }
          : // Nobody may have created the name since we looked.
            { ConditionExpression: 'attribute_not_exists(pk)' }),
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    const winner = await getCluster(ctx, cluster.name);
    throw winner ? nameTaken(winner) : new ConflictError(`name taken: cluster ${cluster.name} changed concurrently`);
  }
}

function nameTaken(existing: ClusterRecord): ConflictError {
  return new ConflictError(`name taken: cluster ${existing.name} exists (status ${existing.status})`, [
    { cluster: existing.name, uid: existing.uid, status: existing.status },
  ]);
}

/** Earlier (Deleted) incarnations of a name, oldest first. */
export async function listClusterHistory(ctx: StoreContext, name: string): Promise<ClusterRecord[]> {
  const out = await ctx.ddb.send(
    new QueryCommand({
      TableName: ctx.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': clusterPk(name), ':prefix': HIST_PREFIX },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((item) => stripKeys<ClusterRecord>(item));
}

/**
 * Clusters by name, through gsi1 (eventually consistent in AWS). With `status`, only those
 * in that status; without, every cluster but Deleted ones unless `includeDeleted`.
 */
/** Clusters sorted by name, and the records that do not parse, each reported on its own. */
export async function listClusterRecords(
  ctx: StoreContext,
  filter: { status?: ClusterStatus; includeDeleted?: boolean } = {},
): Promise<{ clusters: ClusterRecord[]; unreadable: UnreadableRecord[] }> {
  const clusters: ClusterRecord[] = [];
  const unreadable: UnreadableRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await ctx.ddb.send(
      new QueryCommand({
        TableName: ctx.table,
        IndexName: GSI1,
        // gsi1sk is "<status>#<name>": a status filter is a prefix of the sort key.
        KeyConditionExpression: filter.status ? 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)' : 'gsi1pk = :pk',
        ExpressionAttributeValues: {
          ':pk': CLUSTERS_GSI_PK,
          ...(filter.status ? { ':prefix': `${filter.status}#` } : {}),
        },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of out.Items ?? []) {
      const read = readClusterItem(item);
      if ('record' in read) clusters.push(read.record);
      else unreadable.push(read.unreadable);
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  const visible = filter.status || filter.includeDeleted ? clusters : clusters.filter((c) => c.status !== 'Deleted');
  return { clusters: visible.sort((a, b) => a.name.localeCompare(b.name)), unreadable };
}

/** Clusters sorted by name (see listClusterRecords); records that do not parse are left out. */
export async function listClusters(ctx: StoreContext, filter: { status?: ClusterStatus; includeDeleted?: boolean } = {}): Promise<ClusterRecord[]> {
  return (await listClusterRecords(ctx, filter)).clusters;
}

const PATCHABLE: ReadonlyArray<keyof ClusterPatch> = [
  'spec',
  'status',
  'kubernetesVersion',
  'instanceGroups',
  'message',
  'lastOperationId',
  'certificatesExpireAt',
];

/** SET clauses, names and values for a patch (plus `updatedAt`, `version` and the GSI sort key). */
export function patchExpression(name: string, patch: ClusterPatch, now: string) {
  const sets = ['#updatedAt = :now', '#version = #version + :one'];
  const names: Record<string, string> = { '#updatedAt': 'updatedAt', '#version': 'version' };
  const values: Record<string, unknown> = { ':now': now, ':one': 1 };
  for (const field of PATCHABLE) {
    if (patch[field] === undefined) continue;
    sets.push(`#${field} = :${field}`);
    names[`#${field}`] = field;
    values[`:${field}`] = compact(patch[field]);
  }
  if (patch.status !== undefined) {
    // The status index key must follow the status.
    sets.push('#gsi1sk = :gsi1sk');
    names['#gsi1sk'] = 'gsi1sk';
    values[':gsi1sk'] = clusterGsiSk(patch.status, name);
  }
  return { sets, names, values };
}

/**
 * Apply `patch` if the stored version is still `expectedVersion`; returns the new record.
 * VersionConflictError when someone wrote in between, NotFoundError when there is no such cluster.
 * The operation lock is never touched here.
 */
export async function updateCluster(
  ctx: StoreContext,
  name: string,
  expectedVersion: number,
  patch: ClusterPatch,
): Promise<ClusterRecord> {
  const { sets, names, values } = patchExpression(name, patch, ctx.now().toISOString());
  try {
    const out = await ctx.ddb.send(
      new UpdateCommand({
        TableName: ctx.table,
        Key: { pk: clusterPk(name), sk: CLUSTER_SK },
        UpdateExpression: `SET ${sets.join(', ')}`,
        // Optimistic lock; also false when the item is absent, so no upsert can happen.
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ':expected': expectedVersion },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return stripKeys<ClusterRecord>(out.Attributes ?? {});
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    const current = await getCluster(ctx, name);
    if (!current) throw new NotFoundError(`cluster ${name} not found`);
    throw new VersionConflictError(`cluster ${name}: expected version ${expectedVersion}, found ${current.version}`);
  }
}

/**
 * Read the cluster, let `fn` compute a patch from it (`undefined` = nothing to change), write
 * it conditionally, and start over from a fresh read when another writer got in first.
 */
export async function mutateCluster(
  ctx: StoreContext,
  name: string,
  fn: (cluster: ClusterRecord) => ClusterPatch | undefined | Promise<ClusterPatch | undefined>,
  options: { maxAttempts?: number } = {},
): Promise<ClusterRecord> {
  const maxAttempts = options.maxAttempts ?? 30;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await getCluster(ctx, name);
    if (!current) throw new NotFoundError(`cluster ${name} not found`);
    const patch = await fn(structuredClone(current));
    if (patch === undefined || Object.values(patch).every((v) => v === undefined)) return current;
    try {
      return await updateCluster(ctx, name, current.version, patch);
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      await backoff(attempt);
    }
  }
  throw new VersionConflictError(`cluster ${name}: gave up after ${maxAttempts} conflicting writes`);
}
