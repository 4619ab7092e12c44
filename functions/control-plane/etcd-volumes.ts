/**
 * Each control-plane seat's etcd volume: a dedicated encrypted gp3 EBS volume in the seat's
 * zone, tagged with the cluster and seat, attached to whichever instance holds the seat and
 * mounted at /var/lib/etcd (etcd's data directory is /var/lib/etcd/data on it). It outlives
 * the instance: a replacement in the seat gets the same volume, and with it the member's data
 * — what lets a single control plane be replaced without losing the cluster (kOps has kept
 * etcd on volumes like these since its first releases).
 */
import { CreateVolumeCommand, DescribeVolumesCommand, type Volume } from '@aws-sdk/client-ec2';
import { createHash } from 'node:crypto';
import type { ClusterSpec } from '../../shared/spec';
import type { SeatRestore } from '../../shared/render';
import type { ResourceRecord } from '../../shared/store';
import { StepFailedError } from '../../shared/errors';
import { resourceTags, roleFilters, tagRecord, type Tag } from '../../shared/tags';
import { tagSpec } from '../network/common';
import type { StepDeps } from '../lib/deps';
import { SEAT_TAG } from './seats';

/** The volumes' role tag (`hopper:role`). */
export const ETCD_VOLUME_ROLE = 'etcd';
/** GiB: etcd's database is capped at 8 GiB by default; room for that, its WAL and snapshots (kOps' default is 20 too). */
export const ETCD_VOLUME_GIB = 20;
/** Where the volume appears to EC2; on Nitro instances it is an NVMe disk whose serial is the volume id (the scripts find it so: shared/render/etcd.ts). */
export const ETCD_VOLUME_DEVICE = '/dev/sdf';

/** The tags of seat `seat`'s volume. */
export function etcdVolumeTags(spec: ClusterSpec, seat: number, zone: string): Tag[] {
  return [...resourceTags({ cluster: spec.name, role: ETCD_VOLUME_ROLE, name: `${spec.name}-etcd-${seat}`, zone, extra: spec.tags }), { Key: SEAT_TAG, Value: String(seat) }];
}

/** CreateVolume's ClientToken for a seat: the same for every retry of the same cluster incarnation. */
export function etcdVolumeClientToken(uid: string, seat: number): string {
  return `hopper-etcd-${createHash('sha256').update([uid, ETCD_VOLUME_ROLE, String(seat)].join('\n')).digest('hex').slice(0, 48)}`;
}

/** The cluster's etcd volumes by seat (tags decide: the inventory may be behind a crash). */
export async function seatVolumes(deps: Pick<StepDeps, 'clients'>, cluster: string): Promise<Map<number, Volume>> {
  const out = await deps.clients.ec2.send(new DescribeVolumesCommand({ Filters: [...roleFilters(cluster, ETCD_VOLUME_ROLE), { Name: 'status', Values: ['creating', 'available', 'in-use'] }] }));
  const seats = new Map<number, Volume>();
  for (const v of (out.Volumes ?? []).sort((a, b) => (a.CreateTime?.getTime() ?? 0) - (b.CreateTime?.getTime() ?? 0))) {
    const seat = Number(tagRecord(v.Tags)[SEAT_TAG]);
    if (Number.isInteger(seat) && !seats.has(seat)) seats.set(seat, v);
  }
  return seats;
}

/** Seat `seat`'s etcd volume among a cluster's recorded resources. */
export function seatVolumeIn(resources: readonly ResourceRecord[], seat: number): ResourceRecord | undefined {
  return resources.find((r) => r.type === 'volume' && r.attrs?.role === ETCD_VOLUME_ROLE && Number(r.attrs?.seat) === seat);
}

/** The inventory record of seat `seat`'s etcd volume, if the cluster has one. */
export async function seatVolumeRecord(deps: Pick<StepDeps, 'store'>, cluster: string, seat: number): Promise<ResourceRecord | undefined> {
  return seatVolumeIn(await deps.store.listResources(cluster), seat);
}

/** The volume id of `seat` as the inventory recorded it ('' for a cluster made before etcd volumes). */
export async function recordedSeatVolume(deps: Pick<StepDeps, 'store'>, cluster: string, seat: number): Promise<string> {
  return (await seatVolumeRecord(deps, cluster, seat))?.id ?? '';
}

/** The etcd volume of the seat a control-plane instance holds, from the inventory ('' when none). */
export async function etcdVolumeOfInstance(deps: Pick<StepDeps, 'store'>, cluster: string, instanceId: string): Promise<string> {
  return (await seatVolumeOfInstance(deps, cluster, instanceId)).volumeId;
}

