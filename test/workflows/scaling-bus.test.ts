/**
 * Scaling events on their own bus: a named publisher (the account root, by default) scales
 * a group with one event; the same event on the default bus scales nothing; a role whose
 * own policy allows every PutEvents but that the bus's policy does not name is refused, as
 * is a bus that does not exist. EventBridge is the embedded runtime's, judged by the
 * simulator's IAM with the bus policy of serverless/resources.yml.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';
import { refusal } from '../sim/sim-helpers';

const NAME = 'scaled';
let cp: TestControlPlane;
let bus = '';

const scaleEntry = (eventBusName: string, desired: number) => ({
  Source: 'hopper.scaling',
  DetailType: 'ScaleInstanceGroup',
  Detail: JSON.stringify({ cluster: NAME, group: 'nodes', min: 1, max: 4, desired }),
  EventBusName: eventBusName,
});

function client(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): EventBridgeClient {
  return new EventBridgeClient({ endpoint: cp.embedded.urls.eventBridge, region: 'us-east-1', credentials, maxAttempts: 1 });
}

async function scaleOperations(): Promise<{ id: string; type: string; status: string }[]> {
  const res = await cp.request<{ operations: { id: string; type: string; status: string }[] }>('GET', `/v1/clusters/${NAME}/operations`);
  return res.body.operations.filter((o) => o.type === 'scale');
}


beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
  bus = `hopper-${cp.embedded.config.stage}-scaling`;
  const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', { name: NAME, region: 'us-east-1', zones: ['us-east-1a'], topology: 'public' });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const op = await cp.waitForOperation(res.body.operation.id, 240_000);
  expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
}, 300_000);
afterAll(async () => cp?.stop());

describe('scaling events', () => {
  it('from a named publisher on the scaling bus: the group is scaled', async () => {
    const admin = client({ accessKeyId: 'admin', secretAccessKey: 'admin' });
    const out = await admin.send(new PutEventsCommand({ Entries: [scaleEntry(bus, 3)] }));
    expect(out.FailedEntryCount).toBe(0);
    await cp.embedded.eventBridge.idle();
    const [op] = await scaleOperations();
    expect(op, 'a scale operation').toBeDefined();
    expect((await cp.waitForOperation(op.id, 120_000)).status).toBe('Succeeded');
    admin.destroy();
  }, 180_000);

  it('on the default bus: nothing is scaled', async () => {
    const before = (await scaleOperations()).length;
    const admin = client({ accessKeyId: 'admin', secretAccessKey: 'admin' });
    const out = await admin.send(new PutEventsCommand({ Entries: [scaleEntry('default', 2)] }));
    expect(out.FailedEntryCount).toBe(0);
    await cp.embedded.eventBridge.idle();
    expect((await scaleOperations()).length).toBe(before);
    admin.destroy();
  });

  it('from a role allowed every PutEvents by its own policy, but not named by the bus: refused, nothing scaled', async () => {
    const before = (await scaleOperations()).length;
    const put = await fetch(`${cp.cloud}/_sim/iam/roles/any-publisher`, {
      method: 'PUT',
      body: JSON.stringify({ policies: [{ name: 'all-events', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: '*' }] } }] }),
    });
    expect(put.status).toBe(200);
    const session = (await (await fetch(`${cp.cloud}/_sim/iam/roles/any-publisher/sessions`, { method: 'POST', body: '{}' })).json()) as {
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken: string;
    };
    const publisher = client(session);
    const refused = await refusal(publisher.send(new PutEventsCommand({ Entries: [scaleEntry(bus, 4)] })));
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toBe(
      `User: arn:aws:sts::000000000000:assumed-role/any-publisher/any-publisher is not authorized to perform: events:PutEvents on resource: arn:aws:events:us-east-1:000000000000:event-bus/${bus} with an explicit deny in a resource-based policy`,
    );
    // Its own policy does let it publish elsewhere: the bus's policy is what refused it.
    expect((await publisher.send(new PutEventsCommand({ Entries: [scaleEntry('default', 4)] }))).FailedEntryCount).toBe(0);
    await cp.embedded.eventBridge.idle();
    expect((await scaleOperations()).length).toBe(before);
    publisher.destroy();
  });

  it('to a bus that does not exist: ResourceNotFoundException', async () => {
    const admin = client({ accessKeyId: 'admin', secretAccessKey: 'admin' });
    expect((await refusal(admin.send(new PutEventsCommand({ Entries: [scaleEntry('nope', 1)] })))).name).toBe('ResourceNotFoundException');
    admin.destroy();
  });
});
