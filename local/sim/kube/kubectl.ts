/**
 * `kubectl` on a simulated host. It finds its cluster the way kubectl does — through
 * the kubeconfig (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`) — and answers from
 * the cluster model: get (json/name/table), apply or create (CNI and cloud controller manager
 * manifests, CertificateSigningRequests), certificate approve, cordon, uncordon, drain, delete node, label node, wait.
 */
import { parseAllDocuments } from 'yaml';
import { fetchUrl, recogniseManifest } from '../hosts/network';
import type { ShimRequest, ShimResult } from '../hosts/protocol';
import { fail, ok } from '../hosts/protocol';
import { type KubeCluster, KubeError } from './cluster';
import { anyApiServerAnswers } from './etcd-members';
import { flag, hasFlag, parseGoDuration, positionals } from './host';
import { kubeconfigClientCertificate, kubeconfigServer } from './kubeconfig';
import { verifyClientCertificate } from './pki';
import { approveCsr, csrObject, submitCsr } from './csr';
import { list, nodeObject, podObject } from './objects';
import type { KubeRegistry } from './registry';
import { formatVersion } from './version';
import { CONFIGMAP_NAMES, createConfigMap, deleteConfigMap, getConfigMap } from './kubectl-configmaps';
import { SERVICE_ACCOUNT_NAMES, createServiceAccount, createToken, rawIssuerDocument } from './kubectl-service-accounts';

const FLAGS_WITH_VALUES = ['--kubeconfig', '-o', '--output', '-n', '--namespace', '-f', '--filename', '--timeout', '--for', '-l', '--selector', '--grace-period', '--raw', '--audience', '--duration'];

/** Runs one kubectl command line. */
/** `instanceId`: the host it runs on (its VPC decides which cluster an address means). */
export async function runKubectl(registry: KubeRegistry, req: ShimRequest, instanceId?: string): Promise<ShimResult> {
  const args = req.args;
  const pos = positionals(args, FLAGS_WITH_VALUES);
  if (pos[0] === 'version' && hasFlag(args, '--client')) return ok('Client Version: v1.31.4\nKustomize Version: v5.4.2\n');
  try {
    const cluster = await connect(registry, req, instanceId);
    cluster.runControllers();
    switch (pos[0]) {
      case 'get':
        if (hasFlag(args, '--raw')) return getRaw(cluster, flag(args, '--raw') ?? '');
        if (CONFIGMAP_NAMES.has(pos[1] ?? '')) return getConfigMap(registry, cluster, pos[2], args, jsonpath);
        return get(cluster, pos.slice(1), args);
      case 'create':
      case 'apply': {
        if (pos[0] === 'create' && CONFIGMAP_NAMES.has(pos[1] ?? '')) return createConfigMap(registry, cluster, pos[2], args);
        if (pos[0] === 'create' && SERVICE_ACCOUNT_NAMES.has(pos[1] ?? '')) return createServiceAccount(cluster, pos[2], args);
        if (pos[0] === 'create' && pos[1] === 'token') return await createToken(cluster, pos[2], args);
        const out = await apply(cluster, req, pos[0] === 'create');
        registry.startAwsNode(cluster);
        return out;
      }
      case 'set':
        return setEnv(registry, cluster, pos, args);
      case 'certificate':
        if (pos[1] !== 'approve' || !pos[2]) return fail('error: USAGE: kubectl certificate approve (-f FILENAME | NAME)');
        await approveCsr(cluster, pos[2]);
        return ok(`certificatesigningrequest.certificates.k8s.io/${pos[2]} approved\n`);
      case 'cordon':
      case 'uncordon': {
        const name = nodeArg(pos);
        const changed = cluster.setUnschedulable(name, pos[0] === 'cordon');
        return ok(`node/${name} ${changed ? `${pos[0]}ed` : `already ${pos[0]}ed`}\n`);
      }
      case 'drain':
        return await drain(registry, cluster, nodeArg(pos), args);
      case 'delete':
        if (CONFIGMAP_NAMES.has(pos[1] ?? '')) return deleteConfigMap(registry, cluster, pos[2], args);
        if (CSR_NAMES.has(pos[1] ?? '')) {
          if (!cluster.csrs.delete(pos[2] ?? '')) return fail(`Error from server (NotFound): certificatesigningrequests.certificates.k8s.io "${pos[2]}" not found`);
          return ok(`certificatesigningrequest.certificates.k8s.io "${pos[2]}" deleted\n`);
        }
        if (pos[1] !== 'node' && pos[1] !== 'nodes') return fail(`error: the server doesn't have a resource type "${pos[1]}"`);
        cluster.deleteNode(pos[2] ?? '');
        return ok(`node "${pos[2]}" deleted\n`);
      case 'label':
        return label(cluster, pos, hasFlag(args, '--overwrite'));
      case 'wait':
        return await wait(registry, cluster, pos, args);
      case 'version':
        return ok(`Client Version: v1.31.4\nKustomize Version: v5.4.2\nServer Version: ${formatVersion(cluster.version)}\n`);
      case 'cluster-info':
        return ok(`Kubernetes control plane is running at https://${cluster.endpoint}\nCoreDNS is running at https://${cluster.endpoint}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n`);
      default:
        return fail(`error: unknown command "${pos[0] ?? ''}" for "kubectl"`);
    }
  } catch (err) {
    if (err instanceof KubeError) return fail(err.message, err.exitCode);
    throw err;
  }
}

