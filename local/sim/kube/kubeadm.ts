/**
 * `kubeadm` on a simulated host: init, join, token, upload-certs, upgrade, reset.
 * Each subcommand checks what real kubeadm checks (config API version, preflight,
 * version skew, discovery), takes its simulated time, changes the cluster model and
 * prints kubeadm's own output.
 */
import { parseAllDocuments } from 'yaml';
import type { ProducedFile, ShimRequest, ShimResult } from '../hosts/protocol';
import { fail, ok } from '../hosts/protocol';
import { KubeCluster, KubeError, type NewNode } from './cluster';
import { type KubeHost, flag, hasFlag, parseGoDuration, positionals } from './host';
import { renderKubeconfig } from './kubeconfig';
import { checkExpiration, renewAll } from './certs';
import { caFromFiles, createCa, issueServingCertificate, kubeadmClientCredentials, type ServingNames } from './pki';
import { rsaKeyPair } from './key-pool';
import { privateKeyPem } from '../../../shared/pki/x509';
import { anonymousGet, serverFor } from './api/server';
import { DEFAULT_ETCD_DATA_DIR, dirAvailableCheck, etcdMemberFile, readEtcdMarker } from './etcd';
import { API_SERVER_MANIFEST, ETCD_MANIFEST, MANIFESTS, addMember, anyApiServerAnswers, lineageOf, memberAt, removeMember, resetMembers, silentMembers } from './etcd-members';
import type { Taint } from './model';
import type { KubeRegistry } from './registry';
import { type KubeVersion, formatVersion, minorDistance, parseVersion } from './version';
import { KUBEADM_LOCAL_SHARE } from '../../../shared/plan/create-critical-path';
import { DEFAULT_REPOSITORY, kubeadmImages, missingImages, pullError, storeWith } from './images';
import { issuerFromConfig, newServiceAccountSigner, serviceAccountSignerFromPem, type ServiceAccountSigner } from './service-accounts';

const API_VERSIONS = ['kubeadm.k8s.io/v1beta4', 'kubeadm.k8s.io/v1beta3'];
const FLAGS_WITH_VALUES = ['--image-repository', '--config', '--token', '--discovery-token-ca-cert-hash', '--certificate-key', '--node-name', '--ttl', '--kubernetes-version', '--control-plane-endpoint', '--pod-network-cidr', '--ignore-preflight-errors', '-o', '--output', '--cri-socket', '--apiserver-advertise-address', '--v'];

/** Runs one kubeadm command line. */
export async function runKubeadm(registry: KubeRegistry, host: KubeHost, req: ShimRequest): Promise<ShimResult> {
  const args = req.args;
  const pos = positionals(args, FLAGS_WITH_VALUES);
  const kubeadmVersion = parseVersion(host.packageVersion('kubeadm') ?? '');
  if (!kubeadmVersion) return fail('kubeadm: command not found', 127);
  try {
    switch (pos.join(' ')) {
      case 'version':
        return ok(hasFlag(args, '-o', '--output') || flag(args, '-o', '--output') === 'short' ? `${formatVersion(kubeadmVersion)}\n` : `kubeadm version: &version.Info{Major:"1", Minor:"${kubeadmVersion.minor}", GitVersion:"${formatVersion(kubeadmVersion)}", GoVersion:"go1.23.4", Compiler:"gc", Platform:"linux/amd64"}\n`);
      case 'init':
        return await init(registry, host, req, kubeadmVersion);
      case 'init phase upload-certs':
        return uploadCerts(registry, host, args);
      case 'init phase certs ca':
        return await certsCa(host, registry);
      case 'certs certificate-key':
        return ok(`${registry.runtime.hex(64)}\n`);
      case 'certs check-expiration':
        return checkExpiration(controlPlaneMember(registry, host));
      case 'certs renew all':
        return await renewAll(controlPlaneMember(registry, host));
      case 'token create':
        return tokenCreate(registry, host, args);
      case 'token generate':
        // Only prints a token in kubeadm's format; nothing knows it until init or `token create` makes it.
        return ok(`${registry.runtime.hex(6)}.${registry.runtime.hex(16)}\n`);
      case 'token list':
        return tokenList(registry, host);
      case `token delete ${pos.slice(2).join(' ')}`:
        return tokenDelete(registry, host, pos.slice(2));
      case 'join':
      case `join ${pos[1] ?? ''}`:
        return await join(registry, host, req, kubeadmVersion);
      case 'upgrade plan':
        return upgradePlan(registry, host, kubeadmVersion);
      case `upgrade apply ${pos[2] ?? ''}`:
        return await upgradeApply(registry, host, req, kubeadmVersion, pos[2]);
      case 'upgrade node':
        return await upgradeNode(registry, host, kubeadmVersion);
      case 'reset':
        return reset(registry, host, args);
      case 'config images pull':
        return imagesPull(registry, host, req.args, kubeadmVersion);
      default:
        return fail(`unknown command "${pos.join(' ')}" for "kubeadm"\nRun 'kubeadm --help' for usage.`);
    }
  } catch (err) {
    if (err instanceof KubeError) return fail(`${err.message}\nTo see the stack trace of this error execute with --v=5 or higher`, err.exitCode);
    throw err;
  }
}

