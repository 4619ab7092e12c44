/**
 * A cluster's world for the control-plane, node and validation step tests: the step
 * environment (dynalite + the cloud simulator), a stored cluster, and its network made
 * directly with the EC2 client (subnets per zone, the two security groups), plus an image.
 */
import * as ec2 from '@aws-sdk/client-ec2';
import { giveInternet } from '../helpers/internet';
import type { ClusterSpec } from '../../shared/spec';
import { startStepEnv, type StepEnv } from '../helpers/step-env';

export interface World {
  env: StepEnv;
  spec: ClusterSpec;
  operationId: string;
  uid: string;
  imageId: string;
  vpcId: string;
  subnets: { zone: string; utilitySubnetId: string; privateSubnetId: string }[];
  securityGroups: { controlPlane: string; nodes: string };
}

/** Polls `fn` until it returns a value without throwing (the simulator's eventual consistency). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Runs a step as the state machine does: a DependencyPendingError is retried (every 20 ms, `tries` times at most). */
export async function retriedWhilePending<T>(fn: () => Promise<T>, tries = 300): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if ((err as Error).name !== 'DependencyPendingError' || i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export const baseSpec = {
  name: 'demo',
  region: 'us-east-1',
  zones: ['us-east-1a', 'us-east-1b'],
  networking: 'cilium',
  tags: { team: 'platform' },
  instanceGroups: [{ name: 'nodes', min: 2, max: 4, machineType: 't3.medium' }],
};

export async function startWorld(specInput: Record<string, unknown> = baseSpec, env?: StepEnv): Promise<World> {
  env ??= await startStepEnv();
  const { spec, operationId } = await env.createCluster(specInput);
  const record = await env.deps.store.requireCluster(spec.name);
  const client = env.deps.clients.ec2;
  const vpcId = (await client.send(new ec2.CreateVpcCommand({ CidrBlock: spec.networkCidr }))).Vpc!.VpcId!;
  const subnets: World['subnets'] = [];
  for (const zone of spec.zones) {
    const ids: Record<string, string> = {};
    for (const type of ['utility', 'private'] as const) {
      const cidr = spec.subnets.find((s) => s.zone === zone && s.type === type)!.cidr;
      const out = await eventually(() => client.send(new ec2.CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone })));
      ids[type] = out.Subnet!.SubnetId!;
    }
    subnets.push({ zone, utilitySubnetId: ids.utility, privateSubnetId: ids.private });
  }
  await giveInternet(client, vpcId, { public: subnets.map((s) => s.utilitySubnetId), private: subnets.map((s) => s.privateSubnetId) });
  const group = async (name: string) =>
    (await eventually(() => client.send(new ec2.CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: name, Description: name })))).GroupId!;
  const securityGroups = { controlPlane: await group('control-plane'), nodes: await group('nodes') };
  const images = await client.send(
    new ec2.DescribeImagesCommand({ Owners: ['099720109477'], Filters: [{ Name: 'name', Values: ['ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*'] }] }),
  );
  const imageId = images.Images![0].ImageId!;
  // Wait until everything is visible (the simulator's NotFound window after create).
  await eventually(() => client.send(new ec2.DescribeSubnetsCommand({ SubnetIds: subnets.flatMap((s) => [s.utilitySubnetId, s.privateSubnetId]) })));
  await eventually(() => client.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: Object.values(securityGroups) })));
  return { env, spec, operationId, uid: record.uid, imageId, vpcId, subnets, securityGroups };
}
