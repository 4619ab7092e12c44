/**
 * Instance launch and lifecycle, shared by RunInstances and the Auto Scaling reconciler:
 * pending → running (~30 s), stopping → stopped, shutting-down → terminated (~45 s).
 * Each transition emits `instance:<state>` on `state.events` for the hosts engineer.
 */
import ipaddr from 'ipaddr.js';
import { instanceProfileProblem, profileOf } from '../iam/principals';
import { SimError } from '../core/errors';
import type { SimState } from '../core/state';
import type { SimBlockDevice, SimInstance, SimLaunchTemplateData, SimSubnet, Tags } from '../core/types';
import { ensureCatalogue } from './images';
import { privateDnsName } from './common';
import { createEni } from './network-interfaces';

/** What to launch, in launch-template terms (RunInstances maps onto it too). */
export interface LaunchSpec extends SimLaunchTemplateData {
  SubnetId?: string;
  /** RunInstances' PrivateIpAddress: one instance, at this address of its subnet. */
  PrivateIpAddress?: string;
  instanceTags?: Tags;
  autoScalingGroupName?: string;
  launchTemplate?: { id: string; name: string; version: string };
  clientToken?: string;
}

/** Whether an instance type runs arm64 (Graviton families carry a `g` after the generation digit). */
export function isArm(instanceType: string): boolean {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceType);
}

