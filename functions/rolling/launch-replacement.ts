/**
 * LaunchReplacement: a new instance for a control-plane seat whose old instance was
 * drained, reset and terminated — on the target image, in the seat's zone and subnet, with
 * the settings of a surviving control-plane instance (type, security groups, instance
 * profile, IMDSv2, encrypted root), or of the spec and inventory when it replaces the only
 * one; at the seat's address: without an API load balancer it is the endpoint everything
 * uses, and behind one it is the address of the etcd member whose data the seat's volume
 * holds, so that member starts again from it (if another instance has taken the address
 * meanwhile, the replacement gets a new one and joins as a new member). Its ClientToken is
 * fixed per (cluster incarnation, seat, operation), so a retry gets the same instance back.
 * Recorded in the inventory at once (the seat's lost instances leave it), registered with
 * the API target group.
 */
import { DescribeNetworkInterfacesCommand, RunInstancesCommand, type Instance, type _InstanceType } from '@aws-sdk/client-ec2';
import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import { DependencyPendingError, StepFailedError } from '../../shared/errors';
import { CONTROL_PLANE_HOP_LIMIT, CONTROL_PLANE_ROOT_GIB, controlPlaneTags } from '../control-plane/seats';
import { memberAddressOf, recordSeatMemberAddress, seatVolumeIn } from '../control-plane/etcd-volumes';
import { describeInstances, rootDeviceName } from '../lib/ec2';
import { API_PORT, CONTROL_PLANE_ROLE, recordedApiEndpoint } from '../control-plane/render-context';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { GROUP_ROLES, tagSpec } from '../network/common';
import { tokenOf } from '../nodes/common';
import { controlPlaneInstances, controlPlaneTargetImage } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { elbv2Client } from '../../shared/aws/clients/elbv2';
import { allow, anywhere, arn, awsArn, creating, ofCluster, table } from '../../shared/aws/iam';
import { hostRoleName, passHostRole } from '../../shared/aws/host-roles';

export const launchReplacementInput = stepEnvelope.extend({
  seat: z.object({ seat: z.number().int().min(0), zone: z.string().min(1), subnetId: z.string().optional() }),
  /** The rollout's options; `controlPlaneImageId` is the image an upgrade baked. */
  options: z.looseObject({ controlPlaneImageId: z.string().optional() }).optional(),
});