/**
 * The etcd volume of the seat a control-plane instance holds, with what its record says: the
 * seat, the address of the member whose data it holds (seatMemberAddress), and the backup it is
 * to be restored from when it replaced a volume lost with the only control plane
 * (AttachEtcdVolumes recorded it so). '' and undefined when none.
 */
export async function seatVolumeOfInstance(
  deps: Pick<StepDeps, 'store'>,
  cluster: string,
  instanceId: string,
): Promise<{ volumeId: string; seat?: number; memberAddress: string; restoreFrom?: SeatRestore }> {
  const resources = await deps.store.listResources(cluster);
  const seat = resources.find((r) => r.type === 'instance' && r.id === instanceId)?.attrs?.seat;
  if (seat === undefined) return { volumeId: '', memberAddress: '' };
  const volume = seatVolumeIn(resources, Number(seat));
  const restoreFrom = volume?.attrs?.restoreFrom as SeatRestore | undefined;
  return { volumeId: volume?.id ?? '', seat: Number(seat), memberAddress: memberAddressOf(volume), ...(restoreFrom ? { restoreFrom } : {}) };
}

/** Whether every seat of the cluster has its etcd volume recorded (clusters made before them have none). */
export async function everySeatHasVolume(deps: Pick<StepDeps, 'store'>, cluster: string, seats: number): Promise<boolean> {
  const recorded = new Set((await deps.store.listResources(cluster)).filter((r) => r.type === 'volume' && r.attrs?.role === ETCD_VOLUME_ROLE).map((r) => Number(r.attrs?.seat)));
  return seats > 0 && Array.from({ length: seats }, (_, i) => i).every((s) => recorded.has(s));
}

/**
 * Creates seat `seat`'s volume in `zone` (encrypted gp3, tagged at creation) and records it at
 * once; `clientToken` makes a retry after a lost response get the same volume back.
 */
export async function createSeatVolume(deps: StepDeps, spec: ClusterSpec, seat: number, zone: string, clientToken: string): Promise<string> {
  const made = await deps.clients.ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: zone,
      Size: ETCD_VOLUME_GIB,
      VolumeType: 'gp3',
      Encrypted: true,
      ClientToken: clientToken,
      TagSpecifications: tagSpec('volume', etcdVolumeTags(spec, seat, zone)),
    }),
  );
  if (!made.VolumeId) throw new StepFailedError(`CreateVolume returned no volume for control-plane seat ${seat}`);
  return made.VolumeId;
}

/**
 * Records seat `seat`'s volume in the inventory (a crash after this leaves nothing it does not
 * know), with the backup its etcd data is to come from when it is a new volume for a seat whose
 * data was lost with the only control plane.
 */
export async function recordSeatVolume(
  deps: Pick<StepDeps, 'store'>,
  spec: ClusterSpec,
  seat: number,
  zone: string,
  volumeId: string,
  made: { restoreFrom?: SeatRestore; createdBy?: string } = {},
): Promise<void> {
  await deps.store.recordResource(spec.name, {
    type: 'volume',
    id: volumeId,
    zone,
    ownership: 'owned',
    name: `${spec.name}-etcd-${seat}`,
    attrs: { role: ETCD_VOLUME_ROLE, seat, ...(made.restoreFrom ? { restoreFrom: { ...made.restoreFrom } } : {}), ...(made.createdBy ? { createdBy: made.createdBy } : {}) },
  });
}

/**
 * The private address of the etcd member whose data a seat's volume holds, as recorded when its
 * instance was last taken away ('' when unknown): a replacement launched at that address can
 * start that same member again from the data.
 */
export function memberAddressOf(volume: ResourceRecord | undefined): string {
  const address = volume?.attrs?.memberAddress;
  return typeof address === 'string' ? address : '';
}

/** seatMemberAddress of seat `seat`'s volume, read from the inventory. */
export async function seatMemberAddress(deps: Pick<StepDeps, 'store'>, cluster: string, seat: number): Promise<string> {
  return memberAddressOf(await seatVolumeRecord(deps, cluster, seat));
}

/** Records on a seat's volume (its inventory record, as read) the address of the member whose data it holds. */
export async function recordSeatMemberAddress(deps: Pick<StepDeps, 'store'>, cluster: string, volume: ResourceRecord | undefined, address: string): Promise<void> {
  if (!volume || volume.attrs?.memberAddress === address) return;
  await deps.store.recordResource(cluster, { type: volume.type, id: volume.id, zone: volume.zone, ownership: volume.ownership, name: volume.name, attrs: { ...volume.attrs, memberAddress: address } });
}
