/**
 * AWS taking machines away: retirements, spot interruptions, failed status checks and an
 * impaired zone, as DescribeInstanceStatus, EventBridge and an Auto Scaling group see them.
 */
import * as asg from '@aws-sdk/client-auto-scaling';
import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../../local/sim/server';
import { asgClient, ec2Client, postJson, startSim, twoZoneWorld } from './sim-helpers';

let sim: SimServer;
let e: ec2.EC2Client;
let a: asg.AutoScalingClient;
let subnets: string[];
let imageId: string;
let spotVictim: string;

beforeAll(async () => {
  sim = await startSim();
  sim.state.faults.apply({ eventualConsistency: { enabled: false, windowSeconds: 1 } });
  e = ec2Client(sim);
  a = asgClient(sim);
  ({ subnets, imageId } = await twoZoneWorld(e));
  await e.send(new ec2.CreateLaunchTemplateCommand({ LaunchTemplateName: 'on-demand', LaunchTemplateData: { ImageId: imageId, InstanceType: 't3.medium' } }));
  await e.send(
    new ec2.CreateLaunchTemplateCommand({
      LaunchTemplateName: 'spot',
      LaunchTemplateData: { ImageId: imageId, InstanceType: 't3.medium', InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time' } } },
    }),
  );
});
afterAll(() => sim.stop());

const inGroup = (name: string) => [...sim.state.instances.values()].filter((i) => i.autoScalingGroupName === name);
const live = (name: string) => inGroup(name).filter((i) => i.state === 'running' || i.state === 'pending');

async function group(name: string, template: string, desired: number): Promise<void> {
  await a.send(
    new asg.CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateName: template, Version: '$Latest' },
      MinSize: 0,
      MaxSize: 10,
      DesiredCapacity: desired,
      VPCZoneIdentifier: subnets.join(','),
    }),
  );
  sim.state.clock.advance(60);
}

async function status(instanceId: string): Promise<ec2.InstanceStatus | undefined> {
  return (await e.send(new ec2.DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }))).InstanceStatuses?.[0];
}

async function serviceEvents(detailType: string): Promise<{ source: string; detail: Record<string, unknown> }[]> {
  const { events } = (await (await fetch(`${sim.url}/_sim/service-events`)).json()) as { events: { source: string; detailType: string; detail: Record<string, unknown> }[] };
  return events.filter((ev) => ev.detailType === detailType);
}

