/**
 * The simulated Kubernetes objects. Plain data, so the inspection route can return
 * them as they are; the Kubernetes-shaped JSON (`kubectl get … -o json`) is rendered
 * from them in `objects.ts`.
 */
import type { KubeVersion } from './version';

export type NodeRole = 'control-plane' | 'worker';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface SimKubeNode {
  name: string;
  role: NodeRole;
  instanceId: string;
  availabilityZone: string;
  internalIp: string;
  hostname: string;
  /** The kubelet's version: the installed kubelet package when it last (re)started. */
  kubeletVersion: KubeVersion;
  /** For control-plane nodes: the version of the static pods on the node. */
  controlPlaneVersion?: KubeVersion;
  /** Simulated epoch ms when the node registered. */
  joinedAt: number;
  unschedulable: boolean;
  labels: Record<string, string>;
  taints: Taint[];
  /** Set through the API (`kubectl annotate node`). */
  annotations?: Record<string, string>;
  /** Set when the instance behind the node is gone: the kubelet stops posting status. */
  hostGoneAt?: number;
  /** Set when the kubelet cannot run (e.g. it is newer than the API server). */
  kubeletError?: string;
  /** False when its KubeletConfiguration turned client certificate rotation off. */
  rotateCertificates?: boolean;
  /** When the kubelet's client certificate expires (set on first look: a year after the join, then at each rotation). */
  kubeletClientCertExpiresAt?: number;
}

/** `bare`: a pod created on its own, with no controller to replace it (drain needs --force). */
export type PodKind = 'static' | 'daemonset' | 'deployment' | 'bare';

export interface SimPod {
  name: string;
  namespace: string;
  nodeName?: string;
  kind: PodKind;
  /** The owning workload (DaemonSet/Deployment name; the node name for static pods). */
  owner: string;
  labels: Record<string, string>;
  image: string;
  createdAt: number;
  /** Evictions are refused, as a PodDisruptionBudget with no disruptions left does. */
  refusesEviction: boolean;
  /** Uses an emptyDir volume: drain needs --delete-emptydir-data. */
  emptyDir: boolean;
}

export interface BootstrapToken {
  /** `abcdef.0123456789abcdef` */
  token: string;
  /** Simulated epoch ms; undefined for a token with TTL 0 (never expires). */
  expiresAt?: number;
}

export type CniName = 'cilium' | 'calico' | 'amazon-vpc-cni';