interface Docs {
  /** KubeletConfiguration's `rotateCertificates` (kubeadm's default: true). */
  rotateCertificates?: boolean;
  init?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubeadm config is free-form YAML
  cluster?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  join?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Reads the `--config` file (forwarded by the shim) into its kubeadm documents. */
function readConfig(req: ShimRequest): Docs {
  const path = flag(req.args, '--config');
  if (path === undefined) return {};
  const abs = path.startsWith('/') ? path : `${req.cwd.replace(/\/$/, '')}/${path}`;
  const content = req.files.get(abs);
  if (!content) throw new KubeError(`unable to read config from "${path}" : open ${path}: no such file or directory`);
  const docs: Docs = {};
  for (const doc of parseAllDocuments(content.toString())) {
    if (doc.errors.length > 0) throw new KubeError(`error converting YAML to JSON: yaml: ${doc.errors[0].message}`);
    const obj = doc.toJS() as Record<string, unknown> | null;
    if (!obj) continue;
    const kind = String(obj.kind ?? '');
    const apiVersion = String(obj.apiVersion ?? '');
    if (kind === 'KubeletConfiguration') {
      if (typeof obj.rotateCertificates === 'boolean') docs.rotateCertificates = obj.rotateCertificates;
      continue;
    }
    if (kind.startsWith('Kube') || apiVersion.startsWith('kubelet.') || apiVersion.startsWith('kubeproxy.')) continue;
    if (!API_VERSIONS.includes(apiVersion)) throw new KubeError(`no kind "${kind}" is registered for version "${apiVersion}" in scheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"`);
    if (kind === 'InitConfiguration') docs.init = obj;
    else if (kind === 'ClusterConfiguration') docs.cluster = obj;
    else if (kind === 'JoinConfiguration') docs.join = obj;
    else throw new KubeError(`no kind "${kind}" is registered for version "${apiVersion}"`);
  }
  return docs;
}

/** `kubeadm config images pull [--kubernetes-version V] [--image-repository R]`: into containerd's store, through the host's way out. */
function imagesPull(registry: KubeRegistry, host: KubeHost, args: string[], kubeadm: KubeVersion): ShimResult {
  const version = parseVersion(flag(args, '--kubernetes-version') ?? formatVersion(kubeadm));
  if (!version) throw new KubeError(`couldn't parse Kubernetes version "${flag(args, '--kubernetes-version')}"`);
  const images = kubeadmImages(version, flag(args, '--image-repository') ?? DEFAULT_REPOSITORY);
  const missing = missingImages(host, images);
  if (missing.length && registry.runtime.reachesInternet?.(host.instanceId) === false) {
    throw new KubeError(`failed to pull image "${missing[0]}": ${pullError(missing[0]).replace(/^\[ERROR ImagePull\]: failed to pull image [^:]+: /, '')}`);
  }
  return ok(images.map((i) => `[config/images] Pulled ${i}\n`).join(''), { files: [storeWith(host, images)] });
}

/** kubeadm's preflight checks that a script can get wrong. */
function preflight(registry: KubeRegistry, host: KubeHost, args: string[], phase: 'init' | 'join', etcdDataDir?: string, images: string[] = []): void {
  const ignore = (flag(args, '--ignore-preflight-errors') ?? '').toLowerCase().split(',');
  if (ignore.includes('all')) return;
  const errors: string[] = [];
  // Images the host's content store lacks are pulled now: through its way out, if it has one.
  if (!ignore.includes('imagepull') && registry.runtime.reachesInternet?.(host.instanceId) === false) {
    errors.push(...missingImages(host, images).map(pullError));
  }
  // A control plane's etcd starts from an empty data directory unless told to use what is there.
  if (etcdDataDir && host.read && readEtcdMarker(host.read.bind(host), etcdDataDir) && !ignore.includes(dirAvailableCheck(etcdDataDir).toLowerCase())) {
    errors.push(`[ERROR ${dirAvailableCheck(etcdDataDir)}]: ${etcdDataDir} is not empty`);
  }
  if (!host.serviceActive('containerd')) {
    errors.push(
      '[ERROR CRI]: container runtime is not running: output: time="" level=fatal msg="validate service connection: validate CRI v1 runtime API for endpoint \\"unix:///var/run/containerd/containerd.sock\\": rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial unix /var/run/containerd/containerd.sock: connect: no such file or directory\\""',
    );
  }
  if (host.sysctl('net.ipv4.ip_forward') !== '1' && !ignore.includes('filecontent--proc-sys-net-ipv4-ip_forward')) {
    errors.push('[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents are not set to 1');
  }
  if (!host.packageVersion('kubelet')) errors.push('[ERROR FileExisting-kubelet]: kubelet not found in system path');
  if (registry.members.has(host.instanceId)) {
    errors.push(
      phase === 'init'
        ? '[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists'
        : '[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists',
    );
  }
  if (errors.length > 0) {
    throw new KubeError(
      `error execution phase preflight: [preflight] Some fatal errors occurred:\n${errors.map((e) => `\t${e}`).join('\n')}\n[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\``,
    );
  }
}

const withPort = (endpoint: string) => (/:\d+$/.test(endpoint) ? endpoint : `${endpoint}:6443`);

/** `kubeletExtraArgs` as v1beta4's list of {name, value} or v1beta3's map. */
function extraArgs(raw: unknown): Record<string, string> {
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((a: { name: string; value: string }) => [a.name, String(a.value)]));
  return raw && typeof raw === 'object' ? (Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)])) as Record<string, string>) : {};
}

