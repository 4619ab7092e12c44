import { beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../shared/errors';
import { ClusterStore } from '../../shared/store';
import { opaque } from './opaque';
import { storeWithHandClock } from './hand-clock';

const world = storeWithHandClock('2030-06-01T12:00:00Z');
const { clock } = world;
let store: ClusterStore;
beforeAll(() => {
  store = world.store;
});

async function begin(cluster: string, operationId: string, type = 'update') {
  if (!(await store.getCluster(cluster))) await store.createCluster({ name: cluster, spec: opaque({}) });
  await store.beginOperation(cluster, { operationId, type, owner: 'test', leaseSeconds: 600, input: { reason: 'test' } });
}

describe('operation records', () => {
  it('records each step once, in order, however often start and end are repeated', async () => {
    await begin('steps', 'op-steps');
    await store.startStep('op-steps', 'CreateVpc');
    clock.ms += 1_000;
    await store.startStep('op-steps', 'CreateVpc');
    await store.endStep('op-steps', 'CreateVpc', { status: 'Succeeded', detail: { vpcId: 'vpc-1' } });
    const once = await store.getOperation('op-steps');
    clock.ms += 1_000;
    await store.endStep('op-steps', 'CreateVpc', { status: 'Succeeded', detail: { vpcId: 'vpc-1' } });
    expect(await store.getOperation('op-steps')).toEqual(once);

    await store.startStep('op-steps', 'CreateSubnets');
    const op = await store.getOperation('op-steps');
    expect(op?.status).toBe('Running');
    expect(op?.currentStep).toBe('CreateSubnets');
    expect(op?.steps).toEqual([
      {
        name: 'CreateVpc',
        status: 'Succeeded',
        startedAt: '2030-06-01T12:00:00.000Z',
        endedAt: '2030-06-01T12:00:01.000Z',
        detail: { vpcId: 'vpc-1' },
        attempts: 1,
      },
      { name: 'CreateSubnets', status: 'Running', startedAt: '2030-06-01T12:00:02.000Z', attempts: 1 },
    ]);
  });

  it("keeps a running stage's activity, rewritten when it changes at most every few seconds, and never on a stage that is not running", async () => {
    await begin('busy', 'op-busy');
    const activity = async () => (await store.getOperation('op-busy'))!.steps.find((s) => s.name === 'Network')?.activity;
    const version = async () => (await store.getOperation('op-busy'))!.version;
    await store.startStep('op-busy', 'Network', { step: 'EnsureNatGateway', text: 'creating the NAT gateway in us-east-1a' });
    expect(await activity()).toEqual({ step: 'EnsureNatGateway', text: 'creating the NAT gateway in us-east-1a', since: '2030-06-01T12:00:00.000Z' });
    // The same activity again (a poll): nothing written.
    const v = await version();
    await store.startStep('op-busy', 'Network', { step: 'EnsureNatGateway', text: 'creating the NAT gateway in us-east-1a' });
    expect(await version()).toBe(v);
    // Another branch's step starting in the same moment: the record is left as it is (the
    // stage's parallel branches start together, and each would rewrite it).
    await store.startStep('op-busy', 'Network', { step: 'EnsureSecurityGroups', text: 'creating the security groups' });
    expect((await activity())?.step).toBe('EnsureNatGateway');
    expect(await version()).toBe(v);
    // The stage moves on to another step: written at once.
    clock.ms += 1_000;
    await store.startStep('op-busy', 'Network', { step: 'CheckNatGateway', text: 'waiting for NAT gateway nat-1 in us-east-1a' });
    expect(await activity()).toEqual({ step: 'CheckNatGateway', text: 'waiting for NAT gateway nat-1 in us-east-1a', since: '2030-06-01T12:00:01.000Z' });
    // The same poll in another branch (another zone), a moment later: not yet, or the record
    // would flip at every poll of every branch.
    const polled = await version();
    clock.ms += 1_000;
    await store.startStep('op-busy', 'Network', { step: 'CheckNatGateway', text: 'waiting for NAT gateway nat-2 in us-east-1b' });
    expect((await activity())?.text).toBe('waiting for NAT gateway nat-1 in us-east-1a');
    expect(await version()).toBe(polled);
    clock.ms += 2_000;
    await store.startStep('op-busy', 'Network', { step: 'CheckNatGateway', text: 'waiting for NAT gateway nat-2 in us-east-1b' });
    expect(await activity()).toEqual({ step: 'CheckNatGateway', text: 'waiting for NAT gateway nat-2 in us-east-1b', since: '2030-06-01T12:00:04.000Z' });
    // A step working for the stage from elsewhere (the bake) reports on it too…
    clock.ms += 1_000;
    await store.noteActivity('op-busy', 'Network', { step: 'InstallPackages', text: 'installing packages on builder i-1' });
    expect((await activity())?.text).toBe('installing packages on builder i-1');
    // …but neither opens a stage nor touches one that ended.
    await store.noteActivity('op-busy', 'Image', { step: 'InstallPackages', text: 'installing packages on builder i-1' });
    expect((await store.getOperation('op-busy'))!.steps.map((s) => s.name)).toEqual(['Network']);
    await store.endStep('op-busy', 'Network', { status: 'Succeeded' });
    const ended = await version();
    clock.ms += 5_000;
    await store.noteActivity('op-busy', 'Network', { step: 'CreateImage', text: 'creating the image' });
    expect(await version()).toBe(ended);
  });

  it('ends a stage of parts when the last part is done, whichever order they come in, and only once', async () => {
    await begin('parts', 'op-parts');
    const parts = ['public-routing', 'nat', 'security', 'host-roles'];
    await store.startStep('op-parts', 'Network');
    await Promise.all(['nat', 'security', 'public-routing'].map((p) => store.endStagePart('op-parts', 'Network', p, parts)));
    let network = (await store.getOperation('op-parts'))!.steps[0];
    expect(network).toMatchObject({ status: 'Running', partsDone: ['nat', 'public-routing', 'security'] });
    clock.ms += 4_000;
    await store.endStagePart('op-parts', 'Network', 'host-roles', parts);
    network = (await store.getOperation('op-parts'))!.steps[0];
    expect(network).toMatchObject({ status: 'Succeeded', endedAt: '2030-06-01T12:00:04.000Z' });
    // A part run again (a retried Lambda) changes nothing.
    clock.ms += 4_000;
    await store.endStagePart('op-parts', 'Network', 'nat', parts);
    expect((await store.getOperation('op-parts'))!.steps[0]).toEqual(network);
    // A step of a part retried after its part was recorded opens the stage again; its end
    // closes it once more, though no part is new.
    await store.startStep('op-parts', 'Network');
    expect((await store.getOperation('op-parts'))!.steps[0]).toMatchObject({ status: 'Running', attempts: 2 });
    await store.endStagePart('op-parts', 'Network', 'host-roles', parts);
    expect((await store.getOperation('op-parts'))!.steps[0]).toMatchObject({ status: 'Succeeded', attempts: 2, endedAt: '2030-06-01T12:00:08.000Z' });
  });

  it('runs a failed step again as a new attempt, clearing its error', async () => {
    await begin('retry-step', 'op-retry-step');
    await store.startStep('op-retry-step', 'Bake');
    await store.endStep('op-retry-step', 'Bake', { status: 'Failed', error: { code: 'NotReadyError', message: 'image pending' } });
    expect((await store.getOperation('op-retry-step'))?.steps[0].error).toEqual({ code: 'NotReadyError', message: 'image pending', step: 'Bake' });
    await store.startStep('op-retry-step', 'Bake');
    const [step] = (await store.getOperation('op-retry-step'))?.steps ?? [];
    expect(step).toMatchObject({ status: 'Running', attempts: 2 });
    expect(step.error).toBeUndefined();
  });

  it('keeps the execution ARN and marks the operation Running', async () => {
    await begin('arn', 'op-arn');
    const arn = 'arn:aws:states:us-east-1:123456789012:execution:create:op-arn';
    await store.setExecutionArn('op-arn', arn);
    expect(await store.getOperation('op-arn')).toMatchObject({ executionArn: arn, status: 'Running', input: { reason: 'test' } });
  });

  it('finishes an operation once: the first outcome stays', async () => {
    await begin('finish', 'op-finish');
    await store.startStep('op-finish', 'Validate');
    clock.ms += 5_000;
    const failed = await store.finishOperation('op-finish', { status: 'Failed', error: { code: 'StepFailedError', message: 'nodes not Ready' } });
    expect(failed).toMatchObject({ status: 'Failed', endedAt: '2030-06-01T12:00:05.000Z', error: { code: 'StepFailedError', step: 'Validate' } });
    clock.ms += 5_000;
    expect(await store.finishOperation('op-finish', { status: 'Succeeded' })).toEqual(failed);
  });

  it('lists a cluster\'s operations newest first', async () => {
    await begin('history', 'op-h1', 'create');
    await store.releaseLock('history', 'op-h1');
    clock.ms += 60_000;
    await begin('history', 'op-h2', 'validate');
    await store.releaseLock('history', 'op-h2');
    clock.ms += 60_000;
    await begin('history', 'op-h3', 'delete');
    expect((await store.listOperations('history')).map((o) => [o.id, o.type])).toEqual([
      ['op-h3', 'delete'],
      ['op-h2', 'validate'],
      ['op-h1', 'create'],
    ]);
    expect((await store.listOperations('history', { limit: 1 })).map((o) => o.id)).toEqual(['op-h3']);
  });

  it('reports an unknown operation as NotFoundError to step writers and undefined to readers', async () => {
    expect(await store.getOperation('op-missing')).toBeUndefined();
    await expect(store.startStep('op-missing', 'X')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('resource inventory and events', () => {
  it('records a resource idempotently, keyed by type and id, keeping the first record time', async () => {
    await store.recordResource('inv', { type: 'vpc', id: 'vpc-1', ownership: 'owned', attrs: { cidr: '10.0.0.0/16' } });
    clock.ms += 1_000;
    await store.recordResource('inv', { type: 'vpc', id: 'vpc-1', ownership: 'owned', attrs: { cidr: '10.0.0.0/16' } });
    await store.recordResource('inv', { type: 'subnet', id: 'subnet-a', zone: 'eu-west-1a', ownership: 'shared', name: 'private-a' });
    expect(await store.listResources('inv')).toEqual([
      { cluster: 'inv', type: 'subnet', id: 'subnet-a', zone: 'eu-west-1a', ownership: 'shared', name: 'private-a', recordedAt: '2030-06-01T12:00:01.000Z' },
      { cluster: 'inv', type: 'vpc', id: 'vpc-1', ownership: 'owned', attrs: { cidr: '10.0.0.0/16' }, recordedAt: '2030-06-01T12:00:00.000Z' },
    ]);
  });

  it('forgets a resource, and forgetting it again is fine', async () => {
    await store.recordResource('forget', { type: 'natgw', id: 'nat-1', ownership: 'owned' });
    await store.forgetResource('forget', 'natgw', 'nat-1');
    await store.forgetResource('forget', 'natgw', 'nat-1');
    expect(await store.listResources('forget')).toEqual([]);
  });

  it('lists the latest events newest first, up to the limit', async () => {
    for (const n of [1, 2, 3]) {
      await store.putEvent('events', { type: 'Progress', message: `event ${n}`, detail: { n } });
      clock.ms += n === 1 ? 0 : 1_000; // events 1 and 2 share a millisecond
    }
    expect((await store.listEvents('events', 2)).map((e) => e.message)).toEqual(['event 3', 'event 2']);
    expect((await store.listEvents('events', 10)).map((e) => e.message)).toEqual(['event 3', 'event 2', 'event 1']);
  });
});
