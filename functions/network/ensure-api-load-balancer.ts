/**
 * EnsureApiLoadBalancer: the network load balancer `<name>-api` in front of the Kubernetes
 * API (internet-facing for a `public` API, internal otherwise) over the utility subnets,
 * its TCP 6443 target group `<name>-api-6443` and the listener. Load balancer and target
 * group names are unique per account and region, so they are looked up by name; one that
 * is not tagged for this cluster is refused, not adopted.
 */
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ModifyTargetGroupCommand,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import * as z from 'zod';
import { isAlreadyExists, isNotFound } from '../../shared/aws/errors';
import { StepFailedError } from '../../shared/errors';
import type { ClusterSpec } from '../../shared/spec';
import { HOPPER_CLUSTER_TAG, tagRecord } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { API_PORT, apiLoadBalancerName, apiTargetGroupName, securityGroupsSchema, subnetsSchema, tagsFor, type SecurityGroupIds, type ZoneSubnets } from './common';
import { elbv2Client } from '../../shared/aws/clients/elbv2';
import { API_HEALTH_CHECK } from '../../shared/aws/api-load-balancer';
import { allow, anywhere, arn, creating, ofCluster, table } from '../../shared/aws/iam';

export const ensureApiLoadBalancerInput = stepEnvelope.extend({
  vpcId: z.string(),
  subnets: subnetsSchema,
  securityGroups: securityGroupsSchema,
});

export interface ApiLoadBalancerOutput {
  loadBalancerArn: string;
  dnsName: string;
  targetGroupArn: string;
  state: string;
}

export async function ensureApiLoadBalancer(
  input: { cluster: string; vpcId: string; subnets: ZoneSubnets[]; securityGroups: SecurityGroupIds },
  deps: StepDeps,
): Promise<ApiLoadBalancerOutput> {
  const { spec } = await loadCluster(deps, input.cluster);
  const targetGroup = await ensureTargetGroup(spec, input.vpcId, deps);
  const loadBalancer = await ensureLoadBalancer(spec, input, deps);
  await ensureListener(spec, loadBalancer.LoadBalancerArn!, targetGroup.TargetGroupArn!, deps);
  return {
    loadBalancerArn: loadBalancer.LoadBalancerArn!,
    dnsName: loadBalancer.DNSName!,
    targetGroupArn: targetGroup.TargetGroupArn!,
    state: loadBalancer.State?.Code ?? 'provisioning',
  };
}

/** Refuse a same-named resource of someone else (names are account-wide). */
async function requireOurs(spec: ClusterSpec, arn: string, what: string, deps: StepDeps): Promise<void> {
  const out = await deps.clients.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
  const tags = tagRecord(out.TagDescriptions?.[0]?.Tags);
  if (tags[HOPPER_CLUSTER_TAG] !== spec.name) {
    throw new StepFailedError(`A ${what} named ${arn.split('/').at(-2) ?? arn} exists and does not belong to cluster ${spec.name}`);
  }
}

async function findLoadBalancer(name: string, deps: StepDeps): Promise<LoadBalancer | undefined> {
  try {
    return (await deps.clients.elbv2.send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function findTargetGroup(name: string, deps: StepDeps): Promise<TargetGroup | undefined> {
  try {
    return (await deps.clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] }))).TargetGroups?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function ensureTargetGroup(spec: ClusterSpec, vpcId: string, deps: StepDeps): Promise<TargetGroup> {
  const name = apiTargetGroupName(spec.name);
  let group = await findTargetGroup(name, deps);
  if (!group) {
    try {
      const created = await deps.clients.elbv2.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: 'TCP',
          Port: API_PORT,
          VpcId: vpcId,
          TargetType: 'instance',
          HealthCheckProtocol: 'TCP',
          HealthCheckPort: 'traffic-port',
          ...API_HEALTH_CHECK,
          Tags: tagsFor(spec, 'api-target-group', name),
        }),
      );
      group = created.TargetGroups![0];
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      group = await findTargetGroup(name, deps);
      if (!group) throw err;
    }
  }
  await requireOurs(spec, group.TargetGroupArn!, 'target group', deps);
  await deps.store.recordResource(spec.name, { type: 'target-group', id: group.TargetGroupArn!, ownership: 'owned', name });
  // A group made by an older Hopper (AWS's defaults: 5 checks 30 s apart) converges.
  const settled = Object.entries(API_HEALTH_CHECK).every(([k, v]) => group[k as keyof typeof API_HEALTH_CHECK] === v);
  if (!settled) await deps.clients.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: group.TargetGroupArn!, ...API_HEALTH_CHECK }));
  return group;
}