/** Launches `count` instances into one subnet; throws AWS's errors for bad input or no capacity. */
export function launchInstances(state: SimState, region: string, spec: LaunchSpec, count: number): SimInstance[] {
  ensureCatalogue(state, region);
  const imageId = spec.ImageId;
  if (!imageId) throw new SimError('MissingParameter', 'The request must contain the parameter ImageId');
  const image = state.images.get(imageId);
  if (!image || image.region !== region || image.state === 'deregistered' || !state.visible(image)) {
    throw new SimError('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
  }
  if (image.state !== 'available') throw new SimError('InvalidAMIID.Unavailable', `The image id '[${imageId}]' is not available`);
  const instanceType = spec.InstanceType ?? 'm1.small';
  if ((image.architecture === 'arm64') !== isArm(instanceType)) {
    throw new SimError('InvalidParameterValue', `The instance type '${instanceType}' does not support the architecture '${image.architecture}' of image '${imageId}'.`);
  }
  // IAM must know the profile, and have shown it to EC2 (a just-created one is not yet).
  const badProfile = instanceProfileProblem(state, spec.IamInstanceProfile);
  if (badProfile) throw new SimError('InvalidParameterValue', badProfile);
  const profileRef = spec.IamInstanceProfile?.Arn ?? spec.IamInstanceProfile?.Name;
  const profile = profileRef ? profileOf(state, profileRef) : undefined;
  const subnetId = spec.SubnetId ?? spec.NetworkInterfaces?.[0]?.SubnetId;
  if (!subnetId) throw new SimError('VPCIdNotSpecified', 'No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.');
  const subnet = state.subnets.get(subnetId);
  if (!subnet || subnet.region !== region || !state.visible(subnet)) throw new SimError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
  if (state.faults.state.zonesOutOfCapacity.includes(subnet.availabilityZone) || state.faults.state.impairedZones.includes(subnet.availabilityZone)) {
    throw new SimError(
      'InsufficientInstanceCapacity',
      `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${subnet.availabilityZone}). Our system will be working on provisioning additional capacity.`,
      500,
    );
  }
  const groupIds = spec.SecurityGroupIds?.length ? spec.SecurityGroupIds : spec.NetworkInterfaces?.[0]?.Groups ?? [];
  for (const g of groupIds) {
    const sg = state.securityGroups.get(g);
    if (!sg || sg.region !== region) throw new SimError('InvalidGroup.NotFound', `The security group '${g}' does not exist`);
    if (sg.vpcId !== subnet.vpcId) throw new SimError('InvalidParameter', `Security group ${g} and subnet ${subnet.id} belong to different networks.`);
  }
  const securityGroupIds = groupIds.length ? groupIds : [state.vpcs.get(subnet.vpcId)?.defaultSecurityGroupId ?? ''];
  if (spec.PrivateIpAddress) checkRequestedAddress(state, subnet, spec.PrivateIpAddress, count);
  const md = spec.MetadataOptions ?? {};
  const reservationId = state.newId('r');
  const out: SimInstance[] = [];
  for (let n = 0; n < count; n++) {
    const id = state.newId('i');
    const eni = createEni(state, subnet, {
      ...(spec.PrivateIpAddress ? { privateIpAddress: spec.PrivateIpAddress } : {}),
      groupIds: securityGroupIds,
      description: '',
      attachment: { attachmentId: state.newId('eni-attach'), instanceId: id, deviceIndex: 0, deleteOnTermination: true },
    });
    const blockDeviceMappings: SimBlockDevice[] = (spec.BlockDeviceMappings?.length ? spec.BlockDeviceMappings : [{ DeviceName: image.rootDeviceName, Ebs: {} }]).map((b) => ({
      deviceName: b.DeviceName ?? image.rootDeviceName,
      volumeId: state.newId('vol'),
      volumeSize: b.Ebs?.VolumeSize ?? 8,
      volumeType: b.Ebs?.VolumeType ?? 'gp3',
      encrypted: !!b.Ebs?.Encrypted,
      deleteOnTermination: b.Ebs?.DeleteOnTermination ?? true,
      kmsKeyId: b.Ebs?.KmsKeyId,
    }));
    const inst: SimInstance = {
      ...state.base(id, region, spec.instanceTags ?? {}),
      instanceId: id,
      imageId,
      instanceType,
      subnetId: subnet.id,
      vpcId: subnet.vpcId,
      availabilityZone: subnet.availabilityZone,
      privateIpAddress: eni.privateIpAddress,
      privateDnsName: privateDnsName(eni.privateIpAddress, region),
      publicIpAddress:
        spec.NetworkInterfaces?.[0]?.AssociatePublicIpAddress ?? subnet.mapPublicIpOnLaunch
          ? `3.${state.rng.int(0, 255)}.${state.rng.int(0, 255)}.${state.rng.int(1, 254)}`
          : undefined,
      state: 'pending',
      launchTime: state.clock.iso(),
      userData: spec.UserData ? Buffer.from(spec.UserData, 'base64').toString('utf8') : undefined,
      iamInstanceProfile: profile ? { arn: profile.arn, name: profile.name } : undefined,
      metadataOptions: {
        httpTokens: md.HttpTokens === 'required' ? 'required' : 'optional',
        httpEndpoint: md.HttpEndpoint === 'disabled' ? 'disabled' : 'enabled',
        httpPutResponseHopLimit: md.HttpPutResponseHopLimit ?? 1,
      },
      securityGroupIds,
      blockDeviceMappings,
      keyName: spec.KeyName,
      architecture: image.architecture,
      networkInterfaceId: eni.id,
      autoScalingGroupName: spec.autoScalingGroupName,
      launchTemplate: spec.launchTemplate,
      clientToken: spec.clientToken,
      reservationId,
      ...(spec.InstanceMarketOptions?.MarketType === 'spot' ? { instanceLifecycle: 'spot' as const } : {}),
    };
    if (spec.autoScalingGroupName) inst.tags['aws:autoscaling:groupName'] = spec.autoScalingGroupName;
    state.instances.set(id, inst);
    out.push(inst);
  }
  for (const inst of out) {
    state.events.emit('instance:pending', inst);
    scheduleRunning(state, inst);
  }
  return out;
}

/**
 * A requested private address: one instance only, inside the subnet and not one of the five
 * AWS reserves, and free — an instance that held it keeps it until it is terminated.
 */
function checkRequestedAddress(state: SimState, subnet: SimSubnet, ip: string, count: number): void {
  if (count > 1) throw new SimError('InvalidParameterCombination', 'Cannot specify a private IP address when launching more than one instance.');
  const [base, bits] = ipaddr.parseCIDR(subnet.cidrBlock);
  const parsed = ipaddr.isValid(ip) ? ipaddr.parse(ip) : undefined;
  if (!parsed || parsed.kind() !== 'ipv4' || !parsed.match(base, bits)) throw new SimError('InvalidParameterValue', `Address ${ip} is not in subnet ${subnet.id}'s range ${subnet.cidrBlock}.`);
  const offset = (parsed as ipaddr.IPv4).toByteArray().reduce((a, b) => a * 256 + b, 0) - (base as ipaddr.IPv4).toByteArray().reduce((a, b) => a * 256 + b, 0);
  if (offset < 4 || offset === 2 ** (32 - bits) - 1) throw new SimError('InvalidParameterValue', `Address ${ip} is reserved by AWS in subnet ${subnet.id}.`);
  if ([...state.networkInterfaces.values()].some((n) => n.subnetId === subnet.id && n.privateIpAddress === ip)) throw new SimError('InvalidIPAddress.InUse', `Address ${ip} is in use.`);
}

function scheduleRunning(state: SimState, inst: SimInstance): void {
  state.clock.after(state.latency.sample('instance.running'), () => {
    if (inst.state === 'pending' && state.instances.get(inst.id) === inst) state.setInstanceState(inst, 'running');
  });
}

/** Starts termination (shutting-down now, terminated later). No-op if already going. */
export function terminateInstance(state: SimState, inst: SimInstance, reason = { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' }): void {
  if (inst.state === 'shutting-down' || inst.state === 'terminated') return;
  state.setInstanceState(inst, 'shutting-down', reason);
  state.clock.after(state.latency.sample('instance.terminated'), () => finishTermination(state, inst));
}

function finishTermination(state: SimState, inst: SimInstance): void {
  if (inst.state === 'terminated' || state.instances.get(inst.id) !== inst) return;
  state.networkInterfaces.delete(inst.networkInterfaceId);
  state.setInstanceState(inst, 'terminated');
}

/** Stops a running instance (stopping now, stopped later). */
export function stopInstance(state: SimState, inst: SimInstance, reason = { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' }): void {
  if (inst.state !== 'running' && inst.state !== 'pending') return;
  state.setInstanceState(inst, 'stopping', reason);
  state.clock.after(state.latency.sample('instance.stopped'), () => {
    if (inst.state === 'stopping') state.setInstanceState(inst, 'stopped');
  });
}

/** Starts a stopped instance again. */
export function startInstance(state: SimState, inst: SimInstance): void {
  if (inst.state !== 'stopped') return;
  inst.stateReason = undefined;
  state.setInstanceState(inst, 'pending');
  scheduleRunning(state, inst);
}

/** A crash: the instance dies at once, as a host failure (`crashInstances` fault). */
export function crashInstance(state: SimState, inst: SimInstance): void {
  if (inst.state === 'terminated') return;
  state.setInstanceState(inst, 'shutting-down', { code: 'Server.InternalError', message: 'Server.InternalError: Internal error on launch' });
  state.clock.after(1, () => finishTermination(state, inst));
}

/** Re-schedules transitions after a snapshot load (timers are not saved). */
export function resumeInstances(state: SimState): void {
  for (const inst of state.instances.values()) {
    if (inst.state === 'pending') scheduleRunning(state, inst);
    else if (inst.state === 'shutting-down') state.clock.after(state.latency.sample('instance.terminated'), () => finishTermination(state, inst));
    else if (inst.state === 'stopping') state.clock.after(1, () => inst.state === 'stopping' && state.setInstanceState(inst, 'stopped'));
  }
}

/** Drops terminated instances an hour (simulated) after they ended, as AWS does. */
export function sweepTerminated(state: SimState): void {
  const cutoff = state.clock.now() - 3600_000;
  for (const inst of state.instances.values()) {
    if (inst.state === 'terminated' && (inst.terminatedAt ?? 0) < cutoff) state.instances.delete(inst.id);
  }
}
