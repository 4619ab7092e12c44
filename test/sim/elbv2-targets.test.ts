import * as ec2 from '@aws-sdk/client-ec2';
import * as elb from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../../local/sim/server';
import { balancerForwards } from '../../local/sim/elbv2/forwarding';
import { credentials, ec2Client, startSim, until } from './sim-helpers';

let sim: SimServer;
let e: ec2.EC2Client;
let lbc: elb.ElasticLoadBalancingV2Client;
let vpc: string;
let subnet: string;
let image: string;
let lbArn: string;
let tgArn: string;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const x = err as { Error?: { Code?: string }; Code?: string; name: string };
    return x.Error?.Code ?? x.Code ?? x.name;
  }
  throw new Error('expected the call to fail');
}

const launch = async () =>
  (await e.send(new ec2.RunInstancesCommand({ ImageId: image, InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, SubnetId: subnet }))).Instances![0].InstanceId!;

const health = async (id?: string) => {
  const all = (await lbc.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions!;
  return id ? all.find((d) => d.Target?.Id === id)?.TargetHealth : undefined;
};

beforeAll(async () => {
  sim = await startSim();
  sim.state.faults.apply({ eventualConsistency: { enabled: false, windowSeconds: 1 } });
  e = ec2Client(sim);
  lbc = new elb.ElasticLoadBalancingV2Client({ endpoint: sim.url, region: 'us-east-1', credentials });
  vpc = (await e.send(new ec2.CreateVpcCommand({ CidrBlock: '10.2.0.0/16' }))).Vpc!.VpcId!;
  subnet = (await e.send(new ec2.CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.2.0.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
  const imgs = await e.send(new ec2.DescribeImagesCommand({ Owners: ['099720109477'], Filters: [{ Name: 'architecture', Values: ['x86_64'] }] }));
  image = imgs.Images![0].ImageId!;
  lbArn = (await lbc.send(new elb.CreateLoadBalancerCommand({ Name: 'api', Type: 'network', Scheme: 'internal', Subnets: [subnet] }))).LoadBalancers![0].LoadBalancerArn!;
  tgArn = (
    await lbc.send(
      new elb.CreateTargetGroupCommand({ Name: 'app-8443', Protocol: 'TCP', Port: 8443, VpcId: vpc, TargetType: 'instance', HealthCheckProtocol: 'TCP', HealthCheckPort: 'traffic-port', HealthCheckIntervalSeconds: 10 }),
    )
  ).TargetGroups![0].TargetGroupArn!;
});
afterAll(() => sim.stop());

describe('target groups and listeners', () => {
  it('creates target groups idempotently, DuplicateTargetGroupName for other settings, and modifies health checks', async () => {
    const again = (await lbc.send(new elb.CreateTargetGroupCommand({ Name: 'app-8443', Protocol: 'TCP', Port: 8443, VpcId: vpc, HealthCheckIntervalSeconds: 10 }))).TargetGroups![0];
    expect(again.TargetGroupArn).toBe(tgArn);
    expect(await codeOf(lbc.send(new elb.CreateTargetGroupCommand({ Name: 'app-8443', Protocol: 'TCP', Port: 443, VpcId: vpc })))).toBe('DuplicateTargetGroupName');
    const modified = (await lbc.send(new elb.ModifyTargetGroupCommand({ TargetGroupArn: tgArn, HealthyThresholdCount: 3 }))).TargetGroups![0];
    expect(modified).toMatchObject({ HealthyThresholdCount: 3, HealthCheckIntervalSeconds: 10, HealthCheckProtocol: 'TCP', HealthCheckPort: 'traffic-port' });
    expect(await codeOf(lbc.send(new elb.ModifyTargetGroupCommand({ TargetGroupArn: tgArn, HealthCheckIntervalSeconds: 1 })))).toBe('ValidationError');
    expect(await codeOf(lbc.send(new elb.DescribeTargetGroupsCommand({ Names: ['nope'] })))).toBe('TargetGroupNotFound');
  });

  it('forwards a listener to the group, which is then in use (ResourceInUse) until the listener goes', async () => {
    const l = (await lbc.send(new elb.CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'TCP', Port: 6443, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] }))).Listeners![0];
    expect(l.ListenerArn).toMatch(/:listener\/net\/api\/[0-9a-f]{16}\/[0-9a-f]{16}$/);
    expect(l.DefaultActions![0]).toMatchObject({ Type: 'forward', TargetGroupArn: tgArn });
    // The same listener again is the same listener; another target group on the port is a duplicate.
    const same = (await lbc.send(new elb.CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'TCP', Port: 6443, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] }))).Listeners![0];
    expect(same.ListenerArn).toBe(l.ListenerArn);
    const other = (await lbc.send(new elb.CreateTargetGroupCommand({ Name: 'other', Protocol: 'TCP', Port: 80, VpcId: vpc }))).TargetGroups![0].TargetGroupArn!;
    expect(await codeOf(lbc.send(new elb.CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'TCP', Port: 6443, DefaultActions: [{ Type: 'forward', TargetGroupArn: other }] })))).toBe('DuplicateListener');

    const byLb = (await lbc.send(new elb.DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn }))).TargetGroups!;
    expect(byLb.map((g) => g.TargetGroupArn)).toEqual([tgArn]);
    expect(byLb[0].LoadBalancerArns).toEqual([lbArn]);
    expect((await lbc.send(new elb.DescribeListenersCommand({ ListenerArns: [l.ListenerArn!] }))).Listeners![0].Port).toBe(6443);

    expect(await codeOf(lbc.send(new elb.DeleteTargetGroupCommand({ TargetGroupArn: tgArn })))).toBe('ResourceInUse');
    await lbc.send(new elb.DeleteTargetGroupCommand({ TargetGroupArn: other }));
    expect(await codeOf(lbc.send(new elb.DescribeTargetGroupsCommand({ TargetGroupArns: [other] })))).toBe('TargetGroupNotFound');
    expect(await codeOf(lbc.send(new elb.DeleteListenerCommand({ ListenerArn: `${l.ListenerArn!.slice(0, -16)}0000000000000000` })))).toBe('ListenerNotFound');
  });

  it('refuses targets that are unknown, not running yet, or terminated (InvalidTarget)', async () => {
    expect(await codeOf(lbc.send(new elb.RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: 'i-0123456789abcdef0' }] })))).toBe('InvalidTarget');
    const pending = await launch();
    expect(await codeOf(lbc.send(new elb.RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: pending }] })))).toBe('InvalidTarget');
    await e.send(new ec2.TerminateInstancesCommand({ InstanceIds: [pending] }));
    await until(() => sim.state.instances.get(pending)?.state === 'terminated');
    expect(await codeOf(lbc.send(new elb.RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: pending }] })))).toBe('InvalidTarget');
  });

  it('moves a target initial → healthy, unhealthy/unused as its instance stops, healthy again, then draining → gone', async () => {
    const id = await launch();
    await until(() => sim.state.instances.get(id)?.state === 'running');
    await lbc.send(new elb.RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: id }] }));
    expect(await health(id)).toMatchObject({ State: 'initial', Reason: 'Elb.RegistrationInProgress' });
    await until(async () => (await health(id))?.State === 'healthy');

    await e.send(new ec2.StopInstancesCommand({ InstanceIds: [id] }));
    expect(await health(id)).toMatchObject({ State: 'unhealthy', Reason: 'Target.FailedHealthChecks' });
    await until(() => sim.state.instances.get(id)?.state === 'stopped');
    expect(await health(id)).toMatchObject({ State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the stopped state' });

    await e.send(new ec2.StartInstancesCommand({ InstanceIds: [id] }));
    await until(async () => (await health(id))?.State === 'healthy');

    await lbc.send(new elb.DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: id }] }));
    expect(await health(id)).toMatchObject({ State: 'draining', Reason: 'Target.DeregistrationInProgress' });
    await until(async () => (await health(id)) === undefined);
    const notRegistered = (await lbc.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: tgArn, Targets: [{ Id: id }] }))).TargetHealthDescriptions!;
    expect(notRegistered[0].TargetHealth).toMatchObject({ State: 'unused', Reason: 'Target.NotRegistered' });
  });

  it("keeps a target initial while nothing answers on its port, and the balancer forwards nothing: a 6443 target without an API server", async () => {
    const api = (await lbc.send(new elb.CreateTargetGroupCommand({ Name: 'kube-6443', Protocol: 'TCP', Port: 6443, VpcId: vpc, HealthCheckIntervalSeconds: 5, HealthyThresholdCount: 2 }))).TargetGroups![0].TargetGroupArn!;
    const lb = (await lbc.send(new elb.CreateLoadBalancerCommand({ Name: 'kube', Type: 'network', Scheme: 'internal', Subnets: [subnet] }))).LoadBalancers![0];
    await lbc.send(new elb.CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'TCP', Port: 6443, DefaultActions: [{ Type: 'forward', TargetGroupArn: api }] }));
    const id = await launch();
    await until(() => sim.state.instances.get(id)?.state === 'running');
    await lbc.send(new elb.RegisterTargetsCommand({ TargetGroupArn: api, Targets: [{ Id: id }] }));
    // Well past the balancer's provisioning, the registration and two checks: nothing listens on 6443.
    await sim.state.clock.sleep(400);
    const state = (await lbc.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: api }))).TargetHealthDescriptions![0].TargetHealth;
    expect(state).toMatchObject({ State: 'initial', Reason: 'Elb.RegistrationInProgress' });
    expect(balancerForwards(sim.state, lb.DNSName!, 6443)).toBe(false);
  });

  it('reports unused while no listener forwards to the group, and drops targets of an unused group at once', async () => {
    const id = await launch();
    await until(() => sim.state.instances.get(id)?.state === 'running');
    await lbc.send(new elb.RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: id }] }));
    await until(async () => (await health(id))?.State === 'healthy');
    const [l] = (await lbc.send(new elb.DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners!;
    await lbc.send(new elb.DeleteListenerCommand({ ListenerArn: l.ListenerArn }));
    expect(await health(id)).toMatchObject({ State: 'unused', Reason: 'Target.NotInUse' });
    await lbc.send(new elb.DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: id }] }));
    expect(await health(id)).toBeUndefined();
    await lbc.send(new elb.DeleteTargetGroupCommand({ TargetGroupArn: tgArn }));
  });
});