function nodeSpec(host: KubeHost, kubelet: KubeVersion, registration: Record<string, unknown> | undefined, nameFlag: string | undefined, rotateCertificates = true): NewNode {
  const args = extraArgs(registration?.kubeletExtraArgs);
  const labels = Object.fromEntries(
    (args['node-labels'] ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  );
  return {
    name: String(nameFlag ?? registration?.name ?? host.hostname).toLowerCase(),
    host,
    kubeletVersion: kubelet,
    labels,
    taints: Array.isArray(registration?.taints) ? (registration.taints as Taint[]) : undefined,
    externalCloudProvider: args['cloud-provider'] === 'external',
    rotateCertificates: args['rotate-certificates'] === 'false' ? false : rotateCertificates,
  };
}

function installedKubelet(host: KubeHost): KubeVersion {
  const v = parseVersion(host.packageVersion('kubelet') ?? '');
  if (!v) throw new KubeError('error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR FileExisting-kubelet]: kubelet not found in system path');
  return v;
}

async function init(registry: KubeRegistry, host: KubeHost, req: ShimRequest, kubeadm: KubeVersion): Promise<ShimResult> {
  const docs = readConfig(req);
  const cc = docs.cluster ?? {};
  const wanted = flag(req.args, '--kubernetes-version') ?? cc.kubernetesVersion ?? formatVersion(kubeadm);
  const version = parseVersion(String(wanted));
  if (!version) throw new KubeError(`couldn't parse Kubernetes version "${wanted}"`);
  const head = `[init] Using Kubernetes version: ${formatVersion(version)}\n[preflight] Running pre-flight checks\n`;
  if (minorDistance(version, kubeadm) > 0) {
    throw new KubeError(`${head}error execution phase preflight: the specified version to deploy (${formatVersion(version)}) is newer than the kubeadm version (${formatVersion(kubeadm)}). This is not a supported version skew`);
  }
  if (minorDistance(version, kubeadm) < 0) {
    throw new KubeError(`${head}error execution phase preflight: this version of kubeadm only supports deploying clusters with the control plane version >= ${kubeadm.major}.${kubeadm.minor}.0. Current version: ${formatVersion(version)}`);
  }
  const etcdDataDir = String(cc.etcd?.local?.dataDir ?? DEFAULT_ETCD_DATA_DIR).replace(/\/+$/, '');
  const repository = String(cc.imageRepository ?? DEFAULT_REPOSITORY);
  const images = kubeadmImages(version, repository);
  preflight(registry, host, req.args, 'init', etcdDataDir, images);
  const kubelet = installedKubelet(host);
  // etcd data already in the data directory (a volume that outlived its control plane): etcd
  // starts from it, and the cluster it holds comes back with its objects.
  const found = host.read ? readEtcdMarker(host.read.bind(host), etcdDataDir) : undefined;
  let restored = found ? registry.byId(found.cluster) : undefined;
  // Data `etcdctl snapshot restore` made from a snapshot of a cluster whose data was lost
  // everywhere: that cluster comes back with the snapshot's objects, and its kubelets with it.
  let reconnecting: [instanceId: string, nodeName: string][] = [];
  if (!restored && found?.restore) {
    const revived = registry.revive(found.cluster);
    if (revived) ({ cluster: restored, kubelets: reconnecting } = revived);
  }
  if (restored && [...registry.members].some(([, m]) => m.key === registry.keyOf(restored) && restored.nodes.get(m.nodeName)?.role === 'control-plane')) {
    throw new KubeError(
      `${head}[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"\nerror execution phase wait-control-plane: etcd: the data in ${etcdDataDir} belongs to member "${found!.member}" of a cluster whose other members are running; a member cannot start a cluster of its own from it`,
    );
  }
  // Certificates, kubeconfigs, static pod manifests and the kubelet starting them: the API
  // server answers on this host after most of init's time; the phases after the API check
  // (upload-config, upload-certs, marking the node, bootstrap tokens, addons) take the rest.
  const duration = registry.runtime.latency('kubeadm.init');
  // kubeadm's certs phase comes first: the keys (RSA, seconds of work at a time scale) are
  // made while the local phases' time runs, not after the API server is up.
  const servingKeys = rsaKeyPair();
  const freshSigner = newServiceAccountSigner();
  for (const made of [servingKeys, freshSigner]) made.catch(() => undefined);
  await registry.runtime.sleep(duration * LOCAL_PHASES_SHARE);
  if (registry.takeFault('kubeadmInitFailures')) {
    throw new KubeError(
      `${head}[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"\n[kubelet-check] The kubelet is not healthy after 4m0.000s\n\nUnfortunately, an error has occurred:\n\tcontext deadline exceeded\n\nThis error is likely caused by:\n\t- The kubelet is not running\n\t- The kubelet is unhealthy due to a misconfiguration of the node in some way (required cgroups disabled)\nerror execution phase wait-control-plane: could not initialize a Kubernetes cluster`,
    );
  }
  const cpEndpoint = flag(req.args, '--control-plane-endpoint') ?? cc.controlPlaneEndpoint;
  const endpoint = withPort(cpEndpoint ? String(cpEndpoint) : host.internalIp);
  const podSubnet = flag(req.args, '--pod-network-cidr') ?? cc.networking?.podSubnet;
  const spec = nodeSpec(host, kubelet, docs.init?.nodeRegistration, flag(req.args, '--node-name'), docs.rotateCertificates);
  const oldKey = restored ? registry.keyOf(restored) : '';
  // The Node of the control plane this one replaces (same address, same name) is in etcd's
  // data: its kubelet registers as it, and a cordon on it stays.
  const cordoned = restored?.nodes.get(spec.name)?.unschedulable === true;
  const cluster = restored
    ? await reopen(registry, restored, host, endpoint, spec.name)
    : new KubeCluster(endpoint, String(cc.clusterName ?? 'kubernetes'), version, podSubnet, registry.runtime, (await caOnHost(host)) ?? (await createCa(registry.runtime.now())));
  cluster.etcdDataDir = etcdDataDir;
  cluster.imageRepository = repository;
  cluster.serviceAccountIssuer = issuerFromConfig(cc.apiServer);
  cluster.serviceAccountSigner = await serviceAccountSigner(host, cluster, freshSigner);
  const node = cluster.addNode(spec, 'control-plane');
  if (cordoned) node.unschedulable = true;
  const serviceSubnet = String(cc.networking?.serviceSubnet ?? '10.96.0.0/12');
  cluster.apiServerNames = servingNames(endpoint, node.name, host.internalIp, serviceSubnet, cc.apiServer?.certSANs ?? []);
  cluster.apiServerCertificate = await issueServingCertificate(cluster.ca, cluster.apiServerNames, cluster.now(), servingKeys);
  cluster.network = registry.runtime.vpcOf?.(host.instanceId) ?? '';
  cluster.initNodeName = node.name;
  if (restored) registry.rekey(cluster, oldKey);
  // etcd's data is on disk before anyone can look for it (a disk check drops clusters without).
  if (restored) resetMembers(cluster);
  runStaticPods(host, cluster);
  addMember(registry, cluster, node.name, host.instanceId, host.internalIp);
  const memberFiles = etcdMemberFile(host, etcdDataDir, { cluster: cluster.id, member: node.name, ...lineage(cluster) });
  registry.add(cluster);
  registry.join(host.instanceId, cluster, node.name);
  if (found?.restore) {
    // etcd serves what the snapshot held: objects made since are gone, deleted ones are back.
    const api = serverFor(registry, cluster);
    api?.objects.importStored(found.restore.snapshot as Parameters<typeof api.objects.importStored>[0]);
  }
  // A kubelet that kept running reconnects with the kubeconfig it has: it needs the same endpoint
  // and a CA that still signs its certificate (the CA put back in /etc/kubernetes/pki).
  for (const [instanceId, nodeName] of reconnecting) if (cluster.nodes.get(nodeName)?.hostGoneAt === undefined) registry.join(instanceId, cluster, nodeName);
  registry.runtime.portOpened?.(host.instanceId, API_PORT);
  const checked = await apiCheck(registry, endpoint);
  if (checked === undefined) {
    throw new KubeError(
      `${head}[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"\n[api-check] Waiting for a healthy API server. This can take up to 4m0s\n[api-check] The API server is not healthy after 4m0s\n\nUnfortunately, an error has occurred:\n\tcontext deadline exceeded\n\nerror execution phase wait-control-plane: could not initialize a Kubernetes cluster: Get "https://${endpoint}/healthz?timeout=10s": dial tcp ${endpoint}: connect: connection refused`,
    );
  }
  // upload-config, upload-certs, mark-control-plane and bootstrap-token are a few API writes
  // each, done within moments of the API check: from here a join can discover the cluster
  // with the token and download the certificates. The addons and the kubelet's finalisation
  // take the rest of init's time.
  const bt = docs.init?.bootstrapTokens?.[0];
  const token = cluster.createToken(parseGoDuration(String(bt?.ttl ?? flag(req.args, '--token-ttl') ?? '24h0m0s')) ?? 86400, bt?.token ?? flag(req.args, '--token'));
  const upload = hasFlag(req.args, '--upload-certs');
  const key = upload ? cluster.uploadCerts(docs.init?.certificateKey ?? flag(req.args, '--certificate-key')) : undefined;
  await registry.runtime.sleep(duration * (1 - LOCAL_PHASES_SHARE));
  const join = `kubeadm join ${endpoint} --token ${token} \\\n\t--discovery-token-ca-cert-hash ${cluster.caCertHash}`;
  const out = [
    head,
    '[preflight] Pulling images required for setting up a Kubernetes cluster\n',
    '[certs] Using certificateDir folder "/etc/kubernetes/pki"\n',
    '[kubeconfig] Writing "admin.conf" kubeconfig file\n',
    '[control-plane] Creating static Pod manifest for "kube-apiserver"\n',
    `[api-check] Waiting for a healthy API server. This can take up to 4m0s\n[api-check] The API server is healthy after ${checked.toFixed(6)}s\n`,
    ...(key ? ['[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n', `[upload-certs] Using certificate key:\n${key}\n`] : []),
    `[mark-control-plane] Marking the node ${node.name} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]\n`,
    `[bootstrap-token] Using token: ${token}\n`,
    '[addons] Applied essential addon: CoreDNS\n[addons] Applied essential addon: kube-proxy\n\n',
    'Your Kubernetes control-plane has initialized successfully!\n\n',
    'To start using your cluster, you need to run the following as a regular user:\n\n  mkdir -p $HOME/.kube\n  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config\n  sudo chown $(id -u):$(id -g) $HOME/.kube/config\n\n',
    'Alternatively, if you are the root user, you can run:\n\n  export KUBECONFIG=/etc/kubernetes/admin.conf\n\n',
    'You should now deploy a pod network to the cluster.\nRun "kubectl apply -f [podnetwork].yaml" with one of the options listed at:\n  https://kubernetes.io/docs/concepts/cluster-administration/addons/\n\n',
    ...(cpEndpoint
      ? [
          `You can now join any number of control-plane nodes running the following command on each as root:\n\n  ${join.replace(/\n/g, '\n  ')} \\\n\t--control-plane${key ? ` --certificate-key ${key}` : ''}\n\n`,
          'Please note that the certificate-key gives access to cluster sensitive data, keep it secret!\nAs a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use\n"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.\n\n',
        ]
      : []),
    `Then you can join any number of worker nodes by running the following on each as root:\n\n${join} \n`,
  ];
  return ok(out.join(''), { files: [...(await controlPlaneFiles(cluster, node.name)), ...memberFiles, storeWith(host, images)] });
}

/**
 * `kubeadm init` over a data directory that holds a cluster's etcd data (its only member's
 * volume, re-attached to a new instance): etcd starts from it, so every object the cluster
 * had is back. The CA comes from /etc/kubernetes/pki if the old one was put there; without
 * it kubeadm makes a new one, and every kubelet that joined before no longer trusts the API
 * server. The old control plane's Node (same name: same address) is taken over.
 */
async function reopen(registry: KubeRegistry, cluster: KubeCluster, host: KubeHost, endpoint: string, nodeName: string): Promise<KubeCluster> {
  const read = host.read?.bind(host) ?? (() => '');
  const sameCa = read('/etc/kubernetes/pki/ca.crt').trim() === cluster.ca.certPem.trim() && read('/etc/kubernetes/pki/ca.key').trim() !== '';
  if (!sameCa) cluster.replaceCa(await createCa(registry.runtime.now()));
  if (cluster.nodes.has(nodeName)) cluster.deleteNode(nodeName);
  cluster.endpoint = endpoint;
  return cluster;
}

/**
 * The CA kubeadm uses from /etc/kubernetes/pki: none when neither file is there (kubeadm makes
 * one); kubeadm's error when only one is, or they do not load (this simulation has no
 * external-CA mode, in which a lone ca.crt is used without its key).
 */
async function caOnHost(host: KubeHost) {
  if (!host.read) return undefined;
  const cert = host.read('/etc/kubernetes/pki/ca.crt');
  const key = host.read('/etc/kubernetes/pki/ca.key');
  if (!cert.trim() && !key.trim()) return undefined;
  const ca = await caFromFiles(cert, key);
  if (!ca) throw new KubeError(`error execution phase certs/ca: failure loading ca certificate authority: couldn't load the ${cert.trim() ? 'private key' : 'certificate'} file /etc/kubernetes/pki/ca.${cert.trim() ? 'key' : 'crt'}`);
  return ca;
}

/**
 * `kubeadm init phase certs ca`: the cluster CA (ten years) in /etc/kubernetes/pki, or the one
 * there already — so that its hash, which joining nodes pin, is known before `kubeadm init`
 * runs (the init then uses it).
 */
async function certsCa(host: KubeHost, registry: KubeRegistry): Promise<ShimResult> {
  if (await caOnHost(host)) return ok('[certs] Using the existing "ca" certificate and key\n');
  const ca = await createCa(registry.runtime.now());
  const f = (path: string, content: string, mode: string): ProducedFile => ({ path, content, mode, createDirs: true });
  return ok('[certs] Generating "ca" certificate and key\n', { files: [f('/etc/kubernetes/pki/ca.crt', ca.certPem, '0644'), f('/etc/kubernetes/pki/ca.key', await privateKeyPem(ca.key), '0600')] });
}

/** The share of `kubeadm.init` before the API server answers on the host (the rest follows the API check). */
const LOCAL_PHASES_SHARE = KUBEADM_LOCAL_SHARE;
const API_PORT = 6443;
/** kubeadm's API check gives up after four minutes. */
const API_CHECK_TIMEOUT_SECONDS = 240;
/** kubeadm join's discovery retries for five minutes. */
const DISCOVERY_TIMEOUT_SECONDS = 300;

/** kubeadm's API check looks again every half second (APICallRetryInterval). */
const API_CHECK_INTERVAL_SECONDS = 0.5;

/**
 * kubeadm's `[api-check]`: the API server through the controlPlaneEndpoint (admin.conf's
 * server). An address answers at once; a load balancer only once it is active with a healthy
 * target — this host's API server, after the balancer's health checks passed. Resolves with
 * the seconds waited, or undefined after the four minutes kubeadm allows. The looks keep
 * kubeadm's schedule from the first one, so a late wake-up does not push the next ones back.
 */
async function apiCheck(registry: KubeRegistry, endpoint: string, timeoutSeconds = API_CHECK_TIMEOUT_SECONDS): Promise<number | undefined> {
  const forwards = registry.runtime.endpointForwards;
  if (!forwards) return 0;
  const start = registry.runtime.now();
  for (let look = 1; ; look++) {
    const waited = (registry.runtime.now() - start) / 1000;
    if (forwards(endpoint)) return waited;
    if (waited >= timeoutSeconds) return undefined;
    await registry.runtime.sleep(Math.max(0, look * API_CHECK_INTERVAL_SECONDS - waited));
  }
}

/**
 * The key the API server signs service-account tokens with: one already in
 * `/etc/kubernetes/pki/sa.key` (kubeadm keeps it: a restore put the cluster's back), else the
 * cluster's own (a control plane taking over its data keeps it), else a new one.
 */
async function serviceAccountSigner(host: KubeHost, cluster: KubeCluster, fresh?: Promise<ServiceAccountSigner>): Promise<ServiceAccountSigner> {
  const onDisk = host.read?.('/etc/kubernetes/pki/sa.key')?.trim();
  const current = cluster.serviceAccountSigner;
  if (onDisk && onDisk !== current?.keyPem.trim()) return serviceAccountSignerFromPem(onDisk);
  return current ?? (await (fresh ?? newServiceAccountSigner()));
}

/** kubeadm's SANs for `apiserver.crt`: service names, node name, first service IP, advertise address, endpoint, certSANs. */
function servingNames(endpoint: string, nodeName: string, advertiseIp: string, serviceSubnet: string, certSANs: unknown[]): ServingNames {
  const isIp = (v: string) => /^\d+\.\d+\.\d+\.\d+$/.test(v);
  const [a, b, c, d] = serviceSubnet.replace(/\/.*$/, '').split('.').map(Number);
  const extra = [endpoint.replace(/:\d+$/, ''), ...certSANs.map(String)];
  return {
    dnsNames: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', nodeName, ...extra.filter((v) => !isIp(v))],
    ips: [`${a}.${b}.${c}.${d + 1}`, advertiseIp, ...extra.filter(isIp)],
  };
}

/** The files kubeadm leaves on a control-plane node: the CA with its key, and kubeconfigs with real client certificates. */
async function controlPlaneFiles(cluster: KubeCluster, nodeName: string): Promise<ProducedFile[]> {
  const f = (path: string, content: string, mode = '0600'): ProducedFile => ({ path, content, mode, createDirs: true });
  return [
    ...(await adminFiles(cluster, nodeName)),
    f('/etc/kubernetes/pki/ca.key', await privateKeyPem(cluster.ca.key)),
    ...(cluster.serviceAccountSigner ? [f('/etc/kubernetes/pki/sa.key', cluster.serviceAccountSigner.keyPem), f('/etc/kubernetes/pki/sa.pub', cluster.serviceAccountSigner.publicPem, '0644')] : []),
    ...(await workerFiles(cluster, nodeName)),
    ...staticPodManifests(cluster).map(([path, content]) => f(path, content)),
  ];
}

/**
 * The static pod manifests on the host before its member counts in etcd's quorum: kubeadm
 * adds a joining member as a learner and promotes it only once its etcd runs, so a join (even
 * one of several in parallel) never leaves the cluster without a quorum. (The command's output
 * files write them again, unchanged.)
 */
function runStaticPods(host: KubeHost, cluster: KubeCluster): void {
  if (!host.write) return;
  for (const [path, content] of staticPodManifests(cluster)) host.write(path, content);
}

/** The control plane's static pods, which the kubelet runs from /etc/kubernetes/manifests. */
function staticPodManifests(cluster: KubeCluster): [string, string][] {
  const pod = (name: string, image: string, command: string[]) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: kube-system\nspec:\n  hostNetwork: true\n  containers:\n  - name: ${name}\n    image: ${image}\n    command:\n${command.map((c) => `    - ${c}\n`).join('')}`;
  const v = formatVersion(cluster.version);
  return [
    [ETCD_MANIFEST, pod('etcd', 'registry.k8s.io/etcd:3.5.16-0', ['etcd', `--data-dir=${cluster.etcdDataDir}`, '--listen-client-urls=https://127.0.0.1:2379'])],
    [API_SERVER_MANIFEST, pod('kube-apiserver', `registry.k8s.io/kube-apiserver:${v}`, ['kube-apiserver', '--etcd-servers=https://127.0.0.1:2379'])],
    [`${MANIFESTS}/kube-controller-manager.yaml`, pod('kube-controller-manager', `registry.k8s.io/kube-controller-manager:${v}`, ['kube-controller-manager'])],
    [`${MANIFESTS}/kube-scheduler.yaml`, pod('kube-scheduler', `registry.k8s.io/kube-scheduler:${v}`, ['kube-scheduler'])],
  ];
}

/** The marker's lineage field, when the cluster's data came from a restore. */
const lineage = (cluster: KubeCluster) => (lineageOf(cluster) ? { lineage: lineageOf(cluster) } : {});

/**
 * admin.conf and super-admin.conf with fresh one-year client certificates, and the API
 * server's serving certificate: what `kubeadm init`, a control-plane join and `kubeadm certs
 * renew` write.
 */
export async function adminFiles(cluster: KubeCluster, nodeName: string): Promise<ProducedFile[]> {
  // Only the node kubeadm init ran on has super-admin.conf (1.29+); a joined control plane has none.
  const superAdmin = cluster.initNodeName === nodeName;
  const f = (path: string, content: string, mode = '0600'): ProducedFile => ({ path, content, mode, createDirs: true });
  const kubeconfig = async (user: string, groups: string[]) =>
    renderKubeconfig(cluster.endpoint, cluster.clusterName, user, cluster.ca.certPem, await kubeadmClientCredentials(cluster.ca, { commonName: user, organizations: groups }, cluster.now()));
  return [
    // Since 1.29 admin.conf's group is bound to cluster-admin by RBAC (revocable); only super-admin.conf is system:masters.
    f('/etc/kubernetes/admin.conf', await kubeconfig('kubernetes-admin', ['kubeadm:cluster-admins'])),
    ...(superAdmin ? [f('/etc/kubernetes/super-admin.conf', await kubeconfig('kubernetes-super-admin', ['system:masters']))] : []),
    ...(cluster.apiServerCertificate ? [f('/etc/kubernetes/pki/apiserver.crt', cluster.apiServerCertificate.certPem, '0644'), f('/etc/kubernetes/pki/apiserver.key', cluster.apiServerCertificate.keyPem)] : []),
  ];
}

/** What every node has: the CA certificate and kubelet's kubeconfig (system:node:<name>). */
async function workerFiles(cluster: KubeCluster, nodeName: string): Promise<ProducedFile[]> {
  const credentials = await kubeadmClientCredentials(cluster.ca, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] }, cluster.now());
  return [
    { path: '/etc/kubernetes/kubelet.conf', content: renderKubeconfig(cluster.endpoint, cluster.clusterName, `system:node:${nodeName}`, cluster.ca.certPem, credentials), mode: '0600', createDirs: true },
    { path: '/etc/kubernetes/pki/ca.crt', content: cluster.ca.certPem, mode: '0644', createDirs: true },
  ];
}

/** The cluster and node name of this host, a control plane (kubeadm reads admin.conf). */
function controlPlaneMember(registry: KubeRegistry, host: KubeHost): { cluster: KubeCluster; nodeName: string } {
  const m = registry.membership(host.instanceId);
  if (!m || m.cluster.nodes.get(m.nodeName)?.role !== 'control-plane') {
    throw new KubeError('failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: no such file or directory');
  }
  return m;
}

/** The cluster this host is a control-plane member of (kubeadm reads admin.conf). */
function controlPlaneOf(registry: KubeRegistry, host: KubeHost): KubeCluster {
  return controlPlaneMember(registry, host).cluster;
}

function uploadCerts(registry: KubeRegistry, host: KubeHost, args: string[]): ShimResult {
  if (!hasFlag(args, '--upload-certs')) return ok('[upload-certs] Skipping phase. Please see --upload-certs\n');
  const key = controlPlaneOf(registry, host).uploadCerts(flag(args, '--certificate-key'));
  return ok(`[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n[upload-certs] Using certificate key:\n${key}\n`);
}

function tokenCreate(registry: KubeRegistry, host: KubeHost, args: string[]): ShimResult {
  const cluster = controlPlaneOf(registry, host);
  const ttlText = flag(args, '--ttl') ?? '24h0m0s';
  const ttl = parseGoDuration(ttlText);
  if (ttl === undefined) throw new KubeError(`invalid argument "${ttlText}" for "--ttl" flag: time: invalid duration "${ttlText}"`);
  const token = cluster.createToken(ttl);
  if (!hasFlag(args, '--print-join-command')) return ok(`${token}\n`);
  return ok(`kubeadm join ${cluster.endpoint} --token ${token} --discovery-token-ca-cert-hash ${cluster.caCertHash} \n`);
}

/** `kubeadm token delete ID|TOKEN…`: the tokens go (a join with one then fails discovery). */
function tokenDelete(registry: KubeRegistry, host: KubeHost, ids: string[]): ShimResult {
  if (ids.length === 0) throw new KubeError('missing subcommand; "token delete" is missing token of form "[a-z0-9]{6}" or "[a-z0-9]{6}\\.[a-z0-9]{16}"');
  const cluster = controlPlaneOf(registry, host);
  const out: string[] = [];
  for (const id of ids) {
    const tokenId = id.split('.')[0];
    if (!/^[a-z0-9]{6}$/.test(tokenId)) throw new KubeError(`given token didn't match pattern "[a-z0-9]{6}" or "[a-z0-9]{6}\\.[a-z0-9]{16}"`);
    if (!cluster.tokens.some((t) => t.token.startsWith(`${tokenId}.`))) throw new KubeError(`secrets "bootstrap-token-${tokenId}" not found`);
    cluster.tokens = cluster.tokens.filter((t) => !t.token.startsWith(`${tokenId}.`));
    out.push(`bootstrap token "${tokenId}" deleted\n`);
  }
  return ok(out.join(''));
}

function tokenList(registry: KubeRegistry, host: KubeHost): ShimResult {
  const cluster = controlPlaneOf(registry, host);
  const now = registry.runtime.now();
  const rows = cluster.tokens
    .filter((t) => t.expiresAt === undefined || t.expiresAt > now)
    .map((t) => `${t.token.padEnd(24)}${t.expiresAt ? `${Math.round((t.expiresAt - now) / 3600000)}h` : '<forever>'}`.padEnd(34) + 'authentication,signing');
  return ok(`TOKEN                     TTL         USAGES\n${rows.join('\n')}\n`);
}

/**
 * Whether an API server answers at `endpoint` (host:port) from `fromInstance`: `refused` while
 * no cluster is there or none of its API servers runs, `timeout` while its load balancer does
 * not forward yet (not active, or no healthy target), else `ok` — what kubeadm's discovery
 * and a `curl https://<endpoint>/readyz` on a host meet.
 */
export function apiReachability(registry: KubeRegistry, endpoint: string, fromInstance?: string): 'ok' | 'refused' | 'timeout' {
  const c = registry.find(endpoint, fromInstance);
  if (!c || !anyApiServerAnswers(c, registry)) return 'refused';
  const forwards = registry.runtime.endpointForwards;
  if (forwards && !forwards(endpoint)) return 'timeout';
  return 'ok';
}

/**
 * What a host's `curl -k https://<endpoint><path>` (no client certificate) meets: nothing
 * (`refused`, `timeout`) until an API server answers there, then that API server's answer to
 * an anonymous GET — the health paths and cluster-info, with a token's signature once the
 * token exists, as discovery reads it.
 */
export function anonymousApiGet(registry: KubeRegistry, endpoint: string, path: string, fromInstance?: string): 'refused' | 'timeout' | { status: number; body: string } {
  const reach = apiReachability(registry, endpoint, fromInstance);
  // 'ok' means a cluster answers there (apiReachability found it).
  return reach === 'ok' ? anonymousGet(registry, registry.find(endpoint, fromInstance)!, path) : reach;
}

/** kubeadm's discovery asks again every five seconds (DiscoveryRetryInterval). */
const DISCOVERY_RETRY_SECONDS = 5;

/**
 * `kubeadm join`'s discovery: it asks the endpoint for the cluster-info ConfigMap, and again
 * every five seconds for five minutes, until an API server answers there (a load balancer:
 * active, with a healthy target) and the ConfigMap carries a signature for the token — so a
 * node given its join data before the control plane is up joins the moment it can. Throws
 * kubeadm's message for what was still missing at the end.
 */
async function discover(registry: KubeRegistry, host: KubeHost, endpoint: string, token: string): Promise<{ cluster: KubeCluster }> {
  const base = `[preflight] Running pre-flight checks\nerror execution phase preflight: couldn't validate the identity of the API Server: `;
  const cluster = () => registry.find(endpoint, host.instanceId);
  let missing = '';
  for (let waited = 0; ; waited += DISCOVERY_RETRY_SECONDS) {
    const c = cluster();
    const reach = apiReachability(registry, endpoint, host.instanceId);
    const dial = `failed to request the cluster-info ConfigMap: Get "https://${endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": dial tcp ${endpoint}`;
    if (reach === 'refused') missing = `${dial}: connect: connection refused`;
    else if (reach === 'timeout') missing = `${dial}: i/o timeout`;
    else if (!c?.hasToken(token)) missing = `could not find a JWS signature in the cluster-info ConfigMap for token ID "${token.split('.')[0]}"`;
    else return { cluster: c };
    if (waited >= DISCOVERY_TIMEOUT_SECONDS) throw new KubeError(`${base}${missing}`);
    await registry.runtime.sleep(DISCOVERY_RETRY_SECONDS);
  }
}

async function join(registry: KubeRegistry, host: KubeHost, req: ShimRequest, kubeadm: KubeVersion): Promise<ShimResult> {
  const docs = readConfig(req);
  const jc = docs.join ?? {};
  const bt = jc.discovery?.bootstrapToken ?? {};
  const endpoint = withPort(String(positionals(req.args, FLAGS_WITH_VALUES)[1] ?? bt.apiServerEndpoint ?? ''));
  const token = String(flag(req.args, '--token') ?? bt.token ?? '');
  const hashes: string[] = flag(req.args, '--discovery-token-ca-cert-hash') ? [String(flag(req.args, '--discovery-token-ca-cert-hash'))] : (bt.caCertHashes ?? []);
  const controlPlane = hasFlag(req.args, '--control-plane') || jc.controlPlane !== undefined;
  const certificateKey = flag(req.args, '--certificate-key') ?? jc.controlPlane?.certificateKey;
  if (!/^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(token)) {
    throw new KubeError(`discovery.bootstrapToken.token: Invalid value: "${token}": the bootstrap token is invalid`);
  }
  // The host's own checks first; the images it needs are known once discovery found the cluster.
  const etcdDataDir = controlPlane ? registry.find(endpoint, host.instanceId)?.etcdDataDir ?? DEFAULT_ETCD_DATA_DIR : undefined;
  preflight(registry, host, req.args, 'join', etcdDataDir);
  const { cluster } = await discover(registry, host, endpoint, token);
  const joinImages = kubeadmImages(cluster.version, cluster.imageRepository, controlPlane);
  preflight(registry, host, req.args, 'join', etcdDataDir, joinImages);
  const kubelet = installedKubelet(host);
  cluster.checkDiscovery(token, hashes, certificateKey, controlPlane);
  if (minorDistance(kubeadm, cluster.version) > 1 || (controlPlane && minorDistance(kubeadm, cluster.version) !== 0)) {
    throw new KubeError(`error execution phase preflight: this version of kubeadm only supports deploying clusters with the control plane version >= ${kubeadm.major}.${kubeadm.minor - (controlPlane ? 0 : 1)}.0. Current version: ${formatVersion(cluster.version)}`);
  }
  await registry.runtime.sleep(registry.runtime.latency('node.joined'));
  if (registry.takeFault('kubeadmJoinFailures')) {
    throw new KubeError(`[preflight] Running pre-flight checks\n[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap\nerror execution phase kubelet-start: timed out waiting for the condition`);
  }
  if (controlPlane && !skippedPhases(req.args).includes('check-etcd')) checkEtcd(registry, cluster);
  if (controlPlane) checkMemberData(cluster, host);
  const node = cluster.addNode(nodeSpec(host, kubelet, jc.nodeRegistration, flag(req.args, '--node-name'), docs.rotateCertificates), controlPlane ? 'control-plane' : 'worker');
  if (controlPlane) {
    runStaticPods(host, cluster);
    addMember(registry, cluster, node.name, host.instanceId, host.internalIp);
  }
  const memberFiles = controlPlane ? etcdMemberFile(host, cluster.etcdDataDir, { cluster: cluster.id, member: node.name, ...lineage(cluster) }) : [];
  registry.join(host.instanceId, cluster, node.name);
  if (controlPlane) registry.runtime.portOpened?.(host.instanceId, API_PORT);
  registry.startAwsNode(cluster);
  const text = controlPlane
    ? `[preflight] Running pre-flight checks\n[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n[mark-control-plane] Marking the node ${node.name} as control-plane\n\nThis node has joined the cluster and a new control plane instance was created:\n\n* Certificate signing request was sent to apiserver and approval was received.\n* The Kubelet was informed of the new secure connection details.\n* Control plane label and taint were applied to the new node.\n* The Kubernetes control plane instances scaled up.\n* A new etcd member was added to the local/stacked etcd cluster.\n\nRun 'kubectl get nodes' to see this node join the cluster.\n`
    : `[preflight] Running pre-flight checks\n[kubelet-start] Starting the kubelet\n[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap\n\nThis node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response was received.\n* The Kubelet was informed of the new secure connection details.\n\nRun 'kubectl get nodes' on the control-plane to see this node join the cluster.\n`;
  return ok(text, { files: [...(controlPlane ? [...(await controlPlaneFiles(cluster, node.name)), ...memberFiles] : await workerFiles(cluster, node.name)), storeWith(host, joinImages)] });
}

/** The phases `--skip-phases` names. */
const skippedPhases = (args: string[]) => (flag(args, '--skip-phases') ?? '').split(',').filter(Boolean);

/**
 * kubeadm join's hidden check-etcd phase, before the kubelet starts: every member etcd lists
 * must answer at its client URL, or the join stops ("etcd cluster is not healthy"). A member
 * whose instance went without leaving fails it, and so does one stopped in place for its
 * replacement — which skips the check (it is that member).
 */
function checkEtcd(registry: KubeRegistry, cluster: KubeCluster): void {
  const silent = silentMembers(cluster, registry)[0];
  if (!silent) return;
  const endpoint = silent.peerUrl.replace(/:2380$/, ':2379');
  throw new KubeError(
    `[check-etcd] Checking that the etcd cluster is healthy\nerror execution phase check-etcd: etcd cluster is not healthy: failed to dial endpoint ${endpoint} with maintenance client: context deadline exceeded`,
  );
}

/**
 * A control-plane join over a data directory that is not empty (its preflight check skipped):
 * etcd starts from that data only as the member it belongs to — the one etcd still has at this
 * host's peer URL, of the cluster's current data — and then catches up from the others with
 * what it missed. Data of a member etcd removed (or of another cluster, or of the data before a
 * restore) makes etcd refuse to start, and the join fails waiting for it.
 */
function checkMemberData(cluster: KubeCluster, host: KubeHost): void {
  const data = host.read ? readEtcdMarker(host.read.bind(host), cluster.etcdDataDir) : undefined;
  if (!data) return;
  const member = memberAt(cluster, `https://${host.internalIp}:2380`);
  const ownLineage = (data.lineage ?? '') === lineageOf(cluster);
  if (member && member.name === data.member && data.cluster === cluster.id && ownLineage) return;
  const why = !member || member.name !== data.member ? `member "${data.member}" has already been removed from the cluster` : 'its data is of another etcd cluster (cluster ID mismatch)';
  throw new KubeError(
    `[control-plane-join] Adding etcd member\nerror execution phase control-plane-join/etcd: error creating local etcd static pod manifest file: timeout waiting for etcd cluster to be available: etcd in ${cluster.etcdDataDir} does not start: ${why}`,
  );
}

function upgradePlan(registry: KubeRegistry, host: KubeHost, kubeadm: KubeVersion): ShimResult {
  const cluster = controlPlaneOf(registry, host);
  const current = formatVersion(cluster.version);
  const target = minorDistance(kubeadm, cluster.version) >= 0 && minorDistance(kubeadm, cluster.version) <= 1 ? formatVersion(kubeadm) : current;
  return ok(
    `[upgrade/config] Making sure the configuration is correct:\n[preflight] Running pre-flight checks.\n[upgrade] Running cluster health checks\n[upgrade] Fetching available versions to upgrade to\n[upgrade/versions] Cluster version: ${current}\n[upgrade/versions] kubeadm version: ${formatVersion(kubeadm)}\n\nUpgrade to the latest stable version:\n\nCOMPONENT                 NODE      CURRENT   TARGET\nkube-apiserver                      ${current}   ${target}\n\nYou can now apply the upgrade by executing the following command:\n\n\tkubeadm upgrade apply ${target}\n`,
  );
}

async function upgradeApply(registry: KubeRegistry, host: KubeHost, req: ShimRequest, kubeadm: KubeVersion, versionArg: string | undefined): Promise<ShimResult> {
  const cluster = controlPlaneOf(registry, host);
  const target = parseVersion(versionArg ?? '');
  if (!target) throw new KubeError(`[upgrade/version] FATAL: the --version argument is invalid: "${versionArg}"`);
  if (!hasFlag(req.args, '--yes', '-y', '-f', '--force')) {
    throw new KubeError('[upgrade/confirm] Are you sure you want to proceed? [y/N]: won\'t proceed; the user didn\'t answer (Y|y) in order to continue');
  }
  const nodeName = registry.membership(host.instanceId)?.nodeName ?? '';
  cluster.upgradeApply(target, kubeadm, nodeName);
  await registry.runtime.sleep(registry.runtime.latency('kubeadm.init'));
  return ok(`[upgrade/version] You have chosen to change the cluster version to "${formatVersion(target)}"\n[upgrade/versions] Cluster version: ${formatVersion(target)}\n[upgrade/staticpods] Component "kube-apiserver" upgraded successfully!\n[upgrade/staticpods] Component "kube-controller-manager" upgraded successfully!\n[upgrade/staticpods] Component "kube-scheduler" upgraded successfully!\n[addons] Applied essential addon: CoreDNS\n[addons] Applied essential addon: kube-proxy\n\n[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "${formatVersion(target)}".\n\n[upgrade] Now please proceed with upgrading the rest of the nodes by following the right order.\n`);
}

async function upgradeNode(registry: KubeRegistry, host: KubeHost, kubeadm: KubeVersion): Promise<ShimResult> {
  const m = registry.membership(host.instanceId);
  if (!m) throw new KubeError('couldn\'t create a Kubernetes client from file "/etc/kubernetes/kubelet.conf": failed to load admin kubeconfig: open /etc/kubernetes/kubelet.conf: no such file or directory');
  const isCp = m.cluster.nodes.get(m.nodeName)?.role === 'control-plane';
  if (isCp) m.cluster.upgradeNode(m.nodeName, kubeadm);
  await registry.runtime.sleep(registry.runtime.latency(isCp ? 'node.joined' : 'node.ready'));
  return ok(`[upgrade] Reading configuration from the cluster...\n${isCp ? '[upgrade/staticpods] Component "kube-apiserver" upgraded successfully!\n' : '[upgrade] Skipping phase. Not a control plane node.\n'}[upgrade/kubelet-config] The kubelet configuration for this node was now updated. Please restart the kubelet with "systemctl restart kubelet"\n[upgrade] The configuration for this node was successfully upgraded!\n`);
}

function reset(registry: KubeRegistry, host: KubeHost, args: string[]): ShimResult {
  if (!hasFlag(args, '-f', '--force')) {
    throw new KubeError('[reset] Are you sure you want to proceed? [y/N]: aborted reset operation');
  }
  const m = registry.membership(host.instanceId);
  // On a control plane kubeadm removes the etcd member and deletes its data directory.
  const etcdDir = m && m.cluster.nodes.get(m.nodeName)?.role === 'control-plane' ? [m.cluster.etcdDataDir] : [];
  if (m) {
    // The node object stays (kubeadm reset does not delete it); its kubelet stops.
    const node = m.cluster.nodes.get(m.nodeName);
    if (node) node.kubeletError = 'kubelet stopped (kubeadm reset)';
    // Its remove-etcd-member phase, unless skipped (the member is to start again from its data).
    if (node?.role === 'control-plane' && !skippedPhases(args).includes('remove-etcd-member')) removeMember(m.cluster, m.nodeName);
    m.cluster.pods = m.cluster.pods.filter((p) => !(p.kind === 'static' && p.nodeName === m.nodeName));
    registry.members.delete(host.instanceId);
  }
  return ok('[reset] Reading configuration from the cluster...\n[preflight] Running pre-flight checks\n[reset] Stopping the kubelet service\n[reset] Unmounting mounted directories in "/var/lib/kubelet"\n[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]\n[reset] Deleting files: [/etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/kubelet.conf]\n\nThe reset process does not clean CNI configuration.\n', {
    remove: ['/etc/kubernetes/admin.conf', '/etc/kubernetes/super-admin.conf', '/etc/kubernetes/kubelet.conf', '/etc/kubernetes/manifests', '/etc/kubernetes/pki', '/var/lib/kubelet', ...etcdDir],
  });
}
