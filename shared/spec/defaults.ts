/**
 * Defaults inference, like kops' `create cluster`: zones from the region, subnets split
 * from the network, control plane spread over the zones. Pure and deterministic, and
 * idempotent: filling a full spec again changes nothing (so a stored spec re-parses).
 */
import { architectureOf, DEFAULT_MACHINE_TYPES, type Architecture } from './machine-types';
import { isKnownRegion, zonesOf } from './regions';
import type { ClusterSpecInput } from './schema';
import { WEEKDAYS } from './schema';
import { planSubnets } from './subnet-plan';
import type { BackupPolicy, ClusterSpec, InstanceGroupSpec } from './types';
import { DEFAULT_KUBERNETES_VERSION, resolveVersion } from './versions';

/** kops' default network, pod and service ranges. */
export const DEFAULT_NETWORK_CIDR = '172.20.0.0/16';
export const DEFAULT_POD_CIDR = '100.96.0.0/11';
export const DEFAULT_SERVICE_CIDR = '100.64.0.0/13';

/** Size of the default node group and its disks. */
export const DEFAULT_GROUP_SIZE = 2;
export const DEFAULT_ROOT_VOLUME_GIB = 50;
/** etcd backups every 15 minutes, hourly ones kept a week and daily ones 90 days (kOps' etcd-manager takes one every 15 minutes). */
export const DEFAULT_BACKUP_POLICY: BackupPolicy = { intervalMinutes: 15, keepHourlyDays: 7, keepDailyDays: 90 };

/**
 * Cluster zones when the spec names none: the region's first zone for a single control
 * plane (cheapest: no cross-zone traffic), the first three for an HA control plane,
 * because spreading it is the point of having several (three zones survive one zone's loss).
 */
export function defaultZones(region: string, controlPlaneCount: number): string[] {
  if (!isKnownRegion(region)) return [];
  return zonesOf(region).slice(0, controlPlaneCount > 1 ? 3 : 1);
}

/** Spread `count` instances over `zones` round-robin: 3 over [a, b] is [a, b, a]. */
export function spreadOverZones(count: number, zones: readonly string[]): string[] {
  if (zones.length === 0) return [];
  return Array.from({ length: count }, (_, i) => zones[i % zones.length]);
}

/**
 * The architecture a spec asks for: stated, else the one its stated machine types share
 * (all Graviton → arm64), else amd64. A mix is reported by the checks.
 */
export function inferArchitecture(input: ClusterSpecInput): Architecture {
  if (input.architecture !== undefined) return input.architecture;
  const stated = statedMachineTypes(input).map((m) => m.machineType);
  return stated.length > 0 && stated.every((m) => architectureOf(m) === 'arm64') ? 'arm64' : 'amd64';
}

/** The machine types a spec states, with where it states them. */
export function statedMachineTypes(input: ClusterSpecInput): { path: (string | number)[]; machineType: string }[] {
  const found: { path: (string | number)[]; machineType: string }[] = [];
  if (input.controlPlane?.machineType !== undefined) found.push({ path: ['controlPlane', 'machineType'], machineType: input.controlPlane.machineType });
  (input.instanceGroups ?? []).forEach((group, i) => {
    if (group.machineType !== undefined) found.push({ path: ['instanceGroups', i, 'machineType'], machineType: group.machineType });
  });
  if (input.bastion?.machineType !== undefined) found.push({ path: ['bastion', 'machineType'], machineType: input.bastion.machineType });
  return found;
}

