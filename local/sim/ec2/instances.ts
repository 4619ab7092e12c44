/** RunInstances (ClientToken, launch templates), DescribeInstances, Terminate/Stop/StartInstances. */
import type {
  DescribeInstancesRequest,
  DescribeInstancesResult,
  Instance,
  InstanceStateChange,
  Reservation,
  RunInstancesRequest,
  StartInstancesRequest,
  StopInstancesRequest,
  TerminateInstancesRequest,
} from '@aws-sdk/client-ec2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { InstanceStateName, SimInstance, SimLaunchTemplateData } from '../core/types';
import { applyFilters, mustGet, paginate, tagList, tagsFromSpecs } from './common';
import { launchInstances, startInstance, stopInstance, terminateInstance, type LaunchSpec } from './instance-lifecycle';
import { findLaunchTemplate, resolveVersion } from './launch-templates';

/** EC2's numeric instance state codes. */
export const CODES: Record<InstanceStateName, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };

export function toSdkInstance(i: SimInstance, state: SimState): Instance {
  return {
    InstanceId: i.id,
    ImageId: i.imageId,
    InstanceType: i.instanceType as Instance['InstanceType'],
    State: { Code: CODES[i.state], Name: i.state },
    StateReason: i.stateReason ? { Code: i.stateReason.code, Message: i.stateReason.message } : undefined,
    StateTransitionReason: i.stateTransitionReason ?? '',
    PrivateIpAddress: i.privateIpAddress,
    PrivateDnsName: i.state === 'terminated' ? '' : i.privateDnsName,
    PublicIpAddress: i.state === 'running' ? i.publicIpAddress : undefined,
    SubnetId: i.state === 'terminated' ? undefined : i.subnetId,
    VpcId: i.state === 'terminated' ? undefined : i.vpcId,
    Placement: { AvailabilityZone: i.availabilityZone, Tenancy: 'default' },
    LaunchTime: new Date(i.launchTime),
    Architecture: i.architecture,
    KeyName: i.keyName,
    ...(i.instanceLifecycle ? { InstanceLifecycle: i.instanceLifecycle } : {}),
    ClientToken: i.clientToken,
    RootDeviceName: i.blockDeviceMappings[0]?.deviceName,
    RootDeviceType: 'ebs',
    Hypervisor: 'xen',
    VirtualizationType: 'hvm',
    EbsOptimized: false,
    AmiLaunchIndex: 0,
    IamInstanceProfile: i.iamInstanceProfile
      ? { Arn: i.iamInstanceProfile.arn ?? `arn:aws:iam::${state.accountId}:instance-profile/${i.iamInstanceProfile.name}`, Id: 'AIPA' + i.id.slice(2, 18).toUpperCase() }
      : undefined,
    MetadataOptions: {
      State: 'applied',
      HttpTokens: i.metadataOptions.httpTokens,
      HttpEndpoint: i.metadataOptions.httpEndpoint,
      HttpPutResponseHopLimit: i.metadataOptions.httpPutResponseHopLimit,
    },
    SecurityGroups: i.securityGroupIds.map((g) => ({ GroupId: g, GroupName: state.securityGroups.get(g)?.groupName })),
    BlockDeviceMappings:
      i.state === 'terminated'
        ? []
        : i.blockDeviceMappings.map((b) => ({
            DeviceName: b.deviceName,
            Ebs: { VolumeId: b.volumeId, Status: 'attached', DeleteOnTermination: b.deleteOnTermination, AttachTime: new Date(i.launchTime) },
          })),
    NetworkInterfaces:
      i.state === 'terminated'
        ? []
        : [
            {
              NetworkInterfaceId: i.networkInterfaceId,
              SubnetId: i.subnetId,
              VpcId: i.vpcId,
              PrivateIpAddress: i.privateIpAddress,
              Status: 'in-use',
              Attachment: { DeviceIndex: 0, Status: 'attached', DeleteOnTermination: true },
              Groups: i.securityGroupIds.map((g) => ({ GroupId: g, GroupName: state.securityGroups.get(g)?.groupName })),
            },
          ],
    Tags: tagList(i.tags),
  };
}

