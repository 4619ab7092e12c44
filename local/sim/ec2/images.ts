/**
 * Images: a public catalogue of Ubuntu LTS images per region (owner 099720109477,
 * Canonical), plus CreateImage (pending → available ~300 s), CopyImage, DeregisterImage.
 */
import { captureHostImage } from '../hosts/manager';
import { createHash } from 'node:crypto';
import type {
  CopyImageRequest,
  CopyImageResult,
  CreateImageRequest,
  CreateImageResult,
  DeregisterImageRequest,
  DescribeImagesRequest,
  DescribeImagesResult,
  Image,
} from '@aws-sdk/client-ec2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { SimImage } from '../core/types';
import { applyFilters, mustGet, paginate, required, tagList, tagsFromSpecs } from './common';

export const CANONICAL_OWNER = '099720109477';

const UBUNTU = [
  { version: '22.04', codename: 'jammy', serial: '20250112' },
  { version: '24.04', codename: 'noble', serial: '20250115' },
];

/** The Canonical image a region offers for a version and arch (also used by the SSM public parameters). */
export function ubuntuImageId(region: string, version: string, arch: 'amd64' | 'arm64'): string {
  return `ami-${createHash('sha256').update(`${region}/${version}/${arch}`).digest('hex').slice(0, 17)}`;
}

/** Adds the region's public catalogue on first use. */
export function ensureCatalogue(state: SimState, region: string): void {
  for (const u of UBUNTU) {
    for (const arch of ['amd64', 'arm64'] as const) {
      const id = ubuntuImageId(region, u.version, arch);
      if (state.images.has(id)) continue;
      state.images.set(id, {
        id,
        region,
        tags: {},
        createdAt: 0,
        imageId: id,
        name: `ubuntu/images/hvm-ssd-gp3/ubuntu-${u.codename}-${u.version}-${arch}-server-${u.serial}`,
        description: `Canonical, Ubuntu, ${u.version}, ${arch} ${u.codename} image`,
        ownerId: CANONICAL_OWNER,
        public: true,
        state: 'available',
        architecture: arch === 'amd64' ? 'x86_64' : 'arm64',
        rootDeviceName: '/dev/sda1',
        virtualizationType: 'hvm',
        creationDate: `${u.serial.slice(0, 4)}-${u.serial.slice(4, 6)}-${u.serial.slice(6)}T00:00:00.000Z`,
        blockDeviceMappings: [{ deviceName: '/dev/sda1', snapshotId: `snap-${id.slice(4)}`, volumeSize: 8, volumeType: 'gp3', encrypted: false }],
      });
    }
  }
}

function toSdk(i: SimImage): Image {
  return {
    ImageId: i.imageId,
    Name: i.name,
    Description: i.description,
    OwnerId: i.ownerId,
    Public: i.public,
    State: i.state,
    Architecture: i.architecture,
    RootDeviceName: i.rootDeviceName,
    RootDeviceType: 'ebs',
    VirtualizationType: i.virtualizationType,
    Hypervisor: 'xen',
    ImageType: 'machine',
    EnaSupport: true,
    CreationDate: i.creationDate,
    PlatformDetails: 'Linux/UNIX',
    BlockDeviceMappings: i.blockDeviceMappings.map((b) => ({
      DeviceName: b.deviceName,
      Ebs: { SnapshotId: b.snapshotId, VolumeSize: b.volumeSize, VolumeType: b.volumeType as 'gp3', Encrypted: b.encrypted, DeleteOnTermination: true },
    })),
    Tags: tagList(i.tags),
  };
}

function schedule(state: SimState, img: SimImage): void {
  state.clock.after(state.latency.sample('image.available'), () => {
    if (img.state === 'pending') img.state = 'available';
  });
}

/** Resumes pending images after a snapshot load. */
export function resumeImages(state: SimState): void {
  for (const img of state.images.values()) if (img.state === 'pending') schedule(state, img);
}