describe('AWS taking machines away', () => {
  it('retires an instance: a scheduled event and a Health notice now, a stop at the deadline, and the group replaces it', async () => {
    await group('retiring', 'on-demand', 1);
    const [victim] = live('retiring');
    expect(victim.state).toBe('running');
    const body = (await postJson(sim, `/_sim/instances/${victim.id}/retirement`, { inSeconds: 3 * 86_400 })) as { event: { code: string; notBefore: string } };
    expect(body.event.code).toBe('instance-retirement');

    const scheduled = await status(victim.id);
    expect(scheduled?.Events).toEqual([expect.objectContaining({ Code: 'instance-retirement', Description: 'The instance is running on degraded hardware', NotBefore: new Date(body.event.notBefore) })]);
    const filtered = await e.send(new ec2.DescribeInstanceStatusCommand({ Filters: [{ Name: 'event.code', Values: ['instance-retirement'] }] }));
    expect(filtered.InstanceStatuses?.map((s) => s.InstanceId)).toEqual([victim.id]);
    const health = await serviceEvents('AWS Health Event');
    expect(health.at(-1)).toMatchObject({ source: 'aws.health', detail: { eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED', affectedEntities: [{ entityValue: victim.id }] } });

    sim.state.clock.advance(3 * 86_400 - 60);
    expect(victim.state).toBe('running');
    sim.state.clock.advance(3600);
    expect(victim.stateReason?.code).toMatch(/^Server.ScheduledStop|Client.UserInitiatedShutdown/);
    // Stopped by the retirement, then found unhealthy by the group and terminated.
    expect(['terminated', 'shutting-down']).toContain(victim.state);
    expect(live('retiring')).toHaveLength(1);
    expect(live('retiring')[0].id).not.toBe(victim.id);
    expect((await status(victim.id))?.Events?.[0]?.Description).toMatch(/^\[Completed\]/);
    const activities = (await a.send(new asg.DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'retiring' }))).Activities ?? [];
    expect(activities.some((x) => x.Description === `Terminating EC2 instance: ${victim.id}` && /terminated or stopped/.test(x.Cause ?? ''))).toBe(true);
  });

  it('interrupts a spot instance with two minutes of notice; an on-demand one cannot be', async () => {
    await group('spot', 'spot', 1);
    const [victim] = live('spot');
    expect(victim.instanceLifecycle).toBe('spot');
    spotVictim = victim.id;
    const described = await e.send(new ec2.DescribeInstancesCommand({ InstanceIds: [victim.id] }));
    expect(described.Reservations?.[0]?.Instances?.[0]?.InstanceLifecycle).toBe('spot');

    const notice = (await postJson(sim, `/_sim/instances/${victim.id}/spot-interruption`, {})) as { instanceAction: { action: string; time: string } };
    expect(notice.instanceAction.action).toBe('terminate');
    expect(Date.parse(notice.instanceAction.time) - sim.state.clock.now()).toBeGreaterThan(100_000);
    expect((await serviceEvents('EC2 Spot Instance Interruption Warning')).at(-1)).toMatchObject({ source: 'aws.ec2', detail: { 'instance-id': victim.id, 'instance-action': 'terminate' } });
    // Still running well inside its two minutes. (The clock also runs at 1000× real time: a
    // check at 100 s met the deadline on a loaded machine, 20 ms later.)
    sim.state.clock.advance(30);
    expect(victim.state).toBe('running');
    sim.state.clock.advance(120);
    expect(victim.stateReason?.code).toBe('Server.SpotInstanceTermination');
    expect(live('spot').map((i) => i.id)).not.toContain(victim.id);
    expect(live('spot')).toHaveLength(1);

    const [onDemand] = live('retiring');
    const refused = await fetch(`${sim.url}/_sim/instances/${onDemand.id}/spot-interruption`, { method: 'POST' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/not a spot instance/);
  });

  it('fails status checks: DescribeInstanceStatus reports impaired, the group replaces the instance; a lone instance recovers when they pass', async () => {
    const lone = (await e.send(new ec2.RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, SubnetId: subnets[0] }))).Instances![0].InstanceId!;
    sim.state.clock.advance(60);
    await postJson(sim, `/_sim/instances/${lone}/status-checks`, { system: 'failed' });
    const impaired = await status(lone);
    expect(impaired?.SystemStatus).toMatchObject({ Status: 'impaired', Details: [{ Name: 'reachability', Status: 'failed' }] });
    expect(impaired?.InstanceStatus?.Status).toBe('ok');
    const onlyImpaired = await e.send(new ec2.DescribeInstanceStatusCommand({ Filters: [{ Name: 'system-status.status', Values: ['impaired'] }] }));
    expect(onlyImpaired.InstanceStatuses?.map((s) => s.InstanceId)).toEqual([lone]);
    await postJson(sim, `/_sim/instances/${lone}/status-checks`, { system: 'passed' });
    expect((await status(lone))?.SystemStatus?.Status).toBe('ok');
    expect(sim.state.instances.get(lone)?.state).toBe('running');

    // In a group, the EC2 health check finds it unhealthy: terminated and replaced.
    const [member] = live('retiring');
    await postJson(sim, `/_sim/instances/${member.id}/status-checks`, { instance: 'failed' });
    sim.state.clock.advance(60);
    expect(member.state).not.toBe('running');
    expect(live('retiring')).toHaveLength(1);
    const activities = (await a.send(new asg.DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'retiring' }))).Activities ?? [];
    expect(activities.some((x) => x.Description === `Terminating EC2 instance: ${member.id}` && /status check failure/.test(x.Cause ?? ''))).toBe(true);
  });

  it('impairs a zone: its instances fail their checks and the group moves to the other zone, then back once it recovers', async () => {
    await group('zonal', 'on-demand', 4);
    const zoneOf = () => live('zonal').map((i) => i.availabilityZone).sort();
    expect(zoneOf()).toEqual(['us-east-1a', 'us-east-1a', 'us-east-1b', 'us-east-1b']);

    await postJson(sim, '/_sim/zones/us-east-1a/impairment', { impaired: true });
    const launch = await fetch(`${sim.url}/_sim/disruptions`).then((r) => r.json() as Promise<{ impairedZones: string[] }>);
    expect(launch.impairedZones).toEqual(['us-east-1a']);
    const refused = await e.send(new ec2.RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, SubnetId: subnets[0] })).catch((err: Error) => err);
    expect((refused as Error).name).toBe('InsufficientInstanceCapacity');
    sim.state.clock.advance(300);
    expect(zoneOf()).toEqual(['us-east-1b', 'us-east-1b', 'us-east-1b', 'us-east-1b']);

    await postJson(sim, '/_sim/zones/us-east-1a/impairment', { impaired: false });
    // Step by step: in one long jump the group's periodic passes collapse into one.
    for (let minute = 0; minute < 30; minute++) sim.state.clock.advance(60);
    expect(zoneOf()).toEqual(['us-east-1a', 'us-east-1a', 'us-east-1b', 'us-east-1b']);
    expect(inGroup('zonal').filter((i) => i.state === 'running')).toHaveLength(4);
  });

  it('sends every instance state change to EventBridge as EC2 does', async () => {
    const changes = await serviceEvents('EC2 Instance State-change Notification');
    const states = changes.filter((c) => c.detail['instance-id'] === spotVictim).map((c) => c.detail.state);
    expect(states).toEqual(['pending', 'running', 'shutting-down', 'terminated']);
  });

  it('refuses bad requests and changes nothing', async () => {
    const unknown = await fetch(`${sim.url}/_sim/instances/i-0000000000000000f/retirement`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    const [one] = live('zonal');
    for (const body of [{ instance: 'broken' }, {}]) {
      const res = await fetch(`${sim.url}/_sim/instances/${one.id}/status-checks`, { method: 'POST', body: JSON.stringify(body) });
      expect(res.status).toBe(400);
    }
    const negative = await fetch(`${sim.url}/_sim/instances/${one.id}/retirement`, { method: 'POST', body: JSON.stringify({ inSeconds: -5 }) });
    expect(negative.status).toBe(400);
    const zone = await fetch(`${sim.url}/_sim/zones/us-east-1a/impairment`, { method: 'POST', body: JSON.stringify({ impaired: 'yes' }) });
    expect(zone.status).toBe(400);
    expect(one.scheduledEvents).toBeUndefined();
    expect(one.failedChecks).toBeUndefined();
    expect(sim.state.faults.state.impairedZones).toEqual([]);
  });
});