export async function launchReplacement(input: z.infer<typeof launchReplacementInput>, deps: StepDeps): Promise<{ instanceId: string; instanceIds: string[] }> {
  const { record, spec } = await loadCluster(deps, input.cluster);
  const { seat, zone } = input.seat;
  const imageId = await controlPlaneTargetImage(deps, spec, input.options?.controlPlaneImageId);
  if (!imageId) throw new StepFailedError(`no image for Kubernetes ${spec.kubernetesVersion} to launch control-plane seat ${seat} from`);
  const survivors = await controlPlaneInstances(deps, spec.name);
  const model = survivors.find((i) => i.ImageId === imageId) ?? survivors[0];
  // The last control plane being replaced: its settings come from the spec and the inventory.
  const securityGroupIds = model ? (model.SecurityGroups ?? []).map((g) => g.GroupId!) : await recordedControlPlaneGroups(deps, spec.name);
  if (securityGroupIds.length === 0) throw new StepFailedError(`no control-plane security group recorded to launch seat ${seat} with`);
  const subnetId = input.seat.subnetId ?? (await seatSubnet(deps, spec.name, zone, spec.topology === 'public'));
  const endpoint = await recordedApiEndpoint(deps, spec.name);
  // Without a load balancer the API endpoint is the seat's own address: every kubeconfig and
  // kubelet points there, so the replacement takes it (free once the old instance is gone).
  const endpointAddress = /^\d+\.\d+\.\d+\.\d+:\d+$/.test(endpoint) ? endpoint.replace(/:\d+$/, '') : undefined;
  // Behind a load balancer it takes its predecessor's address when it can: the seat's etcd
  // member (same address, same node name) then starts again from its data on the volume.
  const memberAddress = endpointAddress ? undefined : await predecessorAddress(deps, spec.name, seat, input.operationId);
  const seatAddress = endpointAddress ?? memberAddress;
  const tags = controlPlaneTags(spec, seat, zone);
  const rootDevice = await rootDeviceName(deps, imageId);
  const launchAt = (address: string | undefined, token: string) => new RunInstancesCommand({
    ImageId: imageId,
    InstanceType: (model?.InstanceType ?? spec.controlPlane.machineType) as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    SubnetId: subnetId,
    ...(address ? { PrivateIpAddress: address } : {}),
    SecurityGroupIds: securityGroupIds,
    IamInstanceProfile: { Name: hostRoleName(spec.name, 'control-plane') },
    ClientToken: token,
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: CONTROL_PLANE_HOP_LIMIT },
    BlockDeviceMappings: [{ DeviceName: rootDevice, Ebs: { VolumeType: 'gp3', VolumeSize: CONTROL_PLANE_ROOT_GIB, Encrypted: true, DeleteOnTermination: true } }],
    TagSpecifications: [...tagSpec('instance', tags), ...tagSpec('volume', tags)],
  });
  const token = tokenOf('hopper-cp-roll', record.uid, String(seat), input.operationId);
  const newAddressToken = tokenOf('hopper-cp-new', record.uid, String(seat), input.operationId);
  // A retry finds what a run before it launched, at the seat's address or at a new one.
  let instance: Instance | undefined = (await describeInstances(deps, [{ Name: 'client-token', Values: [token, newAddressToken] }]))[0];
  if (!instance) {
    try {
      instance = (await deps.clients.ec2.send(launchAt(seatAddress, token))).Instances?.[0];
    } catch (err) {
      if (awsErrorCode(err) !== 'InvalidIPAddress.InUse') throw err;
      const holder = await addressHolder(deps, seatAddress!);
      // The instance being replaced lets the address go once it is terminated.
      if (endpointAddress || holder.releasing) throw new DependencyPendingError(`the seat's address ${seatAddress} is still held by ${holder.by}`, { cause: err });
      // Something else took it meanwhile: a new address, and a new member that syncs from the others.
      instance = (await deps.clients.ec2.send(launchAt(undefined, newAddressToken))).Instances?.[0];
    }
  }
  if (!instance?.InstanceId) throw new StepFailedError(`RunInstances returned no instance for control-plane seat ${seat}`);
  await deps.store.recordResource(spec.name, {
    type: 'instance',
    id: instance.InstanceId,
    zone,
    ownership: 'owned',
    name: `${spec.name}-control-plane-${seat}`,
    attrs: { role: CONTROL_PLANE_ROLE, seat, ...(instance.PrivateIpAddress ? { privateIp: instance.PrivateIpAddress } : {}), apiEndpoint: endpoint, launchedBy: input.operationId },
  });
  await forgetLostOccupants(deps, spec.name, seat, instance.InstanceId);
  return registered(deps, spec.name, instance.InstanceId);
}

/** The seat's earlier instances that are gone (lost behind Hopper's back) leave the inventory: the seat has its new one. */
async function forgetLostOccupants(deps: StepDeps, cluster: string, seat: number, current: string): Promise<void> {
  const recorded = (await deps.store.listResources(cluster)).filter((r) => r.type === 'instance' && r.attrs?.role === CONTROL_PLANE_ROLE && Number(r.attrs?.seat) === seat && r.id !== current);
  if (recorded.length === 0) return;
  const live = new Set((await describeInstances(deps, [{ Name: 'instance-id', Values: recorded.map((r) => r.id) }])).filter((i) => i.State?.Name !== 'terminated').map((i) => i.InstanceId));
  for (const r of recorded) if (!live.has(r.id)) await deps.store.forgetResource(cluster, 'instance', r.id);
}

/** The instance registered with the API target groups (a retry registers it again: harmless). */
async function registered(deps: StepDeps, cluster: string, instanceId: string): Promise<{ instanceId: string; instanceIds: string[] }> {
  for (const tg of (await deps.store.listResources(cluster)).filter((r) => r.type === 'target-group')) {
    try {
      await deps.clients.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg.id, Targets: [{ Id: instanceId, Port: API_PORT }] }));
    } catch (err) {
      if (awsErrorCode(err) === 'InvalidTarget') throw new DependencyPendingError(`control-plane instance ${instanceId} is not running yet, so not registered with the API load balancer`, { cause: err });
      throw err;
    }
  }
  return { instanceId, instanceIds: [instanceId] };
}

/**
 * Who holds an address the launch was refused: an instance on its way out (or an interface
 * still attached to one) lets it go soon; another live instance, or an interface of another
 * service (a load balancer's, a Lambda's), keeps it.
 */
