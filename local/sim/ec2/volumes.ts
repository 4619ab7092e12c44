/**
 * EBS volumes: CreateVolume, DescribeVolumes, AttachVolume, DetachVolume, DeleteVolume,
 * with their states (creating → available → in-use → available; deleting), the rules that
 * break scripts on AWS (a volume attaches only in its own zone, to a running or stopped
 * instance, to one instance at a time, at a free device; an attached volume cannot be
 * deleted) and what termination does (a volume attached with AttachVolume is detached, not
 * deleted). What a volume holds is the hosts module's business (`hosts/volumes.ts`).
 */
import type {
  AttachVolumeRequest,
  CreateVolumeRequest,
  DeleteVolumeRequest,
  DescribeVolumesRequest,
  DescribeVolumesResult,
  DetachVolumeRequest,
  Volume,
  VolumeAttachment,
} from '@aws-sdk/client-ec2';
import { randomUUID } from 'node:crypto';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { SimInstance, SimVolume } from '../core/types';
import { applyFilters, mustGet, paginate, selectByIds, tagList, tagsFromSpecs } from './common';

/** The AWS managed key EBS encrypts with when the request names none. */
const ebsDefaultKey = (state: SimState, region: string) => `arn:aws:kms:${region}:${state.accountId}:alias/aws/ebs`;

function attachmentOf(v: SimVolume): VolumeAttachment[] {
  if (!v.attachment) return [];
  const a = v.attachment;
  return [{ VolumeId: v.volumeId, InstanceId: a.instanceId, Device: a.device, State: a.state, AttachTime: new Date(a.attachTime), DeleteOnTermination: a.deleteOnTermination }];
}

function toSdk(v: SimVolume): Volume {
  return {
    VolumeId: v.volumeId,
    Size: v.size,
    AvailabilityZone: v.availabilityZone,
    State: v.state,
    VolumeType: v.volumeType as Volume['VolumeType'],
    Encrypted: v.encrypted,
    ...(v.encrypted ? { KmsKeyId: v.kmsKeyId } : {}),
    CreateTime: new Date(v.createdAt),
    Attachments: attachmentOf(v),
    Tags: tagList(v.tags),
    MultiAttachEnabled: false,
  };
}

const create: QueryHandler = (input: CreateVolumeRequest, ctx: SimContext): Volume => {
  const { state } = ctx;
  if (input.ClientToken) {
    const earlier = [...state.volumes.values()].find((v) => v.clientToken === input.ClientToken && v.region === ctx.region);
    if (earlier) return toSdk(earlier);
  }
  if (!input.AvailabilityZone) throw new SimError('MissingParameter', 'The request must contain the parameter AvailabilityZone');
  if (!input.AvailabilityZone.startsWith(ctx.region) || !/^[a-z]$/.test(input.AvailabilityZone.slice(ctx.region.length))) {
    throw new SimError('InvalidZone.NotFound', `The zone '${input.AvailabilityZone}' does not exist.`);
  }
  if (input.Size === undefined) throw new SimError('MissingParameter', 'The request must contain the parameter size or snapshotId');
  if (input.Size < 1 || input.Size > 16384) throw new SimError('InvalidParameterValue', `Volume of ${input.Size}GiB is out of range for volume type ${input.VolumeType ?? 'gp3'}: 1-16384GiB`);
  const id = state.newId('vol');
  const encrypted = !!input.Encrypted;
  const v: SimVolume = {
    ...state.base(id, ctx.region, tagsFromSpecs(input.TagSpecifications, 'volume')),
    volumeId: id,
    availabilityZone: input.AvailabilityZone,
    size: input.Size,
    volumeType: input.VolumeType ?? 'gp2',
    encrypted,
    kmsKeyId: encrypted ? input.KmsKeyId ?? ebsDefaultKey(state, ctx.region) : undefined,
    state: 'creating',
    clientToken: input.ClientToken,
    files: {},
  };
  state.volumes.set(id, v);
  state.clock.after(state.latency.sample('volume.available'), () => {
    if (v.state === 'creating') v.state = 'available';
  });
  return toSdk(v);
};

const describe: QueryHandler = (input: DescribeVolumesRequest, ctx: SimContext): DescribeVolumesResult => {
  const { state } = ctx;
  let items = selectByIds(state, state.volumes, input.VolumeIds, 'InvalidVolume.NotFound', ctx, 'volume');
  items = applyFilters(items, input.Filters, {
    'volume-id': (v) => v.volumeId,
    status: (v) => v.state,
    'availability-zone': (v) => v.availabilityZone,
    'attachment.instance-id': (v) => v.attachment?.instanceId,
    'attachment.status': (v) => v.attachment?.state,
    'attachment.device': (v) => v.attachment?.device,
    encrypted: (v) => String(v.encrypted),
    'volume-type': (v) => v.volumeType,
    size: (v) => String(v.size),
  });
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  return { Volumes: page.map(toSdk), NextToken: nextToken };
};

