/**
 * LaunchControlPlane: one instance per control-plane seat, seat `i` in
 * `spec.controlPlane.zones[i]`, in that zone's private subnet (the public one in a public
 * topology). IMDSv2 required, an encrypted gp3 root volume, the control-plane instance
 * profile and security group. Each seat is first looked up by tag, else launched with a
 * ClientToken fixed per (cluster incarnation, seat), so a retry after a lost response gets
 * the same instance back; each instance is recorded the moment its id is known. With a load
 * balancer, the instances are registered as targets of the API target group.
 */
import { describeInstances, rootDeviceName } from '../lib/ec2';
import { RunInstancesCommand, type Instance, type _InstanceType } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import type { ClusterSpec } from '../../shared/spec';
import { roleFilters, tagRecord } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { securityGroupsSchema, subnetsSchema, tagSpec, type SecurityGroupIds, type ZoneSubnets } from '../network/common';
import { API_PORT, CONTROL_PLANE_ROLE } from './render-context';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, awsArn, creating, table } from '../../shared/aws/iam';
import { hostRoleName, passHostRole } from '../../shared/aws/host-roles';
import { CONTROL_PLANE_HOP_LIMIT, CONTROL_PLANE_ROOT_GIB, controlPlaneTags, SEAT_TAG, seatClientToken } from './seats';


/** Instances that hold (or will hold) a seat; a terminated one frees its seat. */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

export const apiLoadBalancerSchema = z
  .object({
    state: z.string(),
    loadBalancerArn: z.string().optional(),
    dnsName: z.string().optional(),
    targetGroupArn: z.string().optional(),
  })
  .passthrough();

export const launchControlPlaneInput = stepEnvelope.extend({
  imageId: z.string().min(1),
  subnets: subnetsSchema,
  securityGroups: securityGroupsSchema,
  apiLoadBalancer: apiLoadBalancerSchema.optional(),
});
export type LaunchControlPlaneInput = z.infer<typeof launchControlPlaneInput>;

export interface LaunchControlPlaneOutput {
  instanceIds: string[];
  /** Seat 0: where `kubeadm init` runs. */
  first: string;
  /** The other seats, which join with `--control-plane`. */
  others: string[];
  /** The API target group the instances join once running (InitControlPlane registers them); '' without one. */
  targetGroupArn: string;
  /** `<load balancer DNS name>:6443`, or `<first instance's private IP>:6443`. */
  apiEndpoint: string;
}

export async function launchControlPlane(
  input: Pick<LaunchControlPlaneInput, 'cluster' | 'imageId' | 'subnets' | 'securityGroups' | 'apiLoadBalancer'>,
  deps: StepDeps,
): Promise<LaunchControlPlaneOutput> {
  const { record, spec } = await loadCluster(deps, input.cluster);
  const seats = spec.controlPlane.zones;
  if (seats.length !== spec.controlPlane.count) {
    throw new StepFailedError(`cluster ${spec.name} has ${spec.controlPlane.count} control-plane instances but ${seats.length} zones for them`);
  }
  const existing = await findSeats(deps, spec.name);
  const rootDevice = await rootDeviceName(deps, input.imageId);
  const instances: Instance[] = [];
  for (const [seat, zone] of seats.entries()) {
    let instance = existing.get(seat);
    if (!instance) {
      instance = await launchSeat(deps, { spec, uid: record.uid, seat, zone, input, rootDevice });
    }
    const id = instance.InstanceId!;
    // At once: a crash after this leaves nothing the inventory does not know.
    await deps.store.recordResource(spec.name, {
      type: 'instance',
      id,
      zone,
      ownership: 'owned',
      name: `${spec.name}-control-plane-${seat}`,
      attrs: { role: CONTROL_PLANE_ROLE, seat, ...(instance.PrivateIpAddress ? { privateIp: instance.PrivateIpAddress } : {}) },
    });
    instances.push(instance);
  }

  const lb = input.apiLoadBalancer;
  const useLoadBalancer = lb?.dnsName !== undefined && lb.state !== 'none';
  const firstIp = instances[0].PrivateIpAddress;
  if (!useLoadBalancer && !firstIp) throw new StepFailedError(`control-plane instance ${instances[0].InstanceId} has no private IP address`);
  const apiEndpoint = useLoadBalancer ? `${lb.dnsName}:${API_PORT}` : `${firstIp}:${API_PORT}`;
  // The endpoint on seat 0's record: the steps after this render their scripts with it.
  await deps.store.recordResource(spec.name, {
    type: 'instance',
    id: instances[0].InstanceId!,
    zone: seats[0],
    ownership: 'owned',
    name: `${spec.name}-control-plane-0`,
    attrs: { role: CONTROL_PLANE_ROLE, seat: 0, ...(firstIp ? { privateIp: firstIp } : {}), apiEndpoint },
  });

  const instanceIds = instances.map((i) => i.InstanceId!);
  // Registered with the target group later (InitControlPlane), once running: waiting for that
  // here would hold the workflow in backoff retries while the instances boot.
  const targetGroupArn = useLoadBalancer ? (lb.targetGroupArn ?? '') : '';
  return { instanceIds, first: instanceIds[0], others: instanceIds.slice(1), targetGroupArn, apiEndpoint };
}

