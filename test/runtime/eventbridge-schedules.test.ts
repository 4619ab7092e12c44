/**
 * Schedules on the simulated clock: they fire as it passes their times, and a jump of the
 * clock is a catch-up — each schedule that came due inside it fires once, stamped with the
 * last time it was due. AWS services' own events come in through the service door, and a
 * customer's PutEvents may not pretend to be one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEventBridge, type EventBridgeServer, type EventEnvelope } from '../../local/runtime/eventbridge';
import type { LambdaInvoker } from '../../local/runtime/lambda';
import type { FunctionConfig } from '../../local/runtime/serverless-config';

const HOUR = 3_600_000;
const start = Date.parse('2027-03-01T00:00:00Z');

function fn(name: string, events: FunctionConfig['events']): FunctionConfig {
  return { name, handlerFile: '/dev/null', exportName: 'handler', environment: {}, timeout: 30, events };
}

let bus: EventBridgeServer | undefined;
afterEach(async () => {
  await bus?.close();
  bus = undefined;
});

async function world(functions: FunctionConfig[]) {
  let now = start;
  const calls: { fn: string; event: EventEnvelope }[] = [];
  const lambda: LambdaInvoker = {
    region: 'us-east-1',
    get: (name) => functions.find((f) => f.name === name),
    invoke: async (name, event) => {
      calls.push({ fn: name, event: event as EventEnvelope });
      return {};
    },
  };
  bus = await startEventBridge({ port: 0, region: 'us-east-1', functions: Object.fromEntries(functions.map((f) => [f.name, f])), lambda, clock: async () => now });
  const settle = async () => {
    await new Promise((r) => setTimeout(r, 600));
    await bus!.idle();
  };
  return { calls, settle, set: (ms: number) => (now = ms) };
}

describe('EventBridge schedules on the simulated clock', () => {
  it('fire as simulated time passes them, and once per schedule for a jump over many of their times', async () => {
    const w = await world([
      fn('hourly', [{ type: 'schedule', expression: 'rate(1 hour)', enabled: true }]),
      fn('daily', [{ type: 'schedule', expression: 'cron(0 3 * * ? *)', enabled: true }]),
    ]);
    await w.settle();
    expect(w.calls).toEqual([]);

    w.set(start + HOUR + 1000);
    await w.settle();
    expect(w.calls.map((c) => c.fn)).toEqual(['hourly']);

    // Thirty days ahead in one jump: each fires once, stamped with its last due time.
    w.set(start + 30 * 24 * HOUR + 1000);
    await w.settle();
    expect(w.calls.map((c) => c.fn).sort()).toEqual(['daily', 'hourly', 'hourly']);
    const times = Object.fromEntries(w.calls.slice(1).map((c) => [c.fn, c.event.time]));
    expect(times).toEqual({ daily: '2027-03-30T03:00:00Z', hourly: '2027-03-31T00:00:00Z' });
    expect(w.calls[1].event['detail-type']).toBe('Scheduled Event');

    // And then on as usual.
    w.set(start + 30 * 24 * HOUR + HOUR + 1000);
    await w.settle();
    expect(w.calls.filter((c) => c.fn === 'hourly')).toHaveLength(3);
  });
});

describe('AWS service events', () => {
  it('come in through the service door; a PutEvents with an aws.* source is refused for that entry', async () => {
    const w = await world([fn('onSpot', [{ type: 'eventBridge', pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] } }])]);
    const detail = JSON.stringify({ 'instance-id': 'i-0123456789abcdef0', 'instance-action': 'terminate' });
    const door = await fetch(`${bus!.url}/_aws/service-events`, {
      method: 'POST',
      body: JSON.stringify({ Source: 'aws.ec2', DetailType: 'EC2 Spot Instance Interruption Warning', Detail: detail, Resources: [], Time: '2027-03-01T00:00:00.000Z' }),
    });
    expect(door.status).toBe(200);
    const forged = await fetch(bus!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: JSON.stringify({ Entries: [{ Source: 'aws.ec2', DetailType: 'EC2 Spot Instance Interruption Warning', Detail: detail }] }),
    });
    expect(await forged.json()).toMatchObject({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'NotAuthorizedForSourceException' }] });
    const notAws = await fetch(`${bus!.url}/_aws/service-events`, { method: 'POST', body: JSON.stringify({ Source: 'hopper.scaling', DetailType: 'x', Detail: '{}' }) });
    expect(notAws.status).toBe(400);
    await w.settle();
    expect(w.calls).toHaveLength(1);
    expect(w.calls[0].event).toMatchObject({ source: 'aws.ec2', time: '2027-03-01T00:00:00Z', detail: { 'instance-id': 'i-0123456789abcdef0' } });
  });
});
