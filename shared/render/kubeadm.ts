/**
 * kubeadm configuration files, API `kubeadm.k8s.io/v1beta4` (Kubernetes 1.31+): extra
 * arguments are lists of `{name, value}`, and the kubelet runs with the external AWS
 * cloud provider (the in-tree one is gone).
 */
import { ETCD_DATA_DIR } from './etcd';
import { stringify } from 'yaml';
import { resolveContext, validateGroup, type ResolvedContext } from './context';
import type { NodeGroupContext, RenderContext } from './types';

const API_VERSION = 'kubeadm.k8s.io/v1beta4';
const CRI_SOCKET = 'unix:///var/run/containerd/containerd.sock';
/** Label the kubelet puts on every node of a group, so validation can count nodes per group. */
export const INSTANCE_GROUP_LABEL = 'hopper.io/instance-group';

/**
 * Markers filled in on the host, from instance metadata or Parameter Store, by the
 * scripts that write these configs. They survive YAML quoting unchanged.
 */
export const PLACEHOLDERS = {
  nodeName: '__HOPPER_NODE_NAME__',
  nodeIp: '__HOPPER_NODE_IP__',
  endpoint: '__HOPPER_ENDPOINT__',
  token: '__HOPPER_TOKEN__',
  caCertHash: '__HOPPER_CA_CERT_HASH__',
  certificateKey: '__HOPPER_CERTIFICATE_KEY__',
} as const;

/** The instance a config is for. */
export interface NodeIdentity {
  /** The private DNS name: the AWS cloud controller manager finds instances by it. */
  name: string;
  /** The private IPv4 address the API server advertises on a control-plane node. */
  advertiseAddress: string;
}

/** What a joining instance needs besides its identity. */
export interface JoinData {
  apiServerEndpoint: string;
  token: string;
  caCertHash: string;
  /** Present for a control-plane join: decrypts the certificates uploaded by `--upload-certs`. */
  certificateKey?: string;
  /** Labels and taints of a worker's group. */
  group?: NodeGroupContext;
}

/**
 * Every string value double-quoted: label values like `true` or `1.0` stay strings, and a
 * run-time value such as an all-digit token can never turn into a number.
 */
function toYaml(docs: object[]): string {
  return docs.map((doc) => stringify(doc, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 })).join('---\n');
}

function kubeletExtraArgs(group: NodeGroupContext | undefined): { name: string; value: string }[] {
  const args = [{ name: 'cloud-provider', value: 'external' }];
  if (group) {
    const labels: Record<string, string> = { ...group.labels, [INSTANCE_GROUP_LABEL]: group.name };
    const value = Object.keys(labels)
      .sort()
      .map((key) => `${key}=${labels[key]}`)
      .join(',');
    args.push({ name: 'node-labels', value });
  }
  return args;
}

function clusterConfiguration(r: ResolvedContext): object {
  const { ctx } = r;
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterConfiguration',
    clusterName: ctx.clusterName,
    kubernetesVersion: r.versionTag,
    controlPlaneEndpoint: ctx.controlPlaneEndpoint,
    ...(r.imageRepository ? { imageRepository: r.imageRepository } : {}),
    networking: { podSubnet: ctx.podCidr, serviceSubnet: ctx.serviceCidr, dnsDomain: 'cluster.local' },
    apiServer: {
      certSANs: [...ctx.apiServerCertSANs],
      // Tokens name the published issuer (roles for pods: shared/aws/service-account-issuer.ts),
      // and the discovery document names where its keys are public.
      ...(ctx.serviceAccountIssuer
        ? {
            extraArgs: [
              { name: 'service-account-issuer', value: ctx.serviceAccountIssuer.url },
              { name: 'service-account-jwks-uri', value: `${ctx.serviceAccountIssuer.url}/openid/v1/jwks` },
            ],
          }
        : {}),
    },
    // On the seat's own volume (mounted at /var/lib/etcd), below its lost+found.
    etcd: { local: { dataDir: ETCD_DATA_DIR } },
    // The cloud loops run in the external cloud controller manager, not here.
    controllerManager: { extraArgs: [{ name: 'cloud-provider', value: 'external' }] },
  };
}

/**
 * The bootstrap token and certificate key `kubeadm init` is to use, chosen before it runs
 * (`kubeadm token generate`, `kubeadm certs certificate-key`) so that they can be published
 * while it runs; absent, kubeadm generates them.
 */
export interface InitSecrets {
  token: string;
  certificateKey: string;
}

/**
 * InitConfiguration + ClusterConfiguration for the first control-plane instance, with the
 * bootstrap token's TTL (and the token and certificate key, when given); later join tokens
 * are created with `kubeadm token create`. Taints are left unset so kubeadm applies the
 * control-plane taint.
 */
export function renderKubeadmInitConfig(ctx: RenderContext, node: NodeIdentity, secrets?: InitSecrets): string {
  const r = resolveContext(ctx);
  const init = {
    apiVersion: API_VERSION,
    kind: 'InitConfiguration',
    bootstrapTokens: [
      {
        ...(secrets ? { token: secrets.token } : {}),
        groups: ['system:bootstrappers:kubeadm:default-node-token'],
        ttl: r.tokenTtl,
        usages: ['signing', 'authentication'],
      },
    ],
    ...(secrets ? { certificateKey: secrets.certificateKey } : {}),
    localAPIEndpoint: { advertiseAddress: node.advertiseAddress, bindPort: 6443 },
    nodeRegistration: {
      name: node.name,
      criSocket: CRI_SOCKET,
      kubeletExtraArgs: kubeletExtraArgs(undefined),
    },
  };
  return toYaml([init, clusterConfiguration(r)]);
}

/**
 * JoinConfiguration for a worker (with its group's labels and taints) or, when
 * `join.certificateKey` is set, for an additional control-plane instance.
 */
export function renderKubeadmJoinConfig(ctx: RenderContext, node: NodeIdentity, join: JoinData): string {
  resolveContext(ctx);
  if (join.group) validateGroup(join.group);
  const controlPlane = join.certificateKey !== undefined;
  const config = {
    apiVersion: API_VERSION,
    kind: 'JoinConfiguration',
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: join.apiServerEndpoint,
        token: join.token,
        caCertHashes: [join.caCertHash],
      },
    },
    ...(controlPlane
      ? {
          controlPlane: {
            certificateKey: join.certificateKey,
            localAPIEndpoint: { advertiseAddress: node.advertiseAddress, bindPort: 6443 },
          },
        }
      : {}),
    nodeRegistration: {
      name: node.name,
      criSocket: CRI_SOCKET,
      kubeletExtraArgs: kubeletExtraArgs(join.group),
      // A worker with no taints gets an explicit empty list; a control plane keeps kubeadm's default taint.
      ...(join.group ? { taints: (join.group.taints ?? []).map((t) => ({ ...t })) } : {}),
    },
  };
  return toYaml([config]);
}

/** The join config template whose placeholders the join scripts fill on the host. */
export function joinConfigTemplate(ctx: RenderContext, options: { controlPlane: boolean; group?: NodeGroupContext }): string {
  return renderKubeadmJoinConfig(
    ctx,
    { name: PLACEHOLDERS.nodeName, advertiseAddress: PLACEHOLDERS.nodeIp },
    {
      apiServerEndpoint: PLACEHOLDERS.endpoint,
      token: PLACEHOLDERS.token,
      caCertHash: PLACEHOLDERS.caCertHash,
      ...(options.controlPlane ? { certificateKey: PLACEHOLDERS.certificateKey } : {}),
      ...(options.group ? { group: options.group } : {}),
    },
  );
}
