import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../../local/sim/server';
import { ec2Client, postJson, startSim, until } from './sim-helpers';

let sim: SimServer;
let client: ec2.EC2Client;
let subnet: string;
let image: string;

beforeAll(async () => {
  sim = await startSim();
  client = ec2Client(sim);
  const vpc = (await client.send(new ec2.CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  // Inside the eventual-consistency window the new VPC is not found yet: retry like production code must.
  const s = await until(() =>
    client.send(new ec2.CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' })).catch(() => undefined),
  );
  subnet = s.Subnet!.SubnetId!;
  const imgs = await client.send(
    new ec2.DescribeImagesCommand({ Owners: ['099720109477'], Filters: [{ Name: 'name', Values: ['ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*'] }] }),
  );
  image = imgs.Images![0].ImageId!;
  // The profile the first launch names, deployed as a stack deploys it (usable at once).
  await fetch(`${sim.url}/_sim/iam/roles/cp-role`, { method: 'PUT', body: JSON.stringify({ instanceProfiles: ['cp'] }) });
});
afterAll(() => sim.stop());

describe('instances', () => {
  it('launches with tags, user data, IMDSv2 and encrypted volumes, then runs', async () => {
    const seen: string[] = [];
    sim.state.events.on('instance:running', (i) => seen.push(i.instanceId));
    await until(() => sim.state.visible(sim.state.subnets.get(subnet)!));
    const r = await client.send(
      new ec2.RunInstancesCommand({
        ImageId: image,
        InstanceType: 't3.medium',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnet,
        UserData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
        MetadataOptions: { HttpTokens: 'required' },
        IamInstanceProfile: { Name: 'cp' },
        BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 40, Encrypted: true } }],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'cp-0' }] }],
      }),
    );
    const id = r.Instances![0].InstanceId!;
    expect(r.Instances![0].State?.Name).toBe('pending');
    const sim1 = sim.state.instances.get(id)!;
    expect(sim1.userData).toBe('#!/bin/sh\necho hi\n');
    expect(sim1.metadataOptions.httpTokens).toBe('required');
    expect(sim1.blockDeviceMappings[0]).toMatchObject({ encrypted: true, volumeSize: 40 });
    await until(() => seen.includes(id));
    const d = await until(() => client.send(new ec2.DescribeInstancesCommand({ InstanceIds: [id] })).catch(() => undefined));
    const inst = d.Reservations![0].Instances![0];
    expect(inst).toMatchObject({ State: { Name: 'running', Code: 16 }, SubnetId: subnet, Tags: [{ Key: 'Name', Value: 'cp-0' }] });
    expect(inst.MetadataOptions?.HttpTokens).toBe('required');
  });

  it('returns the same instance for a repeated ClientToken', async () => {
    const input = { ImageId: image, InstanceType: 't3.small' as const, MinCount: 1, MaxCount: 1, SubnetId: subnet, ClientToken: 'tok-1' };
    const a = await client.send(new ec2.RunInstancesCommand(input));
    const b = await client.send(new ec2.RunInstancesCommand(input));
    expect(b.Instances![0].InstanceId).toBe(a.Instances![0].InstanceId);
    expect([...sim.state.instances.values()].filter((i) => i.clientToken === 'tok-1')).toHaveLength(1);
  });

  it('answers NotFound right after launch, inside the eventual-consistency window', async () => {
    // A minute of simulated time is 60 real ms at time scale 1000: on a loaded machine the
    // describe can come after the window closed. The window is wider than that only for the
    // instance's sake (the subnet, older, must stay visible), so a few tries are allowed:
    // the simulator must answer NotFound inside the window at least once.
    await postJson(sim, '/_sim/faults', { eventualConsistency: { enabled: true, windowSeconds: 60 } });
    const answers: string[] = [];
    for (let attempt = 0; attempt < 5 && !answers.includes('InvalidInstanceID.NotFound'); attempt++) {
      const r = await client.send(new ec2.RunInstancesCommand({ ImageId: image, InstanceType: 't3.small', MinCount: 1, MaxCount: 1, SubnetId: subnet }));
      answers.push(
        await client.send(new ec2.DescribeInstancesCommand({ InstanceIds: [r.Instances![0].InstanceId!] })).then(
          () => 'found',
          (err: Error) => err.name,
        ),
      );
    }
    await postJson(sim, '/_sim/faults', { eventualConsistency: { enabled: true, windowSeconds: 1 } });
    expect(answers).toContain('InvalidInstanceID.NotFound');
  });

  it('terminates through shutting-down, freeing the subnet', async () => {
    const r = await client.send(new ec2.RunInstancesCommand({ ImageId: image, InstanceType: 't3.small', MinCount: 1, MaxCount: 1, SubnetId: subnet }));
    const id = r.Instances![0].InstanceId!;
    await until(() => sim.state.visible(sim.state.instances.get(id)!));
    const t = await client.send(new ec2.TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(t.TerminatingInstances![0].CurrentState?.Name).toBe('shutting-down');
    await until(async () => {
      const d = await client.send(new ec2.DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [id] }, { Name: 'instance-state-name', Values: ['terminated'] }] }));
      return d.Reservations?.length === 1;
    });
  });

  it('refuses an image that does not exist and a zone out of capacity', async () => {
    await expect(
      client.send(new ec2.RunInstancesCommand({ ImageId: 'ami-00000000000000000', InstanceType: 't3.small', MinCount: 1, MaxCount: 1, SubnetId: subnet })),
    ).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
    await postJson(sim, '/_sim/faults', { zonesOutOfCapacity: ['us-east-1a'] });
    const noRetry = ec2Client(sim, { maxAttempts: 1 });
    await expect(
      noRetry.send(new ec2.RunInstancesCommand({ ImageId: image, InstanceType: 't3.small', MinCount: 1, MaxCount: 1, SubnetId: subnet })),
    ).rejects.toMatchObject({ name: 'InsufficientInstanceCapacity' });
    await postJson(sim, '/_sim/faults', { zonesOutOfCapacity: [] });
  });

  it('bakes an image from an instance: pending, then available', async () => {
    const running = [...sim.state.instances.values()].find((i) => i.state === 'running')!;
    const { ImageId } = await client.send(new ec2.CreateImageCommand({ InstanceId: running.instanceId, Name: 'hopper-k8s-1.33' }));
    await until(async () => {
      const r = await client.send(new ec2.DescribeImagesCommand({ Owners: ['self'] })).catch(() => undefined);
      return r?.Images?.find((i) => i.ImageId === ImageId && i.State === 'available');
    });
  });
});

