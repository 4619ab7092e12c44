/** Cluster events: an append-only log in the cluster's partition, read newest first. */
import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { clip, compact, type StoreContext } from './context';
import { EVT_PREFIX, clusterPk, eventSk, stripKeys } from './keys';
import { TTL_ATTRIBUTE } from './table';
import type { EventRecord } from './types';

/** Events expire after this long where the table has TTL enabled on `ttl`. */
export const EVENT_RETENTION_SECONDS = 90 * 24 * 3600;

let sequence = 0;

/** Append an event. Ids sort by time; the sequence keeps one process's same-millisecond events in order. */
export async function putEvent(
  ctx: StoreContext,
  cluster: string,
  event: { type: string; message: string; detail?: unknown },
): Promise<EventRecord> {
  const now = ctx.now();
  sequence = (sequence + 1) % 1_000_000;
  const id = `${now.toISOString()}#${String(sequence).padStart(6, '0')}#${randomUUID().slice(0, 8)}`;
  const record: EventRecord = {
    cluster,
    id,
    at: now.toISOString(),
    type: event.type,
    message: clip(event.message),
    ...(event.detail === undefined ? {} : { detail: event.detail }),
  };
  await ctx.ddb.send(
    new PutCommand({
      TableName: ctx.table,
      Item: compact({
        pk: clusterPk(cluster),
        sk: eventSk(id),
        entity: 'event',
        [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + EVENT_RETENTION_SECONDS,
        ...record,
      }),
    }),
  );
  return record;
}

/**
 * The latest `limit` events of a cluster name, newest first, without the expired: DynamoDB
 * deletes an item some time after its TTL has passed, and until then reads still return it.
 * (The filter applies after the limit, but the expired are the oldest: they are the tail.)
 */
export async function listEvents(ctx: StoreContext, cluster: string, limit = 50): Promise<EventRecord[]> {
  const out = await ctx.ddb.send(
    new QueryCommand({
      TableName: ctx.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'attribute_not_exists(#ttl) OR #ttl >= :now',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':pk': clusterPk(cluster), ':prefix': EVT_PREFIX, ':now': Math.floor(ctx.now().getTime() / 1000) },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map((item) => stripKeys<EventRecord>(item));
}