const attach: QueryHandler = (input: AttachVolumeRequest, ctx: SimContext): VolumeAttachment => {
  const { state } = ctx;
  const v = mustGet(state, state.volumes, input.VolumeId, 'InvalidVolume.NotFound', ctx, 'volume');
  const inst = mustGet(state, state.instances, input.InstanceId, 'InvalidInstanceID.NotFound', ctx, 'instance ID');
  if (!input.Device) throw new SimError('MissingParameter', 'The request must contain the parameter device');
  if (v.attachment) throw new SimError('VolumeInUse', `${v.volumeId} is already attached to an instance`);
  if (v.state !== 'available') throw new SimError('IncorrectState', `The volume '${v.volumeId}' is not in the 'available' state.`);
  if (inst.state !== 'running' && inst.state !== 'stopped') throw new SimError('IncorrectState', `Instance '${inst.instanceId}' is not 'running'.`);
  if (inst.availabilityZone !== v.availabilityZone) {
    throw new SimError('InvalidVolume.ZoneMismatch', `The volume '${v.volumeId}' is not in the same availability zone as instance '${inst.instanceId}'`);
  }
  const taken = inst.blockDeviceMappings.some((b) => b.deviceName === input.Device) || [...state.volumes.values()].some((o) => o.attachment?.instanceId === inst.instanceId && o.attachment.device === input.Device);
  if (taken) throw new SimError('InvalidParameterValue', `Invalid value '${input.Device}' for unixDevice. Attachment point ${input.Device} is already in use`);
  v.attachment = { instanceId: inst.instanceId, device: input.Device, state: 'attaching', attachTime: state.clock.iso(), deleteOnTermination: false };
  v.state = 'in-use';
  const attachment = v.attachment;
  state.clock.after(state.latency.sample('volume.attached'), () => {
    if (v.attachment !== attachment || attachment.state !== 'attaching') return;
    attachment.state = 'attached';
    state.events.emit('volume:attached', v);
  });
  return attachmentOf(v)[0];
};

/** Starts a detach: the host lets go of the device now, the volume is available a little later. */
export function detachVolume(state: SimState, v: SimVolume, delaySeconds = state.latency.sample('volume.detached')): void {
  const attachment = v.attachment;
  if (!attachment || attachment.state === 'detaching') return;
  attachment.state = 'detaching';
  state.events.emit('volume:detaching', v);
  state.clock.after(delaySeconds, () => {
    if (v.attachment !== attachment) return;
    v.attachment = undefined;
    v.state = 'available';
  });
}

const detach: QueryHandler = (input: DetachVolumeRequest, ctx: SimContext): VolumeAttachment => {
  const { state } = ctx;
  const v = mustGet(state, state.volumes, input.VolumeId, 'InvalidVolume.NotFound', ctx, 'volume');
  if (!v.attachment || (input.InstanceId && v.attachment.instanceId !== input.InstanceId)) {
    throw new SimError('IncorrectState', `Volume '${v.volumeId}' is in the '${v.state}' state.`);
  }
  detachVolume(state, v);
  return attachmentOf(v)[0];
};

const remove: QueryHandler = (input: DeleteVolumeRequest, ctx: SimContext) => {
  const { state } = ctx;
  const v = mustGet(state, state.volumes, input.VolumeId, 'InvalidVolume.NotFound', ctx, 'volume');
  if (v.attachment) throw new SimError('VolumeInUse', `Volume ${v.volumeId} is currently attached to ${v.attachment.instanceId}`);
  if (v.state === 'deleting') return {};
  v.state = 'deleting';
  state.clock.after(1, () => {
    state.volumes.delete(v.id);
    state.events.emit('volume:deleted', v);
  });
  return {};
};

/** Termination lets go of the volumes AttachVolume attached (they were never DeleteOnTermination). */
export function releaseVolumesOf(state: SimState, inst: SimInstance): void {
  for (const v of state.volumes.values()) if (v.attachment?.instanceId === inst.instanceId) detachVolume(state, v, 0);
}

/** After a snapshot load: transitions that were under way finish. */
export function resumeVolumes(state: SimState): void {
  for (const v of state.volumes.values()) {
    if (v.state === 'creating') v.state = 'available';
    if (v.state === 'deleting') state.volumes.delete(v.id);
    if (v.attachment?.state === 'attaching') v.attachment.state = 'attached';
    if (v.attachment?.state === 'detaching') {
      v.attachment = undefined;
      v.state = 'available';
    }
  }
}

/** A new filesystem's UUID, as mkfs prints it. */
export const newFilesystemUuid = (): string => randomUUID();

export const volumeHandlers = {
  CreateVolume: create,
  DescribeVolumes: describe,
  AttachVolume: attach,
  DetachVolume: detach,
  DeleteVolume: remove,
};
