/**
 * Day-2 operations on the simulator: the update route (dry run, 422, 409), the update steps
 * (a new launch template version and the Auto Scaling group brought to the spec, once),
 * scheduled upgrades, scaling events and instance events. One cluster world, used in order.
 */
import * as asg from '@aws-sdk/client-auto-scaling';
import * as ec2 from '@aws-sdk/client-ec2';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { errorResponse } from '../../functions/api/http';
import { putInstanceGroup } from '../../functions/api/put-instance-group';
import { updateCluster, type UpdateDeps } from '../../functions/api/update-cluster';
import { launchControlPlane } from '../../functions/control-plane/launch-control-plane';
import { logger as instanceEventLog, recordInstanceEvent } from '../../functions/events/record-instance-event';
import { scaleInstanceGroup } from '../../functions/events/scale-instance-group';
import { scheduleCluster } from '../../functions/events/scheduled-upgrades';
import { ensureAutoScalingGroup } from '../../functions/nodes/auto-scaling-groups';
import { ensureLaunchTemplate } from '../../functions/nodes/launch-templates';
import { applyInstanceGroup } from '../../functions/update/apply-instance-group';
import { deleteInstanceGroup } from '../../functions/update/delete-instance-group';
import { step as observePlanStep, type ObservePlanOutput } from '../../functions/update/observe-plan';
import { recordGroupStatus } from '../../functions/update/record-group-status';
import { step as beginWorkflowStep } from '../../functions/workflow/begin-workflow';
import { finishWorkflow } from '../../functions/workflow/finish-workflow';
import { ConflictError, NotReadyError, UnprocessableError } from '../../shared/errors';
import { baseSpec, startWorld, type World } from '../cluster-steps/world';

