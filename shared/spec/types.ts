/** The full cluster spec, every default filled in, and the shape of a reported problem. */
import type { Architecture } from './machine-types';
import type { WEEKDAYS } from './schema';

/** One thing wrong with a spec: where (`instanceGroups[0].min`) and what, in words. */
export interface Problem {
  path: string;
  message: string;
}

/**
 * A subnet of the cluster. Private topology: a `private` subnet (instances) and a `utility`
 * subnet (load balancers, NAT gateways, bastion) per zone. Public topology: one `public`
 * subnet per zone, instances with public addresses. `id` marks a brought subnet.
 */
export interface SubnetSpec {
  zone: string;
  type: 'private' | 'utility' | 'public';
  cidr: string;
  id?: string;
}

/** A group of worker nodes: one Auto Scaling group over the group's zones. */
export interface InstanceGroupSpec {
  name: string;
  machineType: string;
  min: number;
  max: number;
  zones: string[];
  labels: Record<string, string>;
  taints: string[];
  spot?: { maxPrice?: number };
  imageId?: string;
  rootVolumeSize: number;
}

/** A cluster spec with every default filled in: what Hopper stores and builds from. */
export interface ClusterSpec {
  name: string;
  region: string;
  zones: string[];
  kubernetesVersion: string;
  architecture: Architecture;
  topology: 'private' | 'public';
  networking: 'cilium' | 'calico' | 'amazon-vpc-cni';
  networkCidr: string;
  podCidr: string;
  serviceCidr: string;
  /** A brought VPC; absent when Hopper creates (and owns) the VPC. */
  vpcId?: string;
  subnets: SubnetSpec[];
  natMode: 'per-zone' | 'single';
  /** Brought NAT gateways; empty when Hopper creates them. */
  natGateways: { zone: string; id: string }[];
  controlPlane: {
    count: number;
    machineType: string;
    /** One zone per control-plane instance, in instance order. */
    zones: string[];
  };
  instanceGroups: InstanceGroupSpec[];
  bastion: { enabled: boolean; machineType: string };
  api: {
    /** null: no load balancer, the API is reached at the control-plane instance. */
    loadBalancer: { type: 'public' | 'internal' } | null;
    accessCidrs: string[];
  };
  sshAccessCidrs: string[];
  image: { id?: string };
  tags: Record<string, string>;
  assets: { packageBaseUrl?: string; binaryBaseUrl?: string; registryMirrors: string[] };
  /** etcd backups: how often (a multiple of the 15-minute sweep) and how long hourly and daily ones are kept. */
  backups: BackupPolicy;
  upgradePolicy: {
    enabled: boolean;
    channel: 'patch' | 'minor';
    window: { days: (typeof WEEKDAYS)[number][]; start: string; durationMinutes: number };
  };
}

export interface BackupPolicy {
  intervalMinutes: number;
  /** The newest backup of each hour is kept this many days (every backup of the last day is). */
  keepHourlyDays: number;
  /** The newest backup of each day is kept this many days. */
  keepDailyDays: number;
}