function reservationOf(insts: SimInstance[], state: SimState): Reservation {
  return { ReservationId: insts[0]?.reservationId, OwnerId: state.accountId, Groups: [], Instances: insts.map((i) => toSdkInstance(i, state)) };
}

const runInstances: QueryHandler = (input: RunInstancesRequest, ctx: SimContext): Reservation => {
  const { state } = ctx;
  if (input.ClientToken) {
    const prior = [...state.instances.values()].filter((i) => i.clientToken === input.ClientToken && i.region === ctx.region);
    if (prior.length) return reservationOf(prior, state);
  }
  let data: SimLaunchTemplateData = {};
  let launchTemplate: LaunchSpec['launchTemplate'];
  if (input.LaunchTemplate) {
    const t = findLaunchTemplate(state, ctx.region, input.LaunchTemplate.LaunchTemplateId, input.LaunchTemplate.LaunchTemplateName);
    const v = resolveVersion(t, input.LaunchTemplate.Version);
    data = v.data;
    launchTemplate = { id: t.id, name: t.launchTemplateName, version: String(v.versionNumber) };
  }
  const min = input.MinCount ?? 1;
  const max = input.MaxCount ?? min;
  if (min < 1 || max < min) throw new SimError('InvalidParameterValue', 'MinCount and MaxCount must be positive, MinCount <= MaxCount');
  const tagSpecs = [...(data.TagSpecifications ?? []), ...(input.TagSpecifications ?? [])];
  const spec: LaunchSpec = {
    ...data,
    ImageId: input.ImageId ?? data.ImageId,
    InstanceType: input.InstanceType ?? data.InstanceType,
    KeyName: input.KeyName ?? data.KeyName,
    UserData: input.UserData ?? data.UserData,
    IamInstanceProfile: input.IamInstanceProfile ?? data.IamInstanceProfile,
    SecurityGroupIds: input.SecurityGroupIds?.length ? input.SecurityGroupIds : data.SecurityGroupIds,
    MetadataOptions: (input.MetadataOptions as LaunchSpec['MetadataOptions']) ?? data.MetadataOptions,
    BlockDeviceMappings: (input.BlockDeviceMappings as LaunchSpec['BlockDeviceMappings']) ?? data.BlockDeviceMappings,
    NetworkInterfaces: (input.NetworkInterfaces as LaunchSpec['NetworkInterfaces']) ?? data.NetworkInterfaces,
    SubnetId: input.SubnetId,
    PrivateIpAddress: input.PrivateIpAddress,
    instanceTags: tagsFromSpecs(tagSpecs as { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[], 'instance'),
    launchTemplate,
    clientToken: input.ClientToken,
  };
  return reservationOf(launchInstances(state, ctx.region, spec, max), state);
};

const describeInstances: QueryHandler = (input: DescribeInstancesRequest, ctx: SimContext): DescribeInstancesResult => {
  const { state } = ctx;
  let items = [...state.instances.values()].filter((i) => i.region === ctx.region);
  if (input.InstanceIds?.length) {
    const missing = input.InstanceIds.filter((id) => {
      const i = state.instances.get(id);
      return !i || i.region !== ctx.region || !state.visible(i);
    });
    if (missing.length) throw new SimError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
    items = items.filter((i) => input.InstanceIds?.includes(i.id));
  }
  items = applyFilters(items, input.Filters, {
    'instance-id': (i) => i.id,
    'instance-state-name': (i) => i.state,
    'instance-state-code': (i) => CODES[i.state],
    'instance-type': (i) => i.instanceType,
    'image-id': (i) => i.imageId,
    'vpc-id': (i) => i.vpcId,
    'subnet-id': (i) => i.subnetId,
    'availability-zone': (i) => i.availabilityZone,
    'private-ip-address': (i) => i.privateIpAddress,
    'private-dns-name': (i) => i.privateDnsName,
    'network-interface.network-interface-id': (i) => i.networkInterfaceId,
    'instance.group-id': (i) => i.securityGroupIds,
    'client-token': (i) => i.clientToken,
    'reservation-id': (i) => i.reservationId,
    'iam-instance-profile.arn': (i) => i.iamInstanceProfile?.arn,
  });
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  const byReservation = new Map<string, SimInstance[]>();
  for (const i of page) byReservation.set(i.reservationId, [...(byReservation.get(i.reservationId) ?? []), i]);
  return { Reservations: [...byReservation.values()].map((insts) => reservationOf(insts, state)), NextToken: nextToken };
};

function change(state: SimState, ctx: SimContext, ids: string[] | undefined, act: (i: SimInstance) => void): InstanceStateChange[] {
  const insts = (ids ?? []).map((id) => mustGet(state, state.instances, id, 'InvalidInstanceID.NotFound', ctx));
  return insts.map((i) => {
    const before = i.state;
    act(i);
    return { InstanceId: i.id, PreviousState: { Code: CODES[before], Name: before }, CurrentState: { Code: CODES[i.state], Name: i.state } };
  });
}

const terminate: QueryHandler = (input: TerminateInstancesRequest, ctx: SimContext) => ({
  TerminatingInstances: change(ctx.state, ctx, input.InstanceIds, (i) => terminateInstance(ctx.state, i)),
});

const stop: QueryHandler = (input: StopInstancesRequest, ctx: SimContext) => {
  for (const id of input.InstanceIds ?? []) {
    const i = ctx.state.instances.get(id);
    if (i && (i.state === 'terminated' || i.state === 'shutting-down')) {
      throw new SimError('IncorrectInstanceState', `This instance '${id}' is not in a state from which it can be stopped.`);
    }
  }
  return { StoppingInstances: change(ctx.state, ctx, input.InstanceIds, (i) => stopInstance(ctx.state, i)) };
};

const start: QueryHandler = (input: StartInstancesRequest, ctx: SimContext) => {
  for (const id of input.InstanceIds ?? []) {
    const i = ctx.state.instances.get(id);
    if (i && i.state !== 'stopped' && i.state !== 'running' && i.state !== 'pending') {
      throw new SimError('IncorrectInstanceState', `The instance '${id}' is not in a state from which it can be started.`);
    }
  }
  return { StartingInstances: change(ctx.state, ctx, input.InstanceIds, (i) => startInstance(ctx.state, i)) };
};

/** IMDS settings of a running instance (what a hardening pass or a pod identity migration changes). */
const modifyMetadataOptions: QueryHandler = (
  input: { InstanceId?: string; HttpTokens?: string; HttpPutResponseHopLimit?: number; HttpEndpoint?: string },
  ctx: SimContext,
) => {
  const i = mustGet(ctx.state, ctx.state.instances, input.InstanceId ?? '', 'InvalidInstanceID.NotFound', ctx);
  const hops = input.HttpPutResponseHopLimit;
  if (hops !== undefined && (!Number.isInteger(hops) || hops < 1 || hops > 64)) {
    throw new SimError('InvalidParameterValue', `The HttpPutResponseHopLimit value ${hops} is invalid. Valid values are integers from 1 through 64.`);
  }
  if (input.HttpTokens === 'required' || input.HttpTokens === 'optional') i.metadataOptions.httpTokens = input.HttpTokens;
  if (input.HttpEndpoint === 'enabled' || input.HttpEndpoint === 'disabled') i.metadataOptions.httpEndpoint = input.HttpEndpoint;
  if (hops !== undefined) i.metadataOptions.httpPutResponseHopLimit = hops;
  const md = i.metadataOptions;
  return {
    InstanceId: i.id,
    InstanceMetadataOptions: { State: 'applied', HttpTokens: md.httpTokens, HttpPutResponseHopLimit: md.httpPutResponseHopLimit, HttpEndpoint: md.httpEndpoint },
  };
};

export const instanceHandlers = {
  RunInstances: runInstances,
  ModifyInstanceMetadataOptions: modifyMetadataOptions,
  DescribeInstances: describeInstances,
  TerminateInstances: terminate,
  StopInstances: stop,
  StartInstances: start,
};