let w: World;
let api: UpdateDeps;
const sfn = mockClient(SFNClient);
const arn = (workflow: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:hopper-test-${workflow}`;

beforeAll(async () => {
  w = await startWorld({
    ...baseSpec,
    kubernetesVersion: '1.32.9',
    instanceGroups: [{ name: 'nodes', min: 2, max: 4, machineType: 't3.medium' }],
    upgradePolicy: { enabled: true, channel: 'minor', window: { days: ['monday'], start: '02:00', durationMinutes: 60 } },
  });
  const { store } = w.env.deps;
  await launchControlPlane({ cluster: 'demo', imageId: w.imageId, subnets: w.subnets, securityGroups: w.securityGroups }, w.env.deps);
  // What create-cluster's network steps record, for a world made directly.
  await store.recordResource('demo', { type: 'vpc', id: w.vpcId, ownership: 'owned' });
  for (const s of w.subnets) {
    await store.recordResource('demo', { type: 'subnet', id: s.utilitySubnetId, zone: s.zone, ownership: 'owned', attrs: { role: 'utility', cidr: w.spec.subnets.find((x) => x.zone === s.zone && x.type === 'utility')!.cidr } });
    await store.recordResource('demo', { type: 'subnet', id: s.privateSubnetId, zone: s.zone, ownership: 'owned', attrs: { role: 'private', cidr: w.spec.subnets.find((x) => x.zone === s.zone && x.type === 'private')!.cidr } });
  }
  await store.recordResource('demo', { type: 'security-group', id: w.securityGroups.nodes, ownership: 'owned', attrs: { role: 'nodes' } });
  await store.recordResource('demo', { type: 'security-group', id: w.securityGroups.controlPlane, ownership: 'owned', attrs: { role: 'control-plane' } });
  const launchTemplate = await ensureLaunchTemplate({ cluster: 'demo', group: 'nodes', imageId: w.imageId, securityGroups: w.securityGroups }, w.env.deps);
  await ensureAutoScalingGroup({ cluster: 'demo', group: 'nodes', subnets: w.subnets, launchTemplate }, w.env.deps);
  // The create operation is over: the cluster is Ready and free.
  await store.finishOperation(w.operationId, { status: 'Succeeded' });
  await store.releaseLock('demo', w.operationId);
  await store.mutateCluster('demo', () => ({ status: 'Ready' }));
  api = {
    store,
    sfn: new SFNClient({ region: 'us-east-1' }),
    ssm: w.env.deps.clients.ssm,
    parameterPrefix: '/hopper',
    parameterKey: w.env.deps.parameterKey,
    stateMachineArn: arn,
    now: () => new Date(),
    observe: { clients: w.env.deps.clients, store, parameterPrefix: '/hopper', parameterKey: w.env.deps.parameterKey },
  };
});
afterAll(async () => {
  sfn.restore();
  await w?.env.stop();
});
beforeEach(() => {
  sfn.reset();
  sfn.on(StartExecutionCommand).callsFake((input: { name: string; stateMachineArn: string }) => ({
    executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
});

const req = <B, Q>(body: B, query: Q, params: Record<string, string> = { name: 'demo' }) => ({ body, query, params, headers: {}, requestId: `req-${Math.random()}` }) as never;

async function group(): Promise<asg.AutoScalingGroup> {
  return (await w.env.deps.clients.autoscaling.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['nodes.demo'] }))).AutoScalingGroups![0];
}
async function versions(): Promise<number[]> {
  const out = await w.env.deps.clients.ec2.send(new ec2.DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'nodes.demo' }));
  return (out.LaunchTemplateVersions ?? []).map((v) => v.VersionNumber!).sort();
}

/** The update-cluster state machine's Task sequence, run step by step. */
async function runUpdateWorkflow(operationId: string) {
  const deps = w.env.deps;
  // As update-cluster's state machine calls them: each one its stage.
  await beginWorkflowStep.run({ cluster: 'demo', operationId, type: 'update', stage: 'Prepare', endsStage: true }, undefined, deps);
  const plan: ObservePlanOutput = await observePlanStep.run({ cluster: 'demo', operationId, stage: 'Plan', endsStage: true }, undefined, deps);
  const applied = [];
  for (const g of plan.groups) {
    if (g.action === 'delete') {
      for (;;) {
        try {
          applied.push(await deleteInstanceGroup({ cluster: 'demo', group: g.group }, deps));
          break;
        } catch (err) {
          if (!(err instanceof NotReadyError)) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } else {
      applied.push(await applyInstanceGroup({ cluster: 'demo', operationId, group: g.group, action: g.action as 'create' | 'update', desired: g.desired }, deps));
    }
  }
  await recordGroupStatus({ cluster: 'demo', rollingGroups: plan.rollingGroups }, deps);
  await finishWorkflow({ cluster: 'demo', operationId, status: 'Ready' }, deps);
  return { plan, applied };
}

describe('POST /v1/clusters/{name}/update', () => {
  it('plans nothing for a cluster that matches its spec', async () => {
    const res = await updateCluster(req(undefined, { dryRun: true }), api);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ cluster: 'demo', changes: [], rollingUpdateRequired: false });
  });

  it('with dryRun returns the plan field by field and changes nothing', async () => {
    const put = await putInstanceGroup(req({ min: 3, max: 5, machineType: 't3.large' }, {}, { name: 'demo', group: 'nodes' }), api);
    expect(put.status).toBe(200);
    const before = { group: await group(), versions: await versions(), record: await w.env.deps.store.requireCluster('demo') };
    const res = await updateCluster(req(undefined, { dryRun: true }), api);
    expect(res.status).toBe(200);
    const body = res.body as { changes: { kind: string; fields: { field: string; from: unknown; to: unknown }[] }[]; rollingUpdateRequired: boolean };
    expect(body.rollingUpdateRequired).toBe(true);
    expect(body.changes.find((c) => c.kind === 'LaunchTemplate')!.fields).toEqual([{ field: 'InstanceType', from: 't3.medium', to: 't3.large' }]);
    expect(body.changes.find((c) => c.kind === 'AutoscalingGroup')!.fields).toEqual(
      expect.arrayContaining([{ field: 'MinSize', from: 2, to: 3 }, { field: 'MaxSize', from: 4, to: 5 }, { field: 'DesiredCapacity', from: 2, to: 3 }]),
    );
    const after = await w.env.deps.store.requireCluster('demo');
    expect(after.lock).toBeUndefined();
    expect(after.version).toBe(before.record.version);
    expect(await versions()).toEqual(before.versions);
    expect((await group()).MinSize).toBe(before.group.MinSize);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('refuses with 422 a spec whose network CIDR differs from the VPC that exists', async () => {
    const original = (await w.env.deps.store.requireCluster('demo')).spec;
    await w.env.deps.store.mutateCluster('demo', (r) => ({ spec: { ...r.spec, networkCidr: '10.9.0.0/16' } }));
    try {
      const err = await updateCluster(req(undefined, { dryRun: false }), api).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnprocessableError);
      const res = errorResponse(err) as { statusCode: number; body: string };
      expect(res.statusCode).toBe(422);
      expect(JSON.parse(res.body).error.details[0]).toMatchObject({ path: 'networkCidr' });
      expect((await w.env.deps.store.requireCluster('demo')).lock).toBeUndefined();
    } finally {
      await w.env.deps.store.mutateCluster('demo', () => ({ spec: original }));
    }
  });

  it('applies: a new launch template version, the group resized onto it — and nothing more when applied again', async () => {
    const res = await updateCluster(req(undefined, { dryRun: false }), api);
    expect(res.status).toBe(202);
    const [call] = sfn.commandCalls(StartExecutionCommand);
    expect(call.args[0].input.stateMachineArn).toBe(arn('update'));
    const operationId = (res.body as { operation: { id: string } }).operation.id;

    const { plan } = await runUpdateWorkflow(operationId);
    expect(plan.rollingGroups).toEqual(['nodes']);
    expect(await versions()).toEqual([1, 2]);
    const g = await group();
    expect(g).toMatchObject({ MinSize: 3, MaxSize: 5, DesiredCapacity: 3 });
    expect(g.LaunchTemplate?.Version).toBe('2');
    const lt = await w.env.deps.clients.ec2.send(new ec2.DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'nodes.demo', Versions: ['2'] }));
    expect(lt.LaunchTemplateVersions![0].LaunchTemplateData?.InstanceType).toBe('t3.large');
    const record = await w.env.deps.store.requireCluster('demo');
    expect(record.status).toBe('Ready');
    expect(record.lock).toBeUndefined();
    expect(record.instanceGroups.nodes).toMatchObject({ min: 3, max: 5, desired: 3, machineType: 't3.large', launchTemplateVersion: 2, needsRollingUpdate: true });
    expect((await w.env.deps.store.getOperation(operationId))!.steps.find((s) => s.name === 'Plan')?.detail).toMatchObject({ rollingUpdateRequired: true });

    // Applying again (a retried Map item) adds no version and changes nothing.
    await applyInstanceGroup({ cluster: 'demo', operationId, group: 'nodes', action: 'update', desired: 3 }, w.env.deps);
    expect(await versions()).toEqual([1, 2]);
    const again = await updateCluster(req(undefined, { dryRun: true }), api);
    expect((again.body as { changes: unknown[] }).changes).toEqual([]);
  });

  it('answers 409 while another operation holds the cluster', async () => {
    const record = await w.env.deps.store.requireCluster('demo');
    await w.env.deps.store.beginOperation('demo', { operationId: 'demo-rolling-1', type: 'rolling-update', owner: 'test', leaseSeconds: 600 });
    try {
      await expect(updateCluster(req(undefined, { dryRun: false }), api)).rejects.toBeInstanceOf(ConflictError);
      expect(record.lock).toBeUndefined();
    } finally {
      await w.env.deps.store.finishOperation('demo-rolling-1', { status: 'Succeeded' });
      await w.env.deps.store.releaseLock('demo', 'demo-rolling-1');
    }
  });
});

describe('scheduled upgrades', () => {
  const inside = new Date('2025-06-02T02:15:00Z'); // a Monday, in the 02:00–03:00 window
  const outside = new Date('2025-06-02T04:00:00Z');

  it('does nothing and records nothing outside the window', async () => {
    const before = await w.env.deps.store.listOperations('demo');
    const record = await w.env.deps.store.requireCluster('demo');
    expect(await scheduleCluster(api, record, outside)).toEqual({ cluster: 'demo', action: 'none', reason: 'outside-window' });
    expect(await w.env.deps.store.listOperations('demo')).toHaveLength(before.length);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('skips a run while another operation holds the cluster, and records why', async () => {
    await w.env.deps.store.beginOperation('demo', { operationId: 'demo-rolling-2', type: 'rolling-update', owner: 'test', leaseSeconds: 600 });
    try {
      const record = await w.env.deps.store.requireCluster('demo');
      const decision = await scheduleCluster(api, record, inside);
      expect(decision).toMatchObject({ action: 'skipped' });
      const ops = await w.env.deps.store.listOperations('demo');
      const skipped = ops.find((o) => o.type === 'scheduled-upgrade')!;
      expect(skipped).toMatchObject({ status: 'Skipped', error: { code: 'ClusterBusy' } });
      expect(skipped.error!.message).toContain('demo-rolling-2');
      expect((await w.env.deps.store.listEvents('demo')).map((e) => e.type)).toContain('ScheduledUpgradeSkipped');
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    } finally {
      await w.env.deps.store.finishOperation('demo-rolling-2', { status: 'Succeeded' });
      await w.env.deps.store.releaseLock('demo', 'demo-rolling-2');
    }
  });

  it('starts a scheduled-upgrade to the next minor inside the window through the upgrade state machine', async () => {
    const record = await w.env.deps.store.requireCluster('demo');
    const decision = await scheduleCluster(api, record, inside);
    expect(decision).toMatchObject({ action: 'started', from: '1.32.9', to: '1.33.5' });
    const [call] = sfn.commandCalls(StartExecutionCommand);
    expect(call.args[0].input.stateMachineArn).toBe(arn('upgrade'));
    const after = await w.env.deps.store.requireCluster('demo');
    expect(after.lock).toMatchObject({ type: 'scheduled-upgrade' });
    expect((after.spec).kubernetesVersion).toBe('1.33.5');
    // Give the cluster back for the next tests (as the upgrade workflow's end would).
    const opId = after.lock!.operationId;
    await w.env.deps.store.finishOperation(opId, { status: 'Succeeded' });
    await w.env.deps.store.releaseLock('demo', opId);
    await w.env.deps.store.mutateCluster('demo', (r) => ({ spec: { ...r.spec, kubernetesVersion: '1.32.9' } }));
  });
});

describe('scaleInstanceGroup', () => {
  const envelope = (detail: unknown, id = `evt-${Math.random()}`) => ({ version: '0', id, source: 'hopper.scaling', 'detail-type': 'ScaleInstanceGroup', detail });

  it('rejects a malformed event, records it on the cluster and changes nothing', async () => {
    const before = await w.env.deps.store.requireCluster('demo');
    const result = await scaleInstanceGroup(envelope({ cluster: 'demo', group: 'nodes', desired: 'lots' }), api);
    expect(result).toMatchObject({ accepted: false, reason: 'malformed ScaleInstanceGroup event' });
    const after = await w.env.deps.store.requireCluster('demo');
    expect(after.version).toBe(before.version);
    expect(after.lock).toBeUndefined();
    expect((await w.env.deps.store.listEvents('demo'))[0]).toMatchObject({ type: 'ScaleRejected' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each([
    [{ cluster: 'demo', group: 'gpu', desired: 1 }, /no instance group gpu/],
    [{ cluster: 'demo', group: 'nodes', desired: 9 }, /outside nodes's bounds \[3, 5\]/],
    [{ cluster: 'demo', group: 'nodes', min: 6 }, /invalid/],
  ])('refuses %j', async (detail, reason) => {
    const result = await scaleInstanceGroup(envelope(detail), api);
    expect(result.accepted).toBe(false);
    expect((result as { reason: string }).reason).toMatch(reason);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('stores the new bounds, starts the update workflow as a scale operation, and the steps set the desired capacity', async () => {
    const result = await scaleInstanceGroup(envelope({ cluster: 'demo', group: 'nodes', max: 6, desired: 6 }), api);
    expect(result).toMatchObject({ accepted: true });
    const [call] = sfn.commandCalls(StartExecutionCommand);
    expect(call.args[0].input.stateMachineArn).toBe(arn('scale'));
    const record = await w.env.deps.store.requireCluster('demo');
    expect((record.spec).instanceGroups[0]).toMatchObject({ min: 3, max: 6 });
    expect(record.lock).toMatchObject({ type: 'scale' });

    // A second event while the scale runs is refused and recorded.
    const busy = await scaleInstanceGroup(envelope({ cluster: 'demo', group: 'nodes', desired: 4 }), api);
    expect(busy).toMatchObject({ accepted: false, reason: expect.stringMatching(/busy/) });

    await runUpdateWorkflow((result as { operationId: string }).operationId);
    expect(await group()).toMatchObject({ MaxSize: 6, DesiredCapacity: 6 });
    expect(await versions()).toEqual([1, 2]);
  });
});

describe('recordInstanceEvent', () => {
  it('records a failed launch of a cluster group and marks the group and the cluster Degraded', async () => {
    const result = await recordInstanceEvent(
      { source: 'aws.autoscaling', 'detail-type': 'EC2 Instance Launch Unsuccessful', detail: { AutoScalingGroupName: 'nodes.demo', StatusMessage: 'InsufficientInstanceCapacity' } },
      { ...api, clients: w.env.deps.clients },
    );
    expect(result).toEqual({ recorded: true, cluster: 'demo', group: 'nodes', degraded: true });
    const record = await w.env.deps.store.requireCluster('demo');
    expect(record.status).toBe('Degraded');
    expect(record.instanceGroups.nodes).toMatchObject({ status: 'Degraded' });
    expect((await w.env.deps.store.listEvents('demo'))[0]).toMatchObject({ type: 'InstanceLaunchUnsuccessful' });
  });

  it('ignores a spot warning or a retirement for an instance that is not a cluster’s, and health events that are not retirements', async () => {
    const deps = { ...api, clients: w.env.deps.clients };
    // The function's log says what it ignored and why.
    const info = vi.spyOn(instanceEventLog, 'info');
    let spot;
    try {
      spot = await recordInstanceEvent({ id: 'ev-1', source: 'aws.ec2', 'detail-type': 'EC2 Spot Instance Interruption Warning', detail: { 'instance-id': 'i-0123456789abcdef0', 'instance-action': 'terminate' } }, deps);
      expect(info).toHaveBeenCalledWith('instance event ignored', { reason: 'not a Hopper cluster instance', instanceId: 'i-0123456789abcdef0', detailType: 'EC2 Spot Instance Interruption Warning', eventId: 'ev-1' });
    } finally {
      info.mockRestore();
    }
    expect(spot).toEqual({ recorded: false, reason: 'not a Hopper cluster instance' });
    const retirement = await recordInstanceEvent(
      { source: 'aws.health', 'detail-type': 'AWS Health Event', detail: { eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED', affectedEntities: [{ entityValue: 'i-0123456789abcdef0' }] } },
      deps,
    );
    expect(retirement).toEqual({ recorded: false, reason: 'not a Hopper cluster instance' });
    const other = await recordInstanceEvent({ source: 'aws.health', 'detail-type': 'AWS Health Event', detail: { eventTypeCode: 'AWS_EC2_OPERATIONAL_ISSUE' } }, deps);
    expect(other).toMatchObject({ recorded: false, reason: expect.stringMatching(/not a retirement/) });
    expect((await w.env.deps.store.listOperations('demo')).filter((o) => o.type === 'repair')).toEqual([]);
  });

  it('ignores groups that are not a cluster’s', async () => {
    const result = await recordInstanceEvent(
      { source: 'aws.autoscaling', 'detail-type': 'EC2 Instance Launch Unsuccessful', detail: { AutoScalingGroupName: 'someone-else' } },
      { ...api, clients: w.env.deps.clients },
    );
    expect(result.recorded).toBe(false);
  });
});