async function ensureLoadBalancer(
  spec: ClusterSpec,
  input: { subnets: ZoneSubnets[]; securityGroups: SecurityGroupIds },
  deps: StepDeps,
): Promise<LoadBalancer> {
  const name = apiLoadBalancerName(spec.name);
  let loadBalancer = await findLoadBalancer(name, deps);
  if (!loadBalancer) {
    const scheme = spec.api.loadBalancer?.type === 'public' ? 'internet-facing' : 'internal';
    try {
      const created = await deps.clients.elbv2.send(
        new CreateLoadBalancerCommand({
          Name: name,
          Type: 'network',
          Scheme: scheme,
          IpAddressType: 'ipv4',
          Subnets: input.subnets.map((s) => s.utilitySubnetId),
          ...(input.securityGroups.apiLoadBalancer ? { SecurityGroups: [input.securityGroups.apiLoadBalancer] } : {}),
          Tags: tagsFor(spec, 'api-load-balancer', name),
        }),
      );
      loadBalancer = created.LoadBalancers![0];
    } catch (err) {
      // Created by a run whose answer was lost (with other parameters AWS says Duplicate…).
      if (!isAlreadyExists(err)) throw err;
      loadBalancer = await findLoadBalancer(name, deps);
      if (!loadBalancer) throw err;
    }
  }
  await requireOurs(spec, loadBalancer.LoadBalancerArn!, 'load balancer', deps);
  await deps.store.recordResource(spec.name, { type: 'load-balancer', id: loadBalancer.LoadBalancerArn!, ownership: 'owned', name });
  return loadBalancer;
}

async function ensureListener(spec: ClusterSpec, loadBalancerArn: string, targetGroupArn: string, deps: StepDeps): Promise<void> {
  const elbv2 = deps.clients.elbv2;
  const listeners = (await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }))).Listeners ?? [];
  let listener = listeners.find((l) => l.Port === API_PORT);
  if (!listener) {
    const created = await elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: loadBalancerArn,
        Protocol: 'TCP',
        Port: API_PORT,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
        Tags: tagsFor(spec, 'api-listener', `${spec.name}-api-${API_PORT}`),
      }),
    );
    listener = created.Listeners![0];
  }
  await deps.store.recordResource(spec.name, { type: 'listener', id: listener.ListenerArn!, ownership: 'owned' });
}

export const step = defineStep({
  name: 'EnsureApiLoadBalancer',
  describeActivity: () => 'creating the API load balancer',
  clients: [elbv2Client],
  input: ensureApiLoadBalancerInput,
  creates: ['LoadBalancer', 'TargetGroup', 'Listener'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTags'),
    creating(['elasticloadbalancing:CreateLoadBalancer'], [arn('elasticloadbalancing', 'loadbalancer/net/*-api/*')]),
    creating(['elasticloadbalancing:CreateTargetGroup'], [arn('elasticloadbalancing', 'targetgroup/*-api-6443/*')]),
    ofCluster(['elasticloadbalancing:ModifyTargetGroup'], [arn('elasticloadbalancing', 'targetgroup/*-api-6443/*')]),
    creating(['elasticloadbalancing:CreateListener'], [arn('elasticloadbalancing', 'loadbalancer/net/*-api/*'), arn('elasticloadbalancing', 'listener/net/*-api/*/*')]),
    allow(['elasticloadbalancing:AddTags'], [arn('elasticloadbalancing', 'loadbalancer/net/*-api/*'), arn('elasticloadbalancing', 'targetgroup/*-api-6443/*'), arn('elasticloadbalancing', 'listener/net/*-api/*/*')], { StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateLoadBalancer', 'CreateTargetGroup', 'CreateListener'] } }),
  ],
  run: ensureApiLoadBalancer,
});
export const { handler } = step;
