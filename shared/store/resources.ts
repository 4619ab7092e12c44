/**
 * The resource inventory: every cloud resource a cluster created or was given, recorded
 * the moment its id is known, so a delete (or a resumed create) knows what exists.
 */
import { DeleteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { compact, type StoreContext } from './context';
import { RES_PREFIX, clusterPk, resourceSk, stripKeys } from './keys';
import type { JsonObject, ResourceOwnership, ResourceRecord } from './types';

/** What a step reports about a resource. */
export interface ResourceInput {
  type: string;
  id: string;
  zone?: string;
  ownership: ResourceOwnership;
  name?: string;
  attrs?: JsonObject;
}

/**
 * Record (or re-record) a resource, keyed by type and id. Idempotent: the fields are
 * replaced by the ones given, and `recordedAt` keeps the time of the first record.
 */
export async function recordResource(ctx: StoreContext, cluster: string, resource: ResourceInput): Promise<ResourceRecord> {
  // Only the known fields: extra properties on the argument must not reach the expression.
  const { type, id, zone, ownership, name, attrs } = resource;
  const fields = compact({ cluster, type, id, zone, ownership, name, attrs }) as Record<string, unknown>;
  const names: Record<string, string> = { '#recordedAt': 'recordedAt', '#entity': 'entity' };
  const values: Record<string, unknown> = { ':now': ctx.now().toISOString(), ':entity': 'resource' };
  const sets = ['#recordedAt = if_not_exists(#recordedAt, :now)', '#entity = :entity'];
  for (const [key, value] of Object.entries(fields)) {
    names[`#${key}`] = key;
    values[`:${key}`] = value;
    sets.push(`#${key} = :${key}`);
  }
  // Optional fields left out this time are removed: the call replaces the record.
  const removed = (['zone', 'name', 'attrs'] as const).filter((key) => fields[key] === undefined);
  for (const key of removed) names[`#${key}`] = key;
  const out = await ctx.ddb.send(
    new UpdateCommand({
      TableName: ctx.table,
      Key: { pk: clusterPk(cluster), sk: resourceSk(resource.type, resource.id) },
      UpdateExpression: `SET ${sets.join(', ')}${removed.length ? ` REMOVE ${removed.map((k) => `#${k}`).join(', ')}` : ''}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    }),
  );
  return stripKeys<ResourceRecord>(out.Attributes ?? {});
}

/** Every resource recorded for a cluster name, ordered by type then id. */
export async function listResources(ctx: StoreContext, cluster: string): Promise<ResourceRecord[]> {
  const resources: ResourceRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await ctx.ddb.send(
      new QueryCommand({
        TableName: ctx.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': clusterPk(cluster), ':prefix': RES_PREFIX },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of out.Items ?? []) resources.push(stripKeys<ResourceRecord>(item));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return resources;
}

/** Forget a resource (it was deleted). Forgetting an unknown one is fine. */
export async function forgetResource(ctx: StoreContext, cluster: string, type: string, id: string): Promise<void> {
  await ctx.ddb.send(
    new DeleteCommand({ TableName: ctx.table, Key: { pk: clusterPk(cluster), sk: resourceSk(type, id) } }),
  );
}
