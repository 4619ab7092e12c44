/** Shared setup for the simulator tests: a simulator on a free port and SDK clients pointed at it. */
import * as ec2 from '@aws-sdk/client-ec2';
import { EC2Client } from '@aws-sdk/client-ec2';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { startCloudSimulator, type SimServer, type SimServerOptions } from '../../local/sim/server';

export const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

export async function startSim(options: SimServerOptions = {}): Promise<SimServer> {
  return startCloudSimulator({ port: 0, timeScale: 1000, ...options });
}

export function ec2Client(sim: SimServer, extra: Record<string, unknown> = {}): EC2Client {
  return new EC2Client({ endpoint: sim.url, region: 'us-east-1', credentials, ...extra });
}

export function asgClient(sim: SimServer): AutoScalingClient {
  return new AutoScalingClient({ endpoint: sim.url, region: 'us-east-1', credentials });
}

/**
 * A VPC with one subnet in each of `zones` (10.0.<i>.0/24) and the x86_64 Ubuntu image, for the
 * tests that launch instances into groups.
 */
export async function twoZoneWorld(e: EC2Client, zones = ['us-east-1a', 'us-east-1b']): Promise<{ subnets: string[]; imageId: string }> {
  const vpc = (await e.send(new ec2.CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  const subnets: string[] = [];
  for (const [i, z] of zones.entries()) {
    subnets.push((await e.send(new ec2.CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: z }))).Subnet!.SubnetId!);
  }
  const image = (await e.send(new ec2.DescribeImagesCommand({ Owners: ['099720109477'], Filters: [{ Name: 'architecture', Values: ['x86_64'] }] }))).Images![0];
  return { subnets, imageId: image.ImageId! };
}

/** Polls until `fn` returns a truthy value (real time). */
export async function until<T>(fn: () => Promise<T> | T, timeoutMs = 5000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function postJson(sim: SimServer, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return res.json();
}

/** The error an AWS SDK call was refused with (its name, message and HTTP status); fails when it was not. */
export async function refusal(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to be refused');
}