describe('throttling', () => {
  it('answers RequestLimitExceeded beyond the bucket, and the SDK retries the burst through', async () => {
    // Buckets refill per simulated second; at this test's time scale 0.05 is ~50 per real second.
    await postJson(sim, '/_sim/faults', { throttling: true, buckets: { 'non-mutating': { capacity: 5, refill: 50 / sim.state.clock.timeScale } } });
    const noRetry = ec2Client(sim, { maxAttempts: 1 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => noRetry.send(new ec2.DescribeVpcsCommand({}))));
    const throttled = results.filter((r) => r.status === 'rejected' && (r.reason as Error).name === 'RequestLimitExceeded');
    expect(throttled.length).toBeGreaterThan(0);

    await new Promise((r) => setTimeout(r, 200));
    const retrying = ec2Client(sim, { maxAttempts: 6 });
    for (let i = 0; i < 10; i++) await retrying.send(new ec2.DescribeVpcsCommand({}));
    const calls = (await (await fetch(`${sim.url}/_sim/calls`)).json()) as Record<string, { calls: number; errors: Record<string, number> }>;
    expect(calls['ec2:DescribeVpcs'].errors.RequestLimitExceeded).toBeGreaterThan(0);
    await postJson(sim, '/_sim/faults', { throttling: false });
  });

  it('fails the next N calls of an action as asked', async () => {
    await postJson(sim, '/_sim/faults', { failNext: [{ action: 'DescribeVpcs', code: 'InternalError', count: 1 }] });
    const noRetry = ec2Client(sim, { maxAttempts: 1 });
    await expect(noRetry.send(new ec2.DescribeVpcsCommand({}))).rejects.toMatchObject({ name: 'InternalError' });
    await expect(noRetry.send(new ec2.DescribeVpcsCommand({}))).resolves.toBeDefined();
  });
});
