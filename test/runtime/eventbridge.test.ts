import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEventBridge, type EventBridgeServer } from '../../local/runtime/eventbridge';
import { createLambdaInvoker } from '../../local/runtime/lambda';
import { loadFixture } from './helpers';

const received = () => ((globalThis as unknown as { __fixtureEvents?: unknown[] }).__fixtureEvents ??= []);

describe('local EventBridge PutEvents', () => {
  let events: EventBridgeServer;

  beforeAll(async () => {
    const config = loadFixture();
    events = await startEventBridge({
      port: 0,
      region: config.region,
      functions: config.functions,
      lambda: createLambdaInvoker(config.functions, config.region),
      schedules: false,
    });
  });
  afterAll(() => events.close());
  beforeEach(() => {
    received().length = 0;
  });

  /** PutEvents exactly as @aws-sdk/client-eventbridge sends it (AWS JSON 1.1). */
  async function putEvents(entries: Record<string, unknown>[]) {
    const res = await fetch(events.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: JSON.stringify({ Entries: entries }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { FailedEntryCount: number; Entries: { EventId?: string; ErrorCode?: string }[] };
  }

  const entry = (detailType: string, detail: Record<string, unknown>, source = 'hopper.test') => ({
    Source: source,
    DetailType: detailType,
    Detail: JSON.stringify(detail),
  });

  it('delivers matching events to the function in the EventBridge envelope', async () => {
    const reply = await putEvents([entry('ClusterChanged', { cluster: 'a', status: 'Ready' })]);
    expect(reply.FailedEntryCount).toBe(0);
    expect(reply.Entries[0].EventId).toMatch(/^[0-9a-f-]{36}$/);
    await events.idle();
    expect(received()).toEqual([
      {
        version: '0',
        id: reply.Entries[0].EventId,
        'detail-type': 'ClusterChanged',
        source: 'hopper.test',
        account: '000000000000',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        region: 'us-east-1',
        resources: [],
        detail: { cluster: 'a', status: 'Ready' },
      },
    ]);
  });

  it.each([
    ['another source', entry('ClusterChanged', { cluster: 'a', status: 'Ready' }, 'other')],
    ['a detail-type without the prefix', entry('NodeChanged', { cluster: 'a', status: 'Ready' })],
    ['an anything-but value', entry('ClusterChanged', { cluster: 'a', status: 'Deleted' })],
    ['a missing field that must exist', entry('ClusterChanged', { status: 'Ready' })],
  ])('does not deliver an event with %s', async (_case, event) => {
    const reply = await putEvents([event]);
    expect(reply.FailedEntryCount).toBe(0);
    await events.idle();
    expect(received()).toEqual([]);
  });

  it('reports malformed entries as failed without dropping the others', async () => {
    const reply = await putEvents([{ Source: 'hopper.test', DetailType: 'ClusterX', Detail: 'not json' }, entry('ClusterY', { cluster: 'b', status: 'New' })]);
    expect(reply.FailedEntryCount).toBe(1);
    expect(reply.Entries[0].ErrorCode).toBe('MalformedDetail');
    await events.idle();
    expect(received()).toHaveLength(1);
  });
});