/** The cluster the kubeconfig points at, or kubectl's connection error. */
async function connect(registry: KubeRegistry, req: ShimRequest, instanceId?: string): Promise<KubeCluster> {
  const path = flag(req.args, '--kubeconfig') ?? req.env.KUBECONFIG ?? `${req.env.HOME ?? '/root'}/.kube/config`;
  const abs = path.startsWith('/') ? path : `${req.cwd.replace(/\/$/, '')}/${path}`;
  const text = req.files.get(abs);
  const explicit = flag(req.args, '--kubeconfig') ?? req.env.KUBECONFIG;
  if (!text && explicit) throw new KubeError(`error: stat ${path}: no such file or directory`);
  const server = text ? kubeconfigServer(text.toString()) : undefined;
  const target = server ?? 'localhost:8080';
  const cluster = server ? registry.find(server, instanceId) : undefined;
  if (!cluster || !cluster.firstControlPlane()) {
    throw new KubeError(`The connection to the server ${target.replace(/^https?:\/\//, '')} was refused - did you specify the right host or port?`);
  }
  // Every API server stopped (their manifests moved away) or without an etcd quorum behind it.
  if (!anyApiServerAnswers(cluster, registry)) throw new KubeError(`The connection to the server ${target.replace(/^https?:\/\//, '')} was refused - did you specify the right host or port?`);
  const serving = cluster.servingCertificateProblem();
  if (serving) throw new KubeError(`Unable to connect to the server: ${serving}`);
  // The API server authenticates the kubeconfig's client certificate, on the simulated clock.
  if (!(await verifyClientCertificate(cluster.ca, kubeconfigClientCertificate(text!.toString()) ?? Buffer.alloc(0), cluster.now()))) {
    throw new KubeError('error: You must be logged in to the server (Unauthorized)');
  }
  return cluster;
}

/** `kubectl get --raw PATH`: the API server's answer as is. */
function getRaw(cluster: KubeCluster, path: string): ShimResult {
  if (path === '/version') return ok(`${JSON.stringify({ major: String(cluster.version.major), minor: String(cluster.version.minor), gitVersion: formatVersion(cluster.version) })}\n`);
  if (['/healthz', '/livez', '/readyz'].includes(path)) return ok('ok');
  const doc = rawIssuerDocument(cluster, path);
  if (!doc) return fail('Error from server (NotFound): the server could not find the requested resource');
  return ok(JSON.stringify(doc));
}

