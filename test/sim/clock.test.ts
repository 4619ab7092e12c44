/**
 * Simulated time that jumps: `SimClock.advance` and `POST /_sim/clock`. What falls inside a
 * jump happens at once, in order; what does not waits what is left; time never goes back.
 */
import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimClock } from '../../local/sim/core/clock';
import type { SimServer } from '../../local/sim/server';
import { ec2Client, postJson, startSim, until } from './sim-helpers';

const DAY = 86_400;

describe('SimClock.advance', () => {
  it('fires the timers inside the jump at once, earliest first, and keeps the others waiting', () => {
    const clock = new SimClock({ timeScale: 1 });
    const fired: string[] = [];
    clock.after(2 * DAY, () => fired.push('day 2'));
    clock.after(DAY / 2, () => fired.push('noon'));
    clock.after(DAY, () => {
      fired.push('day 1');
      clock.after(60, () => fired.push('a minute after day 1')); // set while catching up, and due inside the jump
    });
    const before = clock.now();
    clock.advance(1.5 * DAY);
    expect(clock.now() - before).toBeGreaterThanOrEqual(1.5 * DAY * 1000);
    expect(fired).toEqual(['noon', 'day 1', 'a minute after day 1']);
    clock.advance(DAY);
    expect(fired.at(-1)).toBe('day 2');
    clock.stop();
  });

  it('collapses a periodic timer\'s ticks between two events into one, and never goes backwards', () => {
    const clock = new SimClock({ timeScale: 1 });
    const ticks: number[] = [];
    const start = clock.now();
    clock.every(5, () => ticks.push(Math.round((clock.now() - start) / 1000)));
    clock.after(3600, () => undefined); // an event an hour in
    clock.advance(400 * DAY); // a tick every 5 s would be 6.9 million
    expect(ticks).toEqual([3600, 400 * DAY]);
    expect(() => clock.advance(-1)).toThrow(/only moves forward/);
    clock.stop();
  });
});

describe('POST /_sim/clock', () => {
  let sim: SimServer;
  beforeAll(async () => {
    sim = await startSim({ timeScale: 1 }); // real time: nothing happens unless the clock jumps
  });
  afterAll(() => sim.stop());

  it('jumps the simulated now and what was due meanwhile happens: a pending instance is running', async () => {
    const client = ec2Client(sim);
    const vpc = (await client.send(new ec2.CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    await postJson(sim, '/_sim/clock', { advanceSeconds: 5 }); // past the eventual-consistency window
    const subnet = (await client.send(new ec2.CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    await postJson(sim, '/_sim/clock', { advanceSeconds: 5 });
    const image = (await client.send(new ec2.DescribeImagesCommand({ Owners: ['099720109477'] }))).Images![0].ImageId!;
    const id = (await client.send(new ec2.RunInstancesCommand({ ImageId: image, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: subnet }))).Instances![0].InstanceId!;
    const state = async () => (await client.send(new ec2.DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0].State!.Name;
    await postJson(sim, '/_sim/clock', { advanceSeconds: 5 });
    expect(await state()).toBe('pending');

    const before = (await (await fetch(`${sim.url}/_sim/clock`)).json()) as { epochMs: number };
    const after = (await postJson(sim, '/_sim/clock', { advanceSeconds: 3600 })) as { epochMs: number; now: string };
    expect(after.epochMs - before.epochMs).toBeGreaterThanOrEqual(3600_000);
    expect(Date.parse(after.now)).toBe(after.epochMs);
    expect(await until(async () => (await state()) === 'running', 2000)).toBe(true);
    client.destroy();
  });

  it('refuses to go backwards, or a jump that is not a number, with 400 and changes nothing', async () => {
    const before = ((await (await fetch(`${sim.url}/_sim/clock`)).json()) as { epochMs: number }).epochMs;
    for (const body of [{ advanceSeconds: -60 }, { advanceSeconds: 'a day' }, {}]) {
      const res = await fetch(`${sim.url}/_sim/clock`, { method: 'POST', body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/only moves forward/);
    }
    const now = ((await (await fetch(`${sim.url}/_sim/clock`)).json()) as { epochMs: number }).epochMs;
    expect(now - before).toBeLessThan(60_000); // a real minute at most, never an hour back or forth
  });
});
