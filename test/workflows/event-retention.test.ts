/**
 * A cluster's events are kept ninety days (the table's TTL, serverless/resources.yml). When the
 * simulated clock jumps past that, the events it passed are no longer listed — DynamoDB still
 * returns an expired item until it gets round to deleting it, so Hopper filters — and the
 * embedded DynamoDB deletes them, as DynamoDB's TTL does. Newer events stay.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { localDynamoClients } from '../../local/dynamo';
import { ClusterStore } from '../../shared/store';
import { EVENT_RETENTION_SECONDS } from '../../shared/store/events';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';
import { opaque } from '../store/opaque';

const NAME = 'aging';
const DAY = 86_400;

let cp: TestControlPlane;
let clients: ReturnType<typeof localDynamoClients>;
let store: ClusterStore;
/** The table the runtime made (its name is in the environment once it started). */
let TABLE: string;
beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 1 });
  TABLE = process.env.HOPPER_TABLE!;
  clients = localDynamoClients(cp.embedded.urls.dynamodb);
  store = new ClusterStore({ ddb: clients.ddb, tableName: TABLE });
  await store.createCluster({ name: NAME, spec: opaque({ name: NAME }), status: 'Ready' });
}, 60_000);
afterAll(async () => {
  clients?.ddb.destroy();
  await cp?.stop();
});

const jump = async (seconds: number) => {
  const res = await fetch(`${cp.cloud}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: seconds }) });
  expect(res.status).toBe(200);
};
const listed = async () => (await cp.request<{ events: { type: string }[] }>('GET', `/v1/clusters/${NAME}/events`)).body.events.map((e) => e.type);
const stored = async () =>
  ((await clients.ddb.send(new ScanCommand({ TableName: TABLE, FilterExpression: 'entity = :event', ExpressionAttributeValues: { ':event': 'event' } }))).Items ?? []).map((i) => i.type as string);

it('lists an event for ninety days, then neither lists nor keeps it; a newer one stays', async () => {
  await store.putEvent(NAME, { type: 'Old', message: 'written on day 0' });
  await jump(30 * DAY);
  await store.putEvent(NAME, { type: 'Newer', message: 'written on day 30' });
  await jump(EVENT_RETENTION_SECONDS - 31 * DAY);
  // Day 89: both are there.
  expect(await listed()).toEqual(['Newer', 'Old']);
  await cp.embedded.sweepExpiredItems();
  expect((await stored()).sort()).toEqual(['Newer', 'Old']);

  await jump(2 * DAY);
  // Day 91: the first has expired. Listed no more at once, and deleted by the next sweep.
  expect(await listed()).toEqual(['Newer']);
  // (The background sweep, every half minute, may have been first.)
  await cp.embedded.sweepExpiredItems();
  expect(await stored()).toEqual(['Newer']);
}, 60_000);