function nodeArg(pos: string[]): string {
  const name = pos[1]?.replace(/^nodes?\//, '');
  if (!name) throw new KubeError('error: USAGE: kubectl cordon NODE [flags]');
  return name;
}

function get(cluster: KubeCluster, what: string[], args: string[]): ShimResult {
  const output = flag(args, '-o', '--output');
  const kind = (what[0] ?? '').replace(/\/.*$/, '');
  const name = what[0]?.includes('/') ? what[0].split('/')[1] : what[1];
  if (kind === 'nodes' || kind === 'node' || kind === 'no') {
    const nodes = name ? [cluster.node(name)] : [...cluster.nodes.values()];
    const objects = nodes.map((n) => nodeObject(cluster, n));
    if (output === 'json') return ok(`${JSON.stringify(name ? objects[0] : list(objects), null, 4)}\n`);
    if (output === 'name') return ok(nodes.map((n) => `node/${n.name}\n`).join(''));
    const rows = nodes.map((n) => {
      const ready = cluster.isReady(n) ? 'Ready' : 'NotReady';
      const status = n.unschedulable ? `${ready},SchedulingDisabled` : ready;
      const age = `${Math.max(0, Math.round((cluster.now() - n.joinedAt) / 60000))}m`;
      return [n.name.padEnd(32), status.padEnd(28), (n.role === 'control-plane' ? 'control-plane' : '<none>').padEnd(15), age.padEnd(6), formatVersion(n.kubeletVersion)].join(' ');
    });
    return ok(`${['NAME'.padEnd(32), 'STATUS'.padEnd(28), 'ROLES'.padEnd(15), 'AGE'.padEnd(6), 'VERSION'].join(' ')}\n${rows.join('\n')}\n`);
  }
  if (kind === 'pods' || kind === 'pod' || kind === 'po') {
    const ns = hasFlag(args, '-A', '--all-namespaces') ? undefined : flag(args, '-n', '--namespace') ?? 'default';
    const pods = cluster.pods.filter((p) => (ns === undefined || p.namespace === ns) && (!name || p.name === name));
    const objects = pods.map((p) => podObject(cluster, p));
    if (output === 'json') return ok(`${JSON.stringify(list(objects), null, 4)}\n`);
    if (pods.length === 0) return ok('', { stderr: `No resources found in ${ns ?? 'any'} namespace.\n` });
    const rows = objects.map((o) => {
      const md = o.metadata as { name: string; namespace: string };
      const phase = (o.status as { phase: string }).phase;
      return `${ns === undefined ? `${md.namespace.padEnd(16)}` : ''}${md.name.padEnd(48)}${phase === 'Running' ? '1/1' : '0/1'}     ${phase}`;
    });
    return ok(`${ns === undefined ? 'NAMESPACE       ' : ''}${'NAME'.padEnd(48)}READY   STATUS\n${rows.join('\n')}\n`);
  }
  if (CSR_NAMES.has(kind)) {
    const entry = cluster.csrs.get(name ?? '');
    if (!entry) return fail(`Error from server (NotFound): certificatesigningrequests.certificates.k8s.io "${name}" not found`);
    const obj = csrObject(entry);
    if (output === 'json') return ok(`${JSON.stringify(obj, null, 4)}\n`);
    if (output?.startsWith('jsonpath=')) return ok(jsonpath(obj, output.slice('jsonpath='.length)));
    const condition = entry.failed ? 'Approved,Failed' : entry.certificate ? 'Approved,Issued' : entry.approved ? 'Approved' : 'Pending';
    return ok(`NAME${' '.repeat(Math.max(1, entry.name.length - 1))}SIGNERNAME                            CONDITION\n${entry.name}   ${entry.signerName.padEnd(37)} ${condition}\n`);
  }
  return fail(`error: the server doesn't have a resource type "${kind}"`);
}

/** `kubectl set env daemonset/NAME K=V… -n NS`: the DaemonSet's pods restart with it. */
function setEnv(registry: KubeRegistry, cluster: KubeCluster, pos: string[], args: string[]): ShimResult {
  if (pos[1] !== 'env') return fail(`error: unknown command "set ${pos[1] ?? ''}" in this simulation (set env only)`);
  const target = pos[2] ?? '';
  const m = /^(?:daemonset|ds|daemonsets)(?:\.apps)?\/(.+)$/.exec(target);
  if (!m) return fail(`error: the simulation sets env on daemonsets only, not "${target}"`);
  const namespace = flag(args, '-n', '--namespace') ?? 'default';
  if (namespace !== 'kube-system' || !cluster.pods.some((p) => p.owner === m[1] && p.kind === 'daemonset')) {
    return fail(`Error from server (NotFound): daemonsets.apps "${m[1]}" not found`);
  }
  const env = { ...(cluster.daemonSetEnv.get(m[1]) ?? {}) };
  for (const kv of pos.slice(3)) {
    const eq = kv.indexOf('=');
    if (eq <= 0) return fail(`error: environment variables must be of the form key=value: ${kv}`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  cluster.daemonSetEnv.set(m[1], env);
  if (m[1] === 'aws-node') registry.startAwsNode(cluster, true);
  return ok(`daemonset.apps/${m[1]} env updated\n`);
}

const CSR_NAMES = new Set(['csr', 'csrs', 'certificatesigningrequest', 'certificatesigningrequests']);

/** kubectl's `-o jsonpath=` for a plain field path (`{.status.certificate}`): empty when absent. */
function jsonpath(obj: Record<string, unknown>, template: string): string {
  const path = /^\{\.([\w.]+)\}$/.exec(template.replace(/^'|'$/g, ''));
  if (!path) throw new KubeError(`error: error parsing jsonpath ${template}, unsupported in this simulation`);
  let value: unknown = obj;
  for (const key of path[1].split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
}

async function apply(cluster: KubeCluster, req: ShimRequest, create: boolean): Promise<ShimResult> {
  const source = flag(req.args, '-f', '--filename');
  if (!source) return fail('error: must specify one of -f and -k');
  let text: string;
  if (/^https?:\/\//.test(source)) {
    const r = fetchUrl(source);
    if ('error' in r) return fail(`error: unable to read URL "${source}", server reported dial tcp: lookup ${r.host}: no such host, status code=0`);
    if (r.status !== 200) return fail(`error: unable to read URL "${source}", server reported 404 Not Found, status code=404`);
    text = r.body;
  } else if (source === '-') {
    text = req.stdin?.toString() ?? '';
  } else {
    const abs = source.startsWith('/') ? source : `${req.cwd.replace(/\/$/, '')}/${source}`;
    const file = req.files.get(abs);
    if (!file) return fail(`error: the path "${source}" does not exist`);
    text = file.toString();
  }
  const lines: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) return fail(`error: error parsing ${source}: error converting YAML to JSON: yaml: ${doc.errors[0].message}`);
    const obj = doc.toJS() as { kind?: string; apiVersion?: string; metadata?: { name?: string } } | null;
    if (!obj) continue;
    if (!obj.kind || !obj.apiVersion) return fail(`error: error validating "${source}": error validating data: [apiVersion not set, kind not set]`);
    const group = obj.apiVersion.includes('/') ? `.${obj.apiVersion.split('/')[0]}` : '';
    if (obj.kind === 'CertificateSigningRequest') {
      if (!create && cluster.csrs.has(obj.metadata?.name ?? '')) {
        lines.push(`certificatesigningrequest${group}/${obj.metadata?.name} unchanged`);
        continue;
      }
      await submitCsr(cluster, obj as Record<string, unknown>);
    }
    lines.push(`${obj.kind.toLowerCase()}${group}/${obj.metadata?.name ?? ''} created`);
  }
  const what = recogniseManifest(text, source);
  if (what === 'ccm') cluster.applyCloudControllerManager();
  else if (what) cluster.applyCni(what);
  return ok(`${lines.join('\n')}\n`);
}

/**
 * `kubectl drain`: cordon, then evict. A pod that refuses eviction is retried until
 * `--timeout` and fails the drain with kubectl's message, unless eviction is bypassed.
 */
async function drain(registry: KubeRegistry, cluster: KubeCluster, name: string, args: string[]): Promise<ShimResult> {
  const node = cluster.node(name);
  const out: string[] = [];
  cluster.setUnschedulable(name, true);
  out.push(`node/${name} cordoned`);
  const pods = cluster.pods.filter((p) => p.nodeName === name && p.kind !== 'static');
  const daemon = pods.filter((p) => p.kind === 'daemonset');
  if (daemon.length > 0 && !hasFlag(args, '--ignore-daemonsets')) {
    return fail(`error: unable to drain node "${name}" due to error: cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemon.map((p) => `kube-system/${p.name}`).join(', ')}, continuing command...\nThere are pending nodes to be drained:\n ${name}\ncannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemon.map((p) => `kube-system/${p.name}`).join(', ')}`, 1, { stdout: `${out.join('\n')}\n` });
  }
  const bare = pods.filter((p) => p.kind === 'bare');
  if (bare.length > 0 && !hasFlag(args, '--force')) {
    const list = bare.map((p) => `${p.namespace}/${p.name}`).join(', ');
    return fail(`error: unable to drain node "${name}" due to error: cannot delete Pods declare no controller (use --force to override): ${list}, continuing command...\nThere are pending nodes to be drained:\n ${name}\ncannot delete Pods declare no controller (use --force to override): ${list}`, 1, { stdout: `${out.join('\n')}\n` });
  }
  // A pod with no controller is deleted for good (--force); the others are evicted and replaced.
  const evictable = pods.filter((p) => p.kind === 'deployment' || p.kind === 'bare');
  const local = evictable.filter((p) => p.emptyDir);
  if (local.length > 0 && !hasFlag(args, '--delete-emptydir-data')) {
    const list = local.map((p) => `${p.namespace}/${p.name}`).join(', ');
    return fail(`error: unable to drain node "${name}" due to error: cannot delete Pods with local storage (use --delete-emptydir-data to override): ${list}, continuing command...\nThere are pending nodes to be drained:\n ${name}\ncannot delete Pods with local storage (use --delete-emptydir-data to override): ${list}`, 1, { stdout: `${out.join('\n')}\n` });
  }
  if (daemon.length > 0) out.push(`Warning: ignoring DaemonSet-managed Pods: ${daemon.map((p) => `kube-system/${p.name}`).join(', ')}`);
  const bypass = hasFlag(args, '--disable-eviction', '--force');
  const faulted = registry.refusesEviction(name, node.instanceId);
  const stubborn = bypass ? [] : evictable.filter((p) => p.refusesEviction || faulted);
  for (const p of evictable) out.push(`evicting pod ${p.namespace}/${p.name}`);
  if (stubborn.length > 0) {
    // Default --timeout=0s means "forever"; a real drain would hang until the SSM timeout.
    const timeout = parseGoDuration(flag(args, '--timeout') ?? '0') || 3600;
    const err: string[] = [];
    for (let t = 0; t < Math.min(timeout, 30); t += 5) {
      for (const p of stubborn) err.push(`error when evicting pods/"${p.name}" -n "${p.namespace}" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`);
    }
    await registry.runtime.sleep(timeout);
    for (const p of evictable.filter((x) => !stubborn.includes(x))) cluster.deletePod(p);
    const reason = stubborn.map((p) => `error when evicting pods/"${p.name}" -n "${p.namespace}": global timeout reached: ${flag(args, '--timeout') ?? '0s'}`).join(', ');
    err.push(`error: unable to drain node "${name}" due to error: [${reason}], continuing command...`, 'There are pending nodes to be drained:', ` ${name}`, reason);
    return fail(err.join('\n'), 1, { stdout: `${out.join('\n')}\n` });
  }
  await registry.runtime.sleep(evictable.length > 0 ? registry.runtime.latency('drain') : 1);
  for (const p of evictable) {
    cluster.deletePod(p);
    out.push(`pod/${p.name} evicted`);
  }
  out.push(`node/${name} drained`);
  return ok(`${out.join('\n')}\n`);
}

function label(cluster: KubeCluster, pos: string[], overwrite: boolean): ShimResult {
  if (pos[1] !== 'node' && pos[1] !== 'nodes' && !pos[1]?.startsWith('node/')) return fail(`error: the server doesn't have a resource type "${pos[1]}"`);
  const rest = pos[1].startsWith('node/') ? [pos[1].slice(5), ...pos.slice(2)] : pos.slice(2);
  const node = cluster.node(rest[0] ?? '');
  for (const kv of rest.slice(1)) {
    if (kv.endsWith('-')) {
      delete node.labels[kv.slice(0, -1)];
      continue;
    }
    const [k, v = ''] = kv.split('=');
    if (k in node.labels && node.labels[k] !== v && !overwrite) {
      return fail(`error: '${k}' already has a value (${node.labels[k]}), and --overwrite is false`);
    }
    node.labels[k] = v;
  }
  return ok(`node/${node.name} labeled\n`);
}

/** How often the simulated `kubectl wait` looks at the model (simulated seconds). */
const WAIT_LOOK_SECONDS = 0.1;

/** `kubectl wait --for=condition=Ready node/NAME|nodes --all --timeout=Ns`: polls the model. */
async function wait(registry: KubeRegistry, cluster: KubeCluster, pos: string[], args: string[]): Promise<ShimResult> {
  const cond = flag(args, '--for') ?? '';
  if (cond.toLowerCase() !== 'condition=ready') return fail(`error: unrecognized condition: "${cond}"`);
  const timeout = parseGoDuration(flag(args, '--timeout') ?? '30s') ?? 30;
  const target = pos[1] ?? '';
  const all = hasFlag(args, '--all') || target === 'nodes';
  const names = all ? [...cluster.nodes.keys()] : [target.replace(/^nodes?\//, '') || (pos[2] ?? '')];
  for (const n of names) cluster.node(n);
  const deadline = cluster.now() + timeout * 1000;
  for (;;) {
    const pending = names.filter((n) => !cluster.nodes.get(n) || !cluster.isReady(cluster.node(n)));
    if (pending.length === 0) return ok(names.map((n) => `node/${n} condition met\n`).join(''));
    if (cluster.now() >= deadline) return fail(pending.map((n) => `error: timed out waiting for the condition on nodes/${n}`).join('\n'));
    // kubectl watches, and answers the moment a node turns Ready: a tenth of a second comes close.
    await registry.runtime.sleep(Math.min(WAIT_LOOK_SECONDS, timeout));
  }
}
