/**
 * One simulated Kubernetes cluster, keyed by its control-plane endpoint.
 *
 * State changes are synchronous and report failures as `KubeError` carrying the
 * message the real tool prints; how long an operation takes is the caller's business
 * (`kubeadm.ts`, `kubectl.ts` wait on the simulated clock).
 */
import { randomBytes } from 'node:crypto';
import type { BootstrapToken, CniName, SimKubeNode, SimPod, Taint } from './model';
import { type KubeVersion, compareVersions, formatVersion, kubeletSkewProblem, minorDistance } from './version';

/** A failure with the text and exit code the real command-line tool would give. */
export class KubeError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

/** What the cluster needs from the simulator: time and randomness. */
export interface KubeEnv {
  /** Simulated epoch milliseconds. */
  now(): number;
  /** `n` random lower-case hex digits. */
  hex(n: number): string;
  /** Seconds from join (or CNI) to Ready. */
  readyDelaySeconds(): number;
  /**
   * Runs `fn` after `simSeconds` of simulated time, at its own moment inside a clock jump (the
   * simulator's clock). Without it (unit tests), what kubelets do on time is judged when looked at.
   */
  after?(simSeconds: number, fn: () => void): void;
  /**
   * A file on an instance's disk as its processes see it now: '' when missing, undefined when
   * the instance does not answer or is gone. Without it (unit tests) static pods always run.
   */
  readHostFile?(instanceId: string, path: string): string | undefined;
}

/** The machine a node runs on. */
export interface NodeHost {
  instanceId: string;
  availabilityZone: string;
  internalIp: string;
  hostname: string;
}

export interface NewNode {
  name: string;
  host: NodeHost;
  kubeletVersion: KubeVersion;
  labels?: Record<string, string>;
  /** Undefined: the role's default taints. */
  taints?: Taint[];
  /** `--cloud-provider=external`: the node waits for the cloud controller manager. */
  externalCloudProvider: boolean;
  /** KubeletConfiguration `rotateCertificates` (kubeadm's default: true). */
  rotateCertificates?: boolean;
}

/** kubeadm's leaf certificates live one year (never past the CA's ten). */
export const CERTIFICATE_LIFETIME_MS = 365 * 86_400_000;
/**
 * A kubelet rotates its client certificate once this share of its lifetime has passed (the
 * kubelet picks a jittered point between 70% and 90%), through a CSR the controller manager
 * approves and signs — if it can reach the API server then.
 */
export const KUBELET_ROTATION_SHARE = 0.8;
/** A kubelet that could not rotate tries again (its backoff, coarsened). */
const KUBELET_ROTATION_RETRY_SECONDS = 6 * 3600;
/** Without status updates for this long, the node lifecycle controller marks a node Unknown. */
export const NODE_MONITOR_GRACE_MS = 40_000;
/** Pods tolerate an unreachable node this long (the default `tolerationSeconds`), then are evicted. */
export const UNREACHABLE_TOLERATION_MS = 300_000;