async function addressHolder(deps: StepDeps, address: string): Promise<{ releasing: boolean; by: string }> {
  const instance = (await describeInstances(deps, [{ Name: 'private-ip-address', Values: [address] }, { Name: 'instance-state-name', Values: ['pending', 'running', 'shutting-down', 'stopping', 'stopped'] }]))[0];
  if (instance) return { releasing: instance.State?.Name === 'shutting-down', by: `instance ${instance.InstanceId} (${instance.State?.Name})` };
  const nic = (await deps.clients.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'private-ip-address', Values: [address] }] }))).NetworkInterfaces?.[0];
  // None visible: the terminated instance's interface has just gone; the next try gets the address.
  if (!nic) return { releasing: true, by: 'an interface being deleted' };
  return { releasing: nic.Attachment?.InstanceId !== undefined, by: `network interface ${nic.NetworkInterfaceId}${nic.Description ? ` (${nic.Description})` : ''}` };
}

/**
 * The address of the seat's last instance, whose etcd member's data is on the seat's volume
 * ('' for a cluster without etcd volumes, or none known): the one TerminateOld recorded on the
 * volume, or that of a lost instance the inventory still holds for the seat. Recorded on the
 * volume, where the join looks for it (SendReplacementJoin).
 */
async function predecessorAddress(deps: StepDeps, cluster: string, seat: number, operationId: string): Promise<string | undefined> {
  const resources = await deps.store.listResources(cluster);
  const volume = seatVolumeIn(resources, seat);
  if (!volume) return undefined;
  // A lost instance is still recorded (nothing took it away in order); the newest is the seat's last
  // (not the replacement this operation launched, which a retry finds recorded).
  const lost = resources
    .filter((r) => r.type === 'instance' && r.attrs?.role === CONTROL_PLANE_ROLE && Number(r.attrs?.seat) === seat && r.attrs?.launchedBy !== operationId && typeof r.attrs?.privateIp === 'string')
    .sort((a, b) => b.recordedAt.localeCompare(a.recordedAt))[0];
  const address = lost ? String(lost.attrs!.privateIp) : memberAddressOf(volume);
  if (!address) return undefined;
  await recordSeatMemberAddress(deps, cluster, volume, address);
  return address;
}

/** The control-plane security group, as EnsureSecurityGroups recorded it. */
async function recordedControlPlaneGroups(deps: StepDeps, cluster: string): Promise<string[]> {
  return (await deps.store.listResources(cluster)).filter((r) => r.type === 'security-group' && r.attrs?.role === GROUP_ROLES.controlPlane).map((r) => r.id);
}

/** The seat zone's private subnet (the public one in a public topology), from the inventory. */
async function seatSubnet(deps: StepDeps, cluster: string, zone: string, publicTopology: boolean): Promise<string> {
  const subnets = (await deps.store.listResources(cluster)).filter((r) => r.type === 'subnet' && r.zone === zone);
  const wanted = subnets.find((s) => s.attrs?.role === (publicTopology ? 'public' : 'private')) ?? subnets.find((s) => s.attrs?.role === 'private') ?? subnets[0];
  if (!wanted) throw new StepFailedError(`no subnet recorded in ${zone} for a control-plane instance`);
  return wanted.id;
}

export const step = defineStep({
  name: 'LaunchReplacement',
  describeActivity: (i) => `launching a replacement for control-plane seat ${i.seat.seat} in ${i.seat.zone}`,
  clients: [ec2Client, elbv2Client],
  input: launchReplacementInput,
  permissions: [
    // DeleteItem: a seat's lost instances leave the inventory once it has its replacement.
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'),
    anywhere('ec2:DescribeInstances', 'ec2:DescribeImages', 'ec2:DescribeNetworkInterfaces'),
    creating(['ec2:RunInstances'], [arn('ec2', 'instance/*'), arn('ec2', 'volume/*'), arn('ec2', 'network-interface/*'), arn('ec2', 'subnet/*'), arn('ec2', 'security-group/*'), awsArn('ec2', 'image/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'instance/*'), arn('ec2', 'volume/*')], { StringEquals: { 'ec2:CreateAction': 'RunInstances' } }),
    passHostRole(),
    ofCluster(['elasticloadbalancing:RegisterTargets'], [arn('elasticloadbalancing', 'targetgroup/*')]),
  ],
  run: launchReplacement,
});
export const { handler, run: runStep } = step;