/** Fill every default of a parsed input. */
export function fillDefaults(input: ClusterSpecInput): ClusterSpec {
  const count = input.controlPlane?.count ?? 1;
  const zones = [...(input.zones ?? defaultZones(input.region, count))];
  const topology = input.topology ?? 'private';
  const architecture = inferArchitecture(input);
  const machines = DEFAULT_MACHINE_TYPES[architecture];
  const networkCidr = input.networkCidr ?? DEFAULT_NETWORK_CIDR;

  const spec: ClusterSpec = {
    name: input.name,
    region: input.region,
    zones,
    kubernetesVersion: input.kubernetesVersion === undefined ? DEFAULT_KUBERNETES_VERSION : resolveVersion(input.kubernetesVersion),
    architecture,
    topology,
    networking: input.networking ?? 'cilium',
    networkCidr,
    podCidr: input.podCidr ?? DEFAULT_POD_CIDR,
    serviceCidr: input.serviceCidr ?? DEFAULT_SERVICE_CIDR,
    subnets: planSubnets({ zones, topology, networkCidr, subnets: input.subnets ?? [] }),
    natMode: input.natMode ?? 'per-zone',
    natGateways: (input.natGateways ?? []).map((nat) => ({ zone: nat.zone, id: nat.id })),
    controlPlane: {
      count,
      machineType: input.controlPlane?.machineType ?? machines.controlPlane,
      zones: spreadOverZones(count, input.controlPlane?.zones ?? zones),
    },
    instanceGroups: (input.instanceGroups ?? [{ name: 'nodes' }]).map((group) => fillGroup(group, zones, machines.node)),
    bastion: { enabled: input.bastion?.enabled ?? false, machineType: input.bastion?.machineType ?? machines.bastion },
    api: {
      // An HA control plane needs one stable endpoint in front of it; kops makes it public.
      loadBalancer: input.api?.loadBalancer !== undefined ? input.api.loadBalancer && { type: input.api.loadBalancer.type } : count > 1 ? { type: 'public' } : null,
      accessCidrs: [...(input.api?.accessCidrs ?? ['0.0.0.0/0'])],
    },
    sshAccessCidrs: [...(input.sshAccessCidrs ?? [])],
    image: input.image?.id === undefined ? {} : { id: input.image.id },
    tags: { ...(input.tags ?? {}) },
    assets: {
      ...(input.assets?.packageBaseUrl === undefined ? {} : { packageBaseUrl: input.assets.packageBaseUrl }),
      ...(input.assets?.binaryBaseUrl === undefined ? {} : { binaryBaseUrl: input.assets.binaryBaseUrl }),
      registryMirrors: [...(input.assets?.registryMirrors ?? [])],
    },
    backups: {
      intervalMinutes: input.backups?.intervalMinutes ?? DEFAULT_BACKUP_POLICY.intervalMinutes,
      keepHourlyDays: input.backups?.keepHourlyDays ?? DEFAULT_BACKUP_POLICY.keepHourlyDays,
      keepDailyDays: input.backups?.keepDailyDays ?? DEFAULT_BACKUP_POLICY.keepDailyDays,
    },
    upgradePolicy: {
      enabled: input.upgradePolicy?.enabled ?? false,
      channel: input.upgradePolicy?.channel ?? 'patch',
      window: {
        days: [...(input.upgradePolicy?.window?.days ?? WEEKDAYS)],
        start: input.upgradePolicy?.window?.start ?? '03:00',
        durationMinutes: input.upgradePolicy?.window?.durationMinutes ?? 120,
      },
    },
  };
  if (input.vpcId !== undefined) spec.vpcId = input.vpcId;
  return spec;
}

type GroupInput = NonNullable<ClusterSpecInput['instanceGroups']>[number];

function fillGroup(group: GroupInput, zones: string[], defaultMachineType: string): InstanceGroupSpec {
  // A stated bound pulls the other along, so `max: 1` alone means 1..1, not an error.
  const min = group.min ?? Math.min(DEFAULT_GROUP_SIZE, group.max ?? DEFAULT_GROUP_SIZE);
  const max = group.max ?? Math.max(DEFAULT_GROUP_SIZE, min);
  const filled: InstanceGroupSpec = {
    name: group.name,
    machineType: group.machineType ?? defaultMachineType,
    min,
    max,
    zones: [...(group.zones ?? zones)],
    labels: { ...(group.labels ?? {}) },
    taints: [...(group.taints ?? [])],
    rootVolumeSize: group.rootVolumeSize ?? DEFAULT_ROOT_VOLUME_GIB,
  };
  if (group.spot !== undefined) filled.spot = group.spot.maxPrice === undefined ? {} : { maxPrice: group.spot.maxPrice };
  if (group.imageId !== undefined) filled.imageId = group.imageId;
  return filled;
}
