/**
 * The input of every renderer: the few facts about a cluster that scripts and kubeadm
 * configs need. Deliberately independent of the cluster spec module, so the spec can
 * evolve without touching the renderers; the caller maps spec → context.
 */

/** CNI plugins Hopper knows how to install. */
export type Networking = 'cilium' | 'calico' | 'amazon-vpc-cni';

/** CPU architectures of the baked images (Debian names). */
export type Architecture = 'amd64' | 'arm64';

/** A Kubernetes taint, as kubeadm's nodeRegistration.taints takes it. */
export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** The labels and taints of one instance group, applied by the kubelet when it registers. */
export interface NodeGroupContext {
  name: string;
  labels?: Record<string, string>;
  taints?: Taint[];
}

/**
 * Where hosts fetch packages, files and images. Everything optional: the defaults are the
 * upstream locations; a mirror serves offline or China regions.
 */
export interface AssetsContext {
  /**
   * Base of the Debian repository of kubeadm/kubelet/kubectl. `{minor}` is replaced by
   * `v1.31` (pkgs.k8s.io keeps one repository per minor). Default
   * `https://pkgs.k8s.io/core:/stable:/{minor}/deb/`.
   */
  packageBaseUrl?: string;
  /** Debian revision of the Kubernetes packages: `1.31.4-<revision>`. Default `1.1`. */
  packageRevision?: string;
  /**
   * Mirror of upstream file downloads (CNI manifests): an upstream URL
   * `https://host/path` is fetched as `<binaryBaseUrl>/host/path`.
   */
  binaryBaseUrl?: string;
  /** Container registry mirrors (`https://host[/path]`), tried before every upstream registry. */
  registryMirrors?: string[];
  /**
   * kubeadm's imageRepository. Default: the first registry mirror without its scheme when
   * mirrors are given (the mirror must then serve the control-plane images at that path),
   * else kubeadm's own default (registry.k8s.io).
   */
  imageRepository?: string;
}

/** Add-on versions and manifest overrides. */
export interface AddonsContext {
  /** Replaces the upstream manifest URL of the chosen CNI. */
  cniManifestUrl?: string;
  /** Image of the AWS cloud controller manager. Default registry.k8s.io/provider-aws/…:v<minor>.0. */
  cloudControllerManagerImage?: string;
}

/** Everything the renderers read. Values are trusted to be valid only after {@link validateContext}. */
export interface RenderContext {
  clusterName: string;
  region: string;
  /** `1.31.4` (a leading `v` is accepted). kubeadm config v1beta4 needs 1.31 or later. */
  kubernetesVersion: string;
  architecture: Architecture;
  networking: Networking;
  podCidr: string;
  serviceCidr: string;
  /** `host:port`: the API load balancer's DNS name, or the first control plane's private IP. */
  controlPlaneEndpoint: string;
  apiServerCertSANs: string[];
  assets?: AssetsContext;
  addons?: AddonsContext;
  /** SSM Parameter Store prefix of the join data. Default `/hopper/<clusterName>/`. */
  parameterPrefix?: string;
  /**
   * The KMS key (ARN) the join data is encrypted with: the deployment's key, whose use
   * each cluster's host roles may make only for their own cluster's parameters.
   */
  parameterKeyId: string;
  /** Lifetime of bootstrap tokens, a Go duration. Default `24h0m0s`. */
  tokenTtl?: string;
  /** Labels and taints per instance group, looked up by name by the node renderers. */
  instanceGroups?: NodeGroupContext[];
  /**
   * Where the cluster's service-account issuer is published for IAM (roles for pods): the
   * API server signs with this issuer and the first control plane copies its discovery
   * document and keys there. Absent for clusters made before issuers were published.
   */
  serviceAccountIssuer?: { url: string; bucket: string; region: string; prefix: string };
}
