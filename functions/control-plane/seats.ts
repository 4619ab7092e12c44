/**
 * Control-plane seats: what the steps that launch, join and replace control-plane
 * instances agree on (tags, volume, metadata hop limit, ClientToken, join deadline).
 */
import { createHash } from 'node:crypto';
import type { ClusterSpec } from '../../shared/spec';
import { HOPPER_ROLE_TAG, resourceTags, tagRecord, type Tag } from '../../shared/tags';
import { CONTROL_PLANE_ROLE } from './render-context';

/** The seat an instance fills (0 is the one `kubeadm init` runs on). */
export const SEAT_TAG = 'hopper:control-plane-seat';

/** The seat named by an instance's tags, or undefined when it has none (not a control plane, or tagged by hand). */
export function seatOfTags(tags: Record<string, string>): number | undefined {
  const seat = tags[SEAT_TAG] === undefined ? undefined : Number(tags[SEAT_TAG]);
  return Number.isInteger(seat) ? seat : undefined;
}
/** Root volume of a control-plane instance, GiB (etcd and images; kops uses 64 too). */
export const CONTROL_PLANE_ROOT_GIB = 64;
/**
 * Everything on a control-plane instance that reads instance metadata (kubelet, the
 * host-networked cloud controller manager) runs on the host: one hop is enough, and pods
 * in containers cannot reach the instance's credentials.
 */
export const CONTROL_PLANE_HOP_LIMIT = 1;

/** The control-plane instances among `instances` (by their role tag), in seat order: seat 0, the one kubeadm init ran on, first. */
export function inSeatOrder<I extends { Tags?: { Key?: string; Value?: string }[] }>(instances: I[]): I[] {
  const seat = (i: I) => Number(tagRecord(i.Tags)[SEAT_TAG] ?? 0);
  return instances.filter((i) => tagRecord(i.Tags)[HOPPER_ROLE_TAG] === CONTROL_PLANE_ROLE).sort((a, b) => seat(a) - seat(b));
}

/** The RunInstances ClientToken of a seat: the same for every retry of the same cluster incarnation. */
export function seatClientToken(uid: string, seat: number): string {
  const digest = createHash('sha256').update([uid, CONTROL_PLANE_ROLE, String(seat)].join('\n')).digest('hex');
  return `hopper-cp-${digest.slice(0, 48)}`;
}

/** The tags of the instance (and its volume) in `seat`. */
export function controlPlaneTags(spec: ClusterSpec, seat: number, zone: string): Tag[] {
  return [
    ...resourceTags({ cluster: spec.name, role: CONTROL_PLANE_ROLE, name: `${spec.name}-control-plane-${seat}`, zone, extra: spec.tags }),
    { Key: SEAT_TAG, Value: String(seat) },
  ];
}

/** A control-plane join pulls images and grows etcd: like init, minutes at most. */
export const JOIN_TIMEOUT_SECONDS = 900;