/** Live control-plane instances of the cluster, by seat (the oldest one if a seat has two). */
async function findSeats(deps: StepDeps, cluster: string): Promise<Map<number, Instance>> {
  const seats = new Map<number, Instance>();
  const found = await describeInstances(deps, [...roleFilters(cluster, CONTROL_PLANE_ROLE), { Name: 'instance-state-name', Values: LIVE_STATES }]);
  found.sort((a, b) => (a.LaunchTime?.getTime() ?? 0) - (b.LaunchTime?.getTime() ?? 0));
  for (const inst of found) {
    const seat = Number(tagRecord(inst.Tags)[SEAT_TAG]);
    if (Number.isInteger(seat) && !seats.has(seat)) seats.set(seat, inst);
  }
  return seats;
}

async function launchSeat(
  deps: StepDeps,
  options: {
    spec: ClusterSpec;
    uid: string;
    seat: number;
    zone: string;
    input: { imageId: string; subnets: ZoneSubnets[]; securityGroups: SecurityGroupIds };
    rootDevice: string;
  },
): Promise<Instance> {
  const { spec, seat, zone, input } = options;
  const subnet = input.subnets.find((s) => s.zone === zone);
  if (!subnet) throw new StepFailedError(`no subnet in ${zone} for control-plane seat ${seat}`);
  const tags = controlPlaneTags(spec, seat, zone);
  const out = await deps.clients.ec2.send(
    new RunInstancesCommand({
      ImageId: input.imageId,
      InstanceType: spec.controlPlane.machineType as _InstanceType,
      MinCount: 1,
      MaxCount: 1,
      // Public topology: EnsureZoneSubnets returns the one public subnet as both.
      SubnetId: subnet.privateSubnetId,
      SecurityGroupIds: [input.securityGroups.controlPlane],
      IamInstanceProfile: { Name: hostRoleName(spec.name, 'control-plane') },
      ClientToken: seatClientToken(options.uid, seat),
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: CONTROL_PLANE_HOP_LIMIT },
      BlockDeviceMappings: [
        {
          DeviceName: options.rootDevice,
          Ebs: { VolumeType: 'gp3', VolumeSize: CONTROL_PLANE_ROOT_GIB, Encrypted: true, DeleteOnTermination: true },
        },
      ],
      TagSpecifications: [...tagSpec('instance', tags), ...tagSpec('volume', tags)],
    }),
  );
  const instance = out.Instances?.[0];
  if (!instance?.InstanceId) throw new StepFailedError(`RunInstances returned no instance for control-plane seat ${seat}`);
  // A ClientToken replays the first launch, even one that has since been terminated.
  const state = instance.State?.Name ?? 'pending';
  if (state === 'terminated' || state === 'shutting-down') {
    throw new StepFailedError(`control-plane seat ${seat}'s instance ${instance.InstanceId} is ${state}; it will not be launched again by this cluster`);
  }
  return instance;
}

export const step = defineStep({
  name: 'LaunchControlPlane',
  clients: [ec2Client],
  input: launchControlPlaneInput,
  creates: ['Instance'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ec2:DescribeInstances', 'ec2:DescribeImages'),
    creating(['ec2:RunInstances'], [awsArn('ec2', 'image/*'), arn('ec2', 'instance/*'), arn('ec2', 'volume/*'), arn('ec2', 'network-interface/*'), arn('ec2', 'subnet/*'), arn('ec2', 'security-group/*')]),
    // Tags at launch (TagSpecifications) only: the function never retags a running instance.
    allow(['ec2:CreateTags'], [arn('ec2', 'instance/*'), arn('ec2', 'volume/*')], { StringEquals: { 'ec2:CreateAction': 'RunInstances' } }),
    passHostRole(),
  ],
  run: launchControlPlane,
});
export const { handler } = step;
