/**
 * EnsureEtcdVolumes: one encrypted gp3 volume per control-plane seat, in the seat's zone,
 * made before the instances so that each can hold its seat's etcd data from the first
 * `kubeadm init`. Each seat is first looked up by tag, else created with a ClientToken fixed
 * per (cluster incarnation, seat), so a retry after a lost response gets the same volume
 * back; each is recorded the moment its id is known.
 */
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { anywhere, arn, allow, creating, table } from '../../shared/aws/iam';
import { createSeatVolume, etcdVolumeClientToken, recordSeatVolume, seatVolumes } from './etcd-volumes';

export const ensureEtcdVolumesInput = stepEnvelope;

export interface EtcdVolume {
  seat: number;
  zone: string;
  volumeId: string;
}

export async function ensureEtcdVolumes(input: z.infer<typeof ensureEtcdVolumesInput>, deps: StepDeps): Promise<{ volumes: EtcdVolume[] }> {
  const { record, spec } = await loadCluster(deps, input.cluster);
  const zones = spec.controlPlane.zones;
  if (zones.length !== spec.controlPlane.count) {
    throw new StepFailedError(`cluster ${spec.name} has ${spec.controlPlane.count} control-plane instances but ${zones.length} zones for them`);
  }
  const existing = await seatVolumes(deps, spec.name);
  const volumes: EtcdVolume[] = [];
  for (const [seat, zone] of zones.entries()) {
    const volumeId = existing.get(seat)?.VolumeId ?? (await createSeatVolume(deps, spec, seat, zone, etcdVolumeClientToken(record.uid, seat)));
    // At once: a crash after this leaves nothing the inventory does not know.
    await recordSeatVolume(deps, spec, seat, zone, volumeId);
    volumes.push({ seat, zone, volumeId });
  }
  return { volumes };
}

export const step = defineStep({
  name: 'EnsureEtcdVolumes',
  describeActivity: () => 'creating the control-plane seats\' etcd volumes',
  clients: [ec2Client],
  input: ensureEtcdVolumesInput,
  creates: ['Volume'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ec2:DescribeVolumes'),
    creating(['ec2:CreateVolume'], [arn('ec2', 'volume/*')]),
    // Tags at creation (TagSpecifications) only.
    allow(['ec2:CreateTags'], [arn('ec2', 'volume/*')], { StringEquals: { 'ec2:CreateAction': 'CreateVolume' } }),
  ],
  run: ensureEtcdVolumes,
});
export const { handler, run: runStep } = step;
