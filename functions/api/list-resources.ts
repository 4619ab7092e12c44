/**
 * `GET /v1/clusters/{name}/resources`: the cluster's inventory with each resource's state as
 * the cloud reports it now — an instance running or stopped, a NAT gateway pending or
 * available, a volume in use, the load balancer active, a group's instances in service — and
 * `not found` for one the inventory holds and the cloud no longer has. Describe calls only,
 * a few per type (filters, so that one missing id does not fail the rest).
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, DescribeNatGatewaysCommand, DescribeSubnetsCommand, DescribeVolumesCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type * as z from 'zod';
import { clientsFor, type AwsClients } from '../../shared/aws/clients';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { elbv2Client } from '../../shared/aws/clients/elbv2';
import { anywhere, table } from '../../shared/aws/iam';
import { NotFoundError } from '../../shared/errors';
import type { ResourceRecord } from '../../shared/store';
import { defineFunction } from '../lib/function';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterParams } from './params';
import { resourceView } from './views';

type Cloud = Pick<AwsClients, 'ec2' | 'autoscaling' | 'elbv2'>;

const NOT_FOUND = 'not found';

/** Each type's states by id, as the cloud reports them (ids it does not report are not found). */
const STATES: Record<string, (cloud: Cloud, ids: string[]) => Promise<Map<string, string>>> = {
  instance: async (cloud, ids) => {
    const out = await cloud.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids }] }));
    return new Map((out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId!, i.State?.Name ?? 'unknown']));
  },
  'nat-gateway': async (cloud, ids) => {
    const out = await cloud.ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'nat-gateway-id', Values: ids }] }));
    return new Map((out.NatGateways ?? []).map((n) => [n.NatGatewayId!, n.State ?? 'unknown']));
  },
  volume: async (cloud, ids) => {
    const out = await cloud.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: ids }] }));
    return new Map((out.Volumes ?? []).map((v) => [v.VolumeId!, v.State ?? 'unknown']));
  },
  vpc: async (cloud, ids) => {
    const out = await cloud.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: ids }] }));
    return new Map((out.Vpcs ?? []).map((v) => [v.VpcId!, v.State ?? 'unknown']));
  },
  subnet: async (cloud, ids) => {
    const out = await cloud.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: ids }] }));
    return new Map((out.Subnets ?? []).map((s) => [s.SubnetId!, s.State ?? 'unknown']));
  },
  'load-balancer': async (cloud, ids) => {
    // DescribeLoadBalancers by ARN fails whole for one missing balancer: ask one at a time.
    const states = new Map<string, string>();
    for (const arn of ids) {
      const out = await cloud.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] })).catch((err: Error) => {
        if (err.name === 'LoadBalancerNotFoundException' || err.name === 'LoadBalancerNotFound') return undefined;
        throw err;
      });
      const lb = out?.LoadBalancers?.[0];
      if (lb) states.set(arn, lb.State?.Code ?? 'unknown');
    }
    return states;
  },
  'autoscaling-group': async (cloud, ids) => {
    const out = await cloud.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ids }));
    return new Map(
      (out.AutoScalingGroups ?? []).map((g) => {
        const inService = (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length;
        return [g.AutoScalingGroupName!, `${inService}/${g.DesiredCapacity ?? 0} in service`];
      }),
    );
  },
};

/** Ids per call: DescribeAutoScalingGroups takes 50 names, the EC2 filters more. */
const BATCH: Record<string, number> = { 'autoscaling-group': 50 };

async function statesOf(cloud: Cloud, type: string, ids: string[]): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  const size = BATCH[type] ?? 100;
  for (let i = 0; i < ids.length; i += size) for (const [id, state] of await STATES[type](cloud, ids.slice(i, i + size))) states.set(id, state);
  return states;
}

export async function listClusterResources(
  req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>,
  deps: ApiDeps = apiDeps(),
  cloud: Cloud = clientsFor([ec2Client, autoscalingClient, elbv2Client], 'the resources route'),
): Promise<ApiResponse> {
  const record = await deps.store.getCluster(req.params.name);
  if (!record || record.status === 'Deleted') throw new NotFoundError(`cluster ${req.params.name} not found`);
  const resources = await deps.store.listResources(record.name);
  const byType = new Map<string, ResourceRecord[]>();
  for (const r of resources) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
  const states = new Map<string, string>();
  await Promise.all(
    [...byType].filter(([type]) => STATES[type]).map(async ([type, list]) => {
      const found = await statesOf(cloud, type, list.map((r) => r.id));
      for (const r of list) states.set(`${type} ${r.id}`, found.get(r.id) ?? NOT_FOUND);
    }),
  );
  return {
    status: 200,
    body: {
      resources: resources.map((r) => ({
        ...resourceView(r),
        ...(states.has(`${r.type} ${r.id}`) ? { state: states.get(`${r.type} ${r.id}`) } : {}),
        recordedAt: r.recordedAt,
      })),
    },
  };
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/v1/clusters/{name}/resources', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem', 'Query'),
    anywhere('ec2:DescribeInstances', 'ec2:DescribeNatGateways', 'ec2:DescribeVolumes', 'ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'elasticloadbalancing:DescribeLoadBalancers', 'autoscaling:DescribeAutoScalingGroups'),
  ],
});

export const handler = route({ params: clusterParams }, (req) => listClusterResources(req));