const createImage: QueryHandler = (input: CreateImageRequest, ctx: SimContext): CreateImageResult => {
  const { state } = ctx;
  const inst = mustGet(state, state.instances, required(input.InstanceId, 'InstanceId'), 'InvalidInstanceID.NotFound', ctx);
  if (inst.state !== 'running' && inst.state !== 'stopped') {
    throw new SimError('IncorrectState', `Instance '${inst.id}' is not in a valid state for this operation.`);
  }
  const name = required(input.Name, 'Name');
  if ([...state.images.values()].some((i) => i.region === ctx.region && i.ownerId === state.accountId && i.name === name && i.state !== 'deregistered')) {
    throw new SimError('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI`);
  }
  const id = state.newId('ami');
  const img: SimImage = {
    ...state.base(id, ctx.region, tagsFromSpecs(input.TagSpecifications, 'image')),
    imageId: id,
    name,
    description: input.Description,
    ownerId: state.accountId,
    public: false,
    state: 'pending',
    architecture: inst.architecture,
    rootDeviceName: '/dev/sda1',
    virtualizationType: 'hvm',
    creationDate: state.clock.iso(),
    sourceInstanceId: inst.id,
    blockDeviceMappings: inst.blockDeviceMappings.map((b) => ({
      deviceName: b.deviceName,
      snapshotId: state.newId('snap'),
      volumeSize: b.volumeSize,
      volumeType: b.volumeType,
      encrypted: b.encrypted,
    })),
  };
  state.images.set(id, img);
  // The image carries the instance's disk: what the bake installed is there at the next launch.
  captureHostImage(state, inst.id, id);
  schedule(state, img);
  return { ImageId: id };
};

const copyImage: QueryHandler = (input: CopyImageRequest, ctx: SimContext): CopyImageResult => {
  const { state } = ctx;
  const source = state.images.get(required(input.SourceImageId, 'SourceImageId'));
  if (!source || source.region !== input.SourceRegion || source.state === 'deregistered') {
    throw new SimError('InvalidAMIID.NotFound', `The image id '[${input.SourceImageId}]' does not exist`);
  }
  const id = state.newId('ami');
  const img: SimImage = {
    ...source,
    ...state.base(id, ctx.region, tagsFromSpecs(input.TagSpecifications, 'image')),
    imageId: id,
    name: required(input.Name, 'Name'),
    description: input.Description ?? source.description,
    ownerId: state.accountId,
    public: false,
    state: 'pending',
    creationDate: state.clock.iso(),
    sourceImageId: source.imageId,
    sourceRegion: source.region,
    blockDeviceMappings: source.blockDeviceMappings.map((b) => ({ ...b, snapshotId: state.newId('snap'), encrypted: input.Encrypted ?? b.encrypted })),
  };
  state.images.set(id, img);
  schedule(state, img);
  return { ImageId: id };
};

const describeImages: QueryHandler = (input: DescribeImagesRequest, ctx: SimContext): DescribeImagesResult => {
  const { state } = ctx;
  ensureCatalogue(state, ctx.region);
  let items = [...state.images.values()].filter((i) => i.region === ctx.region && i.state !== 'deregistered');
  if (input.ImageIds?.length) {
    for (const id of input.ImageIds) {
      const img = state.images.get(id);
      if (!img || img.region !== ctx.region || img.state === 'deregistered' || !state.visible(img)) {
        throw new SimError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
      }
    }
    items = items.filter((i) => input.ImageIds?.includes(i.imageId));
  } else if (!input.Owners?.length && !input.ExecutableUsers?.length) {
    // Without ids or owners, AWS lists public images and yours; keep to yours and Canonical's.
  }
  if (input.Owners?.length) {
    const owners = input.Owners.map((o) => (o === 'self' ? state.accountId : o === 'amazon' ? 'amazon' : o));
    items = items.filter((i) => owners.includes(i.ownerId));
  }
  items = applyFilters(items, input.Filters, {
    name: (i) => i.name,
    'image-id': (i) => i.imageId,
    state: (i) => i.state,
    architecture: (i) => i.architecture,
    'owner-id': (i) => i.ownerId,
    'is-public': (i) => i.public,
    'root-device-type': () => 'ebs',
    'virtualization-type': () => 'hvm',
    description: (i) => i.description,
  });
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  return { Images: page.map(toSdk), NextToken: nextToken };
};

const deregisterImage: QueryHandler = (input: DeregisterImageRequest, ctx: SimContext) => {
  const { state } = ctx;
  const img = state.images.get(input.ImageId ?? '');
  if (!img || img.region !== ctx.region || img.state === 'deregistered') {
    throw new SimError('InvalidAMIID.NotFound', `The image id '[${input.ImageId}]' does not exist`);
  }
  if (img.ownerId !== state.accountId) throw new SimError('AuthFailure', 'Not authorized for image');
  state.images.delete(img.id);
  return { Return: true };
};

export const imageHandlers = {
  CreateImage: createImage,
  CopyImage: copyImage,
  DescribeImages: describeImages,
  DeregisterImage: deregisterImage,
};