/** Certificate keys live in the kubeadm-certs Secret for two hours, as in kubeadm. */
export const CERTIFICATE_KEY_TTL_SECONDS = 2 * 3600;
const CONTROL_PLANE_TAINT: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
const UNINITIALIZED_TAINT: Taint = { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' };
const CNI_DAEMONSETS: Record<CniName, { ds: string; deployment: string; image: string }> = {
  cilium: { ds: 'cilium', deployment: 'cilium-operator', image: 'quay.io/cilium/cilium:v1.16.5' },
  calico: { ds: 'calico-node', deployment: 'calico-kube-controllers', image: 'docker.io/calico/node:v3.29.1' },
  'amazon-vpc-cni': { ds: 'aws-node', deployment: '', image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2' },
};

import type { ClientCredentials, ClusterCa, ServingNames } from './pki';
import { iso, templateHash } from './objects';
import type { SimCsr } from './csr';
import { DEFAULT_ISSUER, type ServiceAccountIssuer, type ServiceAccountSigner } from './service-accounts';

export class KubeCluster {
  readonly nodes = new Map<string, SimKubeNode>();
  pods: SimPod[] = [];
  tokens: BootstrapToken[] = [];
  /** Environment variables set on DaemonSets (`kubectl set env`), by DaemonSet name. */
  readonly daemonSetEnv = new Map<string, Record<string, string>>();
  /**
   * The VPC CNI's aws-node per node: pending while it starts, then its error or none
   * (`aws-node.ts` authorizes its EC2 calls with the node's role). `generation` counts
   * restarts, so that a run of a replaced pod does not report.
   */
  readonly awsNode = new Map<string, { pending?: boolean; error?: string; generation: number }>();
  awsNodeGeneration = 0;
  /** CertificateSigningRequests by name. */
  readonly csrs = new Map<string, SimCsr>();
  certificateKey?: { key: string; expiresAt: number };
  /** The service-account signing key (`pki/sa.key`), from `kubeadm init`: see `service-accounts.ts`. */
  serviceAccountSigner?: ServiceAccountSigner;
  /** The API server's `--service-account-issuer` (first: the one it signs with) and `--service-account-jwks-uri`. */
  serviceAccountIssuer: ServiceAccountIssuer = { issuers: [DEFAULT_ISSUER] };
  /** ClusterConfiguration `imageRepository`: where joins pull the images the host lacks. */
  imageRepository = 'registry.k8s.io';
  /** ServiceAccounts clients made (`namespace/name` → uid); every namespace's `default` exists besides. */
  readonly serviceAccounts = new Map<string, string>();
  /**
   * Each control plane's leaf certificates (apiserver, etcd, front proxy, the components'
   * kubeconfigs), made together at init or join: when those on disk expire (what `kubeadm
   * certs check-expiration` reads, `kubeadm certs renew` moves), and when those the running
   * static pods loaded do — renewed certificates count once the pods restart.
   */
  readonly controlPlaneCerts = new Map<string, { onDisk: number; loaded: number }>();
  /** The API server's serving certificate and key (`pki/apiserver.{crt,key}`), from `kubeadm init`. */
  apiServerCertificate?: ClientCredentials & { notAfter: number };
  /** The names `kubeadm init` put in it, for the renewals. */
  apiServerNames?: ServingNames;
  cni?: { name: CniName; appliedAt: number };
  cloudControllerManager = false;
  /** The node `kubeadm init` ran on (the only one with super-admin.conf). */
  initNodeName?: string;
  /** The network (VPC id) the cluster's hosts are in: its endpoint address means it only there. */
  network = '';
  /** Its etcd's identity: what the member database on each disk names (`etcd.ts`). */
  readonly id: string;
  /** ClusterConfiguration `etcd.local.dataDir`, from `kubeadm init`. */
  etcdDataDir = '/var/lib/etcd';
  /**
   * When a control plane came back over the old etcd data without the old CA (a new one was
   * made): kubelets that joined before trust a CA that no longer signs the API server.
   */
  caReplacedAt?: number;
  caCertHash: string;
  readonly createdAt: number;
  private readonly readyDelays = new Map<string, number>();

  /** Simulated epoch ms. */
  now(): number {
    return this.env.now();
  }

  /** What the hosts' disks say (static pod manifests, etcd data): see `etcd-members.ts`. */
  get readHostFile(): ((instanceId: string, path: string) => string | undefined) | undefined {
    const read = this.env.readHostFile;
    return read ? (id, path) => read.call(this.env, id, path) : undefined;
  }

  constructor(
    public endpoint: string,
    readonly clusterName: string,
    /** The API server's version: what `kubeadm upgrade apply` moves. */
    public version: KubeVersion,
    readonly podSubnet: string | undefined,
    private readonly env: KubeEnv,
    /** The cluster CA kubeadm init made (`/etc/kubernetes/pki/ca.{crt,key}`). */
    public ca: ClusterCa,
  ) {
    this.caCertHash = ca.hash;
    // Not from the seeded stream: ids the simulator hands out stay as they were.
    this.id = randomBytes(8).toString('hex');
    this.createdAt = env.now();
    // The cluster's own Deployment: CoreDNS waits for a CNI before it can run.
    for (let i = 0; i < 2; i++) this.addPod('coredns', 'kube-system', 'deployment', 'registry.k8s.io/coredns/coredns:v1.11.3');
  }

  /** A new bootstrap token; ttlSeconds 0 never expires (kubeadm's `--ttl 0`). */
  createToken(ttlSeconds: number, token?: string): string {
    const value = token ?? `${this.env.hex(6)}.${this.env.hex(16)}`;
    this.tokens = this.tokens.filter((t) => t.token !== value);
    this.tokens.push({ token: value, expiresAt: ttlSeconds > 0 ? this.env.now() + ttlSeconds * 1000 : undefined });
    return value;
  }

  /** `kubeadm init phase upload-certs --upload-certs`: a fresh key, valid two hours. */
  uploadCerts(key?: string): string {
    const value = key ?? this.env.hex(64);
    this.certificateKey = { key: value, expiresAt: this.env.now() + CERTIFICATE_KEY_TTL_SECONDS * 1000 };
    return value;
  }

  /** Whether `token` is a bootstrap token of the cluster, not expired (cluster-info carries its signature). */
  hasToken(token: string): boolean {
    const now = this.env.now();
    return this.tokens.some((t) => t.token === token && (t.expiresAt === undefined || t.expiresAt > now));
  }

  /** Checks the discovery data a `kubeadm join` brings, with kubeadm's messages. */
  checkDiscovery(token: string, caCertHashes: string[], certificateKey: string | undefined, controlPlane: boolean): void {
    const now = this.env.now();
    const tokenId = token.split('.')[0];
    const found = this.tokens.find((t) => t.token === token && (t.expiresAt === undefined || t.expiresAt > now));
    if (!found) {
      throw new KubeError(
        `error execution phase preflight: couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "${tokenId}"`,
      );
    }
    if (caCertHashes.length === 0) {
      throw new KubeError(
        'error execution phase preflight: couldn\'t validate the identity of the API Server: discovery.bootstrapToken.caCertHashes must be set, or discovery.bootstrapToken.unsafeSkipCAVerification must be true',
      );
    }
    if (!caCertHashes.includes(this.caCertHash)) {
      throw new KubeError(
        `error execution phase preflight: couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${this.caCertHash}" are pinned`,
      );
    }
    if (!controlPlane) return;
    if (!this.certificateKey || this.certificateKey.expiresAt <= now) {
      throw new KubeError(
        'error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one',
      );
    }
    if (certificateKey !== this.certificateKey.key) {
      throw new KubeError(
        'error execution phase control-plane-prepare/download-certs: error downloading certs: error decoding secret data with provided key: cipher: message authentication failed',
      );
    }
  }

  /** Registers a node (after `checkDiscovery`), with its static and DaemonSet pods. */
  addNode(spec: NewNode, role: SimKubeNode['role']): SimKubeNode {
    const skew = kubeletSkewProblem(spec.kubeletVersion, this.version);
    if (skew) throw new KubeError(`error execution phase kubelet-start: ${skew}`);
    // kubeadm refuses a name a Ready Node has; a Node whose kubelet is gone (its instance
    // replaced at the same address) is taken over: the new kubelet registers as it, and what
    // others set on the object — a cordon — stays.
    const existing = this.nodes.get(spec.name);
    if (existing && this.isReady(existing)) {
      throw new KubeError(
        `error execution phase kubelet-start: a Node with name "${spec.name}" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node`,
      );
    }
    const cordoned = existing?.unschedulable === true;
    if (existing) this.deleteNode(spec.name);
    const cp = role === 'control-plane';
    const taints = spec.taints ?? (cp ? [CONTROL_PLANE_TAINT] : []);
    const node: SimKubeNode = {
      name: spec.name,
      role,
      instanceId: spec.host.instanceId,
      availabilityZone: spec.host.availabilityZone,
      internalIp: spec.host.internalIp,
      hostname: spec.host.hostname,
      kubeletVersion: spec.kubeletVersion,
      controlPlaneVersion: cp ? this.version : undefined,
      joinedAt: this.env.now(),
      ...(spec.rotateCertificates === false ? { rotateCertificates: false } : {}),
      unschedulable: cordoned,
      labels: {
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        ...(cp ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {}),
        ...spec.labels,
      },
      taints: [...taints, ...(spec.externalCloudProvider && !this.cloudControllerManager ? [UNINITIALIZED_TAINT] : [])],
    };
    this.nodes.set(node.name, node);
    this.readyDelays.set(node.name, this.env.readyDelaySeconds());
    if (cp) {
      const expires = this.renewedExpiry();
      this.controlPlaneCerts.set(node.name, { onDisk: expires, loaded: expires });
      this.addStaticPods(node);
    }
    this.addDaemonSetPods(node);
    if (role === 'worker') this.addPod('web', 'default', 'deployment', 'registry.k8s.io/e2e-test-images/agnhost:2.52', node.name, true);
    this.scheduleKubeletRotation(node);
    if (this.cni) this.scheduleUnassigned();
    return node;
  }

  /** When the kubelet's client certificate expires (a year after its join, then after each rotation). */
  kubeletCertificateExpiry(node: SimKubeNode): number {
    node.kubeletClientCertExpiresAt ??= Math.min(node.joinedAt + CERTIFICATE_LIFETIME_MS, this.ca.cert.notAfter.getTime());
    if (!this.env.after) this.rotateKubeletCertificate(node);
    return node.kubeletClientCertExpiresAt;
  }

  /**
   * The kubelet's rotation: past its rotation point and before its certificate runs out, a new
   * one if it can reach the API server (its host answers, the API server's certificate is
   * trusted). Too late — expired — a kubelet cannot rotate: it needs a new bootstrap.
   */
  private rotateKubeletCertificate(node: SimKubeNode): boolean {
    const now = this.env.now();
    const expires = node.kubeletClientCertExpiresAt ?? node.joinedAt + CERTIFICATE_LIFETIME_MS;
    if (node.rotateCertificates === false || now < expires - (1 - KUBELET_ROTATION_SHARE) * CERTIFICATE_LIFETIME_MS || now >= expires) return false;
    if (node.hostGoneAt !== undefined || this.servingExpiredAt() !== undefined) return false;
    node.kubeletClientCertExpiresAt = Math.min(now + CERTIFICATE_LIFETIME_MS, this.ca.cert.notAfter.getTime());
    return true;
  }

  /** With the simulator's clock: the rotation at its point, retried every few hours while the kubelet cannot. */
  private scheduleKubeletRotation(node: SimKubeNode): void {
    const after = this.env.after;
    if (!after || node.rotateCertificates === false) return;
    const due = this.kubeletCertificateExpiry(node) - (1 - KUBELET_ROTATION_SHARE) * CERTIFICATE_LIFETIME_MS;
    const attempt = () => {
      if (this.nodes.get(node.name) !== node || this.env.now() >= this.kubeletCertificateExpiry(node)) return;
      if (this.rotateKubeletCertificate(node)) this.scheduleKubeletRotation(node);
      else after(KUBELET_ROTATION_RETRY_SECONDS, attempt);
    };
    after(Math.max(0, (due - this.env.now()) / 1000), attempt);
  }

  /** `kubeadm init` over existing etcd data made a new CA: every kubelet that joined before stops trusting the API server. */
  replaceCa(ca: ClusterCa): void {
    this.ca = ca;
    this.caCertHash = ca.hash;
    this.caReplacedAt = this.env.now();
  }

  /** The node's Ready condition, evaluated now (Ready comes from time passing, not a timer). */
  readyCondition(node: SimKubeNode): { status: 'True' | 'False' | 'Unknown'; reason: string; message: string; since: number } {
    if (this.caReplacedAt !== undefined && node.joinedAt < this.caReplacedAt && this.env.now() >= this.caReplacedAt + NODE_MONITOR_GRACE_MS) {
      return { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', since: this.caReplacedAt + NODE_MONITOR_GRACE_MS };
    }
    const clientExpired = this.kubeletCertificateExpiry(node);
    if (this.env.now() >= clientExpired + NODE_MONITOR_GRACE_MS && node.hostGoneAt === undefined) {
      // The API server refuses the kubelet's expired certificate: its status updates stop.
      return { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', since: clientExpired + NODE_MONITOR_GRACE_MS };
    }
    // The node lifecycle controller notices a silent kubelet only after its grace period.
    if (node.hostGoneAt !== undefined && this.env.now() >= node.hostGoneAt + NODE_MONITOR_GRACE_MS) {
      return { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', since: node.hostGoneAt + NODE_MONITOR_GRACE_MS };
    }
    const expiredAt = this.servingExpiredAt();
    if (expiredAt !== undefined && this.env.now() >= expiredAt + NODE_MONITOR_GRACE_MS) {
      // Kubelets no longer trust the API server's certificate: their status updates stop.
      return { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', since: expiredAt + NODE_MONITOR_GRACE_MS };
    }
    if (node.kubeletError) return { status: 'False', reason: 'KubeletNotReady', message: node.kubeletError, since: node.joinedAt };
    const notReady = {
      status: 'False' as const,
      reason: 'KubeletNotReady',
      message:
        'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
      since: node.joinedAt,
    };
    if (!this.cni) return notReady;
    if (this.cni.name === 'amazon-vpc-cni') {
      const awsNode = this.awsNode.get(node.name);
      if (!awsNode || awsNode.pending) return notReady;
      if (awsNode.error) return { ...notReady, message: `container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: aws-node: ${awsNode.error}` };
    }
    const readyAt = Math.max(node.joinedAt, this.cni.appliedAt) + (this.readyDelays.get(node.name) ?? 20) * 1000;
    if (this.env.now() < readyAt) return notReady;
    return { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', since: readyAt };
  }

  isReady(node: SimKubeNode): boolean {
    return this.readyCondition(node).status === 'True';
  }

  /** The node or kubectl's NotFound error. */
  node(name: string): SimKubeNode {
    const node = this.nodes.get(name);
    if (!node) throw new KubeError(`Error from server (NotFound): nodes "${name}" not found`);
    return node;
  }

  setUnschedulable(name: string, value: boolean): boolean {
    const node = this.node(name);
    const changed = node.unschedulable !== value;
    node.unschedulable = value;
    return changed;
  }

  /** `kubectl delete node`: the object and its pods go; workload pods are rescheduled. */
  deleteNode(name: string): void {
    this.node(name);
    this.nodes.delete(name);
    this.controlPlaneCerts.delete(name);
    for (const pod of this.pods.filter((p) => p.nodeName === name)) this.evict(pod);
  }

  /** Evicts one pod: DaemonSet and static pods vanish, Deployment pods are replaced elsewhere. */
  evict(pod: SimPod): void {
    this.pods = this.pods.filter((p) => p !== pod);
    if (pod.kind !== 'deployment') return;
    const target = this.schedulableNodeFor(pod);
    this.addPod(pod.owner, pod.namespace, 'deployment', pod.image, target?.name);
  }

  /**
   * Deletes a pod as the API does, and lets its owner act: a Deployment's pod is replaced
   * elsewhere, a DaemonSet's comes back on the same node, the kubelet mirrors a static pod
   * again at once; a bare pod is simply gone.
   */
  deletePod(pod: SimPod): void {
    if (pod.kind === 'deployment') return this.evict(pod);
    this.pods = this.pods.filter((p) => p !== pod);
    const node = pod.nodeName ? this.nodes.get(pod.nodeName) : undefined;
    if (pod.kind === 'daemonset' && node && node.hostGoneAt === undefined) this.addPod(pod.owner, pod.namespace, 'daemonset', pod.image, node.name);
    if (pod.kind === 'static') this.pods.push(pod);
  }

  /**
   * The controllers' reaction to time passing, applied when the cluster is looked at: pods on
   * a node that has been unreachable (Unknown) for longer than they tolerate are evicted —
   * a Deployment's replaced on another node, a bare pod gone; DaemonSet and static pods stay,
   * as they tolerate it.
   */
  runControllers(): void {
    const now = this.env.now();
    // With every node unreachable (the API server's certificate expired, a whole outage) the
    // controller stops evicting: there is nowhere to go, and the fault is likely its own.
    if ([...this.nodes.values()].every((n) => this.readyCondition(n).status === 'Unknown')) return;
    for (const node of this.nodes.values()) {
      const ready = this.readyCondition(node);
      if (ready.status !== 'Unknown' || now < ready.since + UNREACHABLE_TOLERATION_MS) continue;
      for (const pod of this.pods.filter((p) => p.nodeName === node.name && (p.kind === 'deployment' || p.kind === 'bare'))) this.deletePod(pod);
    }
  }

  /** A new leaf certificate's expiry: a year from now, never past the CA. */
  private renewedExpiry(): number {
    return Math.min(this.env.now() + CERTIFICATE_LIFETIME_MS, this.ca.cert.notAfter.getTime());
  }

  /**
   * When the API server stopped presenting a valid certificate, if it has: the earliest expiry
   * any live control plane's running API server loaded (behind a load balancer, clients reach
   * each in turn).
   */
  servingExpiredAt(): number | undefined {
    const live = [...this.controlPlaneCerts].filter(([name]) => this.nodes.get(name)?.hostGoneAt === undefined).map(([, c]) => c.loaded);
    const earliest = live.length ? Math.min(...live) : undefined;
    return earliest !== undefined && earliest <= this.env.now() ? earliest : undefined;
  }

  /** What a client verifying the API server's certificate says now, if it refuses it (Go's x509 wording). */
  servingCertificateProblem(): string | undefined {
    const expiredAt = this.servingExpiredAt();
    if (expiredAt === undefined) return undefined;
    return `tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time ${iso(this.env.now())} is after ${iso(expiredAt)}`;
  }

  /** `kubeadm certs renew all` on a control plane: new leaf certificates on disk (the running pods keep the old ones). */
  renewCertificates(nodeName: string): number {
    const certs = this.controlPlaneCerts.get(nodeName);
    if (!certs) throw new KubeError('failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: no such file or directory');
    certs.onDisk = this.renewedExpiry();
    return certs.onDisk;
  }

  /** A control-plane static pod restarted (its container stopped, the kubelet started it again): it loads what is on disk. */
  restartStaticPod(nodeName: string, component: string): void {
    const certs = this.controlPlaneCerts.get(nodeName);
    if (certs && component === 'kube-apiserver') certs.loaded = certs.onDisk;
  }

  /** A pod created on its own (`kubectl run`, a client's create): on its node, or where the scheduler puts it. */
  addBarePod(namespace: string, name: string, image: string, labels: Record<string, string>, nodeName?: string): SimPod {
    const pod: SimPod = { name, namespace, kind: 'bare', owner: name, labels, image, createdAt: this.env.now(), refusesEviction: false, emptyDir: false };
    pod.nodeName = nodeName ?? this.schedulableNodeFor(pod)?.name;
    this.pods.push(pod);
    return pod;
  }

  /** A Deployment's controller: as many pods of `owner` in `namespace` as `replicas`, placed by the scheduler. */
  scaleDeployment(namespace: string, owner: string, image: string, replicas: number): void {
    const mine = () => this.pods.filter((p) => p.kind === 'deployment' && p.namespace === namespace && p.owner === owner);
    // A changed template replaces the pods (a new ReplicaSet; the rollout is instant here).
    if (image) for (const old of mine().filter((p) => p.image !== image)) this.pods = this.pods.filter((p) => p !== old);
    for (const extra of mine().slice(replicas)) this.pods = this.pods.filter((p) => p !== extra);
    for (let n = mine().length; n < replicas; n++) {
      const pod = this.addPod(owner, namespace, 'deployment', image);
      pod.nodeName = this.schedulableNodeFor(pod)?.name;
    }
  }

  /** `kubectl apply` of a CNI manifest: DaemonSet pods on every node, CoreDNS scheduled. */
  applyCni(name: CniName): void {
    if (!this.cni) this.cni = { name, appliedAt: this.env.now() };
    for (const node of this.nodes.values()) this.addDaemonSetPods(node);
    const ds = CNI_DAEMONSETS[name];
    if (ds.deployment && !this.pods.some((p) => p.owner === ds.deployment)) {
      this.addPod(ds.deployment, 'kube-system', 'deployment', ds.image, this.firstControlPlane()?.name);
    }
    this.scheduleUnassigned();
  }

  /** The scheduler's next pass: Deployment and bare pods still waiting for a node get one, if any fits. */
  private scheduleUnassigned(): void {
    for (const pod of this.pods.filter((p) => !p.nodeName && (p.kind === 'deployment' || p.kind === 'bare'))) {
      pod.nodeName = this.schedulableNodeFor(pod, pod.owner === 'coredns')?.name;
    }
  }

  /** `kubectl apply` of the AWS cloud controller manager: nodes lose the uninitialized taint. */
  applyCloudControllerManager(): void {
    this.cloudControllerManager = true;
    for (const node of this.nodes.values()) {
      node.taints = node.taints.filter((t) => t.key !== UNINITIALIZED_TAINT.key);
      this.addDaemonSetPods(node);
    }
    this.scheduleUnassigned();
  }

  /**
   * The instance behind a node stopped answering (stopped, failed checks, its zone impaired):
   * the kubelet's status updates stop, the node object stays (a cloud controller manager only
   * deletes nodes whose instance is terminated).
   */
  hostDown(instanceId: string): void {
    for (const node of this.nodes.values()) if (node.instanceId === instanceId && node.hostGoneAt === undefined) node.hostGoneAt = this.env.now();
  }

  /** It answers again: the kubelet posts status, the node is Ready once more. */
  hostUp(instanceId: string): void {
    for (const node of this.nodes.values()) {
      if (node.instanceId !== instanceId || node.hostGoneAt === undefined) continue;
      node.hostGoneAt = undefined;
      this.addDaemonSetPods(node);
    }
    this.scheduleUnassigned();
  }

  /** The instance behind a node is gone; with a cloud controller manager the node is deleted. */
  hostGone(instanceId: string): void {
    for (const node of [...this.nodes.values()].filter((n) => n.instanceId === instanceId)) {
      node.hostGoneAt = this.env.now();
      if (this.cloudControllerManager) this.deleteNode(node.name);
    }
  }

  /**
   * `kubeadm upgrade apply`: the API server moves one minor at most, and only if every
   * kubelet stays within the skew policy of the new version.
   */
  upgradeApply(target: KubeVersion, kubeadm: KubeVersion, nodeName: string): void {
    const t = formatVersion(target);
    if (compareVersions(target, kubeadm) > 0) {
      throw new KubeError(
        `[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:\n\n\t- Specified version to upgrade to "${t}" is higher than the kubeadm version "${formatVersion(kubeadm)}". Upgrade kubeadm first using the tool you used to install kubeadm\n`,
      );
    }
    if (compareVersions(target, this.version) < 0) {
      throw new KubeError(
        `[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:\n\n\t- Specified version to upgrade to "${t}" is equal to or lower than the cluster version "${formatVersion(this.version)}". Downgrades are not supported yet\n`,
      );
    }
    if (minorDistance(target, this.version) > 1) {
      throw new KubeError(
        `[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:\n\n\t- Specified version to upgrade to "${t}" is too high; kubeadm can upgrade only 1 minor version at a time\n`,
      );
    }
    const tooOld = [...this.nodes.values()].filter((n) => kubeletSkewProblem(n.kubeletVersion, target) && compareVersions(n.kubeletVersion, target) < 0);
    if (tooOld.length > 0) {
      throw new KubeError(
        `[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:\n\n\t- There are kubelets in this cluster that are too old that have these versions [${tooOld.map((n) => formatVersion(n.kubeletVersion)).join(' ')}]\n`,
      );
    }
    this.version = target;
    const node = this.nodes.get(nodeName);
    if (node?.role === 'control-plane') node.controlPlaneVersion = target;
    this.renewOnUpgrade(nodeName);
    this.refreshStaticPods();
  }

  /** `kubeadm upgrade apply|node` renews the node's certificates and restarts its static pods with them. */
  private renewOnUpgrade(nodeName: string): void {
    if (!this.controlPlaneCerts.has(nodeName)) return;
    this.renewCertificates(nodeName);
    this.restartStaticPod(nodeName, 'kube-apiserver');
  }

  /** `kubeadm upgrade node`: a control-plane node's static pods follow the cluster version. */
  upgradeNode(nodeName: string, kubeadm: KubeVersion): void {
    if (minorDistance(kubeadm, this.version) !== 0) {
      throw new KubeError(
        `error execution phase preflight: the kubeadm version "${formatVersion(kubeadm)}" does not match the cluster version "${formatVersion(this.version)}"; upgrade the control plane with "kubeadm upgrade apply" first`,
      );
    }
    const node = this.nodes.get(nodeName);
    if (node?.role === 'control-plane') node.controlPlaneVersion = this.version;
    this.renewOnUpgrade(nodeName);
    this.refreshStaticPods();
  }

  /** `systemctl restart kubelet` after a package upgrade: the node reports the new version. */
  restartKubelet(nodeName: string, kubelet: KubeVersion): void {
    const node = this.nodes.get(nodeName);
    if (!node) return;
    node.kubeletVersion = kubelet;
    node.kubeletError = kubeletSkewProblem(kubelet, this.version);
  }

  firstControlPlane(): SimKubeNode | undefined {
    return [...this.nodes.values()].find((n) => n.role === 'control-plane' && n.hostGoneAt === undefined);
  }

  /** Adds a pod with a generated name the way the owning controller would. */
  addPod(owner: string, namespace: string, kind: SimPod['kind'], image: string, nodeName?: string, emptyDir = false): SimPod {
    // A Deployment's pods share its ReplicaSet's pod-template hash (as their owner reference says).
    const suffix = kind === 'static' ? nodeName ?? '' : kind === 'daemonset' ? this.env.hex(5) : `${templateHash(owner, image)}-${this.env.hex(5)}`;
    const pod: SimPod = {
      name: `${owner}-${suffix}`,
      namespace,
      nodeName,
      kind,
      owner,
      labels: kind === 'static' ? { component: owner, tier: 'control-plane' } : { 'k8s-app': owner },
      image,
      createdAt: this.env.now(),
      refusesEviction: false,
      emptyDir,
    };
    this.pods.push(pod);
    return pod;
  }

  private addStaticPods(node: SimKubeNode): void {
    for (const component of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
      if (!this.pods.some((p) => p.kind === 'static' && p.owner === component && p.nodeName === node.name)) {
        this.addPod(component, 'kube-system', 'static', '', node.name);
      }
    }
    this.refreshStaticPods();
  }

  private refreshStaticPods(): void {
    for (const pod of this.pods.filter((p) => p.kind === 'static')) {
      const v = this.nodes.get(pod.nodeName ?? '')?.controlPlaneVersion ?? this.version;
      pod.image = pod.owner === 'etcd' ? 'registry.k8s.io/etcd:3.5.16-0' : `registry.k8s.io/${pod.owner}:${formatVersion(v)}`;
    }
  }

  private addDaemonSetPods(node: SimKubeNode): void {
    const wanted: { owner: string; image: string }[] = [{ owner: 'kube-proxy', image: `registry.k8s.io/kube-proxy:${formatVersion(this.version)}` }];
    if (this.cni) wanted.push({ owner: CNI_DAEMONSETS[this.cni.name].ds, image: CNI_DAEMONSETS[this.cni.name].image });
    if (this.cloudControllerManager && node.role === 'control-plane') {
      wanted.push({ owner: 'aws-cloud-controller-manager', image: 'registry.k8s.io/provider-aws/cloud-controller-manager:v1.31.1' });
    }
    for (const w of wanted) {
      if (!this.pods.some((p) => p.owner === w.owner && p.nodeName === node.name)) this.addPod(w.owner, 'kube-system', 'daemonset', w.image, node.name);
    }
  }

  /** A node the scheduler could place the pod on: Ready, schedulable, no taint it does not tolerate. */
  private schedulableNodeFor(pod: SimPod, toleratesControlPlane = false): SimKubeNode | undefined {
    const candidates = [...this.nodes.values()].filter(
      (n) =>
        !n.unschedulable &&
        n.hostGoneAt === undefined &&
        this.readyCondition(n).status !== 'Unknown' &&
        n.taints.every((t) => t.effect === 'PreferNoSchedule' || (toleratesControlPlane && t.key === CONTROL_PLANE_TAINT.key)),
    );
    const ready = candidates.filter((n) => this.isReady(n) || !this.cni);
    const pool = ready.length > 0 ? ready : candidates;
    // Spread: the node with the fewest pods of the same owner.
    pool.sort((a, b) => this.countOn(a.name, pod.owner) - this.countOn(b.name, pod.owner));
    return pool[0];
  }

  private countOn(nodeName: string, owner: string): number {
    return this.pods.filter((p) => p.nodeName === nodeName && p.owner === owner).length;
  }
}
