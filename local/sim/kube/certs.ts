/**
 * kubeadm's certificate commands on a control plane, and the container runtime's view of its
 * static pods (what restarts them so they load renewed certificates):
 *
 * - `kubeadm certs check-expiration`: kubeadm's table of the node's certificates and CAs;
 * - `kubeadm certs renew all`: new one-year leaf certificates and kubeconfigs on disk — the
 *   running API server keeps presenting the old ones until its pod restarts, as kubeadm warns;
 * - `crictl pods [--namespace NS] [--name NAME] [-q]` and `crictl stopp ID…`: the kubelet
 *   starts a stopped static pod again at once, with what is on disk now.
 */
import { fail, ok, type ShimResult } from '../hosts/protocol';
import type { KubeCluster } from './cluster';
import { flag, hasFlag, positionals } from './host';
import { MANIFESTS, memberRunning, restartMember } from './etcd-members';
import { adminFiles } from './kubeadm';
import { uid } from './objects';
import { issueServingCertificate } from './pki';

const LEAVES: [string, string][] = [
  ['admin.conf', 'ca'],
  ['apiserver', 'ca'],
  ['apiserver-etcd-client', 'etcd-ca'],
  ['apiserver-kubelet-client', 'ca'],
  ['controller-manager.conf', 'ca'],
  ['etcd-healthcheck-client', 'etcd-ca'],
  ['etcd-peer', 'etcd-ca'],
  ['etcd-server', 'etcd-ca'],
  ['front-proxy-client', 'front-proxy-ca'],
  ['scheduler.conf', 'ca'],
  ['super-admin.conf', 'ca'],
];
const STATIC_COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/** `Aug 19, 2026 09:03 UTC`, as kubeadm prints an expiry. */
export function kubeadmDate(ms: number): string {
  const d = new Date(ms);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${month} ${String(d.getUTCDate()).padStart(2, '0')}, ${d.getUTCFullYear()} ${hh}:${mm} UTC`;
}

/** kubeadm's residual time (`duration.ShortHumanDuration`): `45s`, `12m`, `5h`, `364d`, `1y`, `<invalid>` once expired. */
function residual(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  if (seconds < 365 * 86_400) return `${Math.floor(seconds / 86_400)}d`;
  return `${Math.floor(seconds / (365 * 86_400))}y`;
}

export function checkExpiration(member: { cluster: KubeCluster; nodeName: string }): ShimResult {
  const { cluster, nodeName } = member;
  const now = cluster.now();
  const onDisk = cluster.controlPlaneCerts.get(nodeName)?.onDisk ?? now;
  const caExpiry = cluster.ca.cert.notAfter.getTime();
  const row = (cells: string[], widths: number[]) => cells.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd();
  const leafWidths = [24, 22, 13, 21, 18];
  const caWidths = [21, 22, 13, 18];
  const lines = [
    '[check-expiration] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...',
    "[check-expiration] Use 'kubeadm init phase upload-config --config your-config-file' to re-upload it.",
    '',
    row(['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED'], leafWidths),
    // A joined control plane has no super-admin.conf: kubeadm lists it as missing.
    ...LEAVES.map(([name, ca]) => (name === 'super-admin.conf' && cluster.initNodeName !== nodeName ? `!MISSING! ${name}` : row([name, kubeadmDate(onDisk), residual(onDisk - now), ca, 'no'], leafWidths))),
    '',
    row(['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED'], caWidths),
    ...['ca', 'etcd-ca', 'front-proxy-ca'].map((name) => row([name, kubeadmDate(caExpiry), residual(caExpiry - now), 'no'], caWidths)),
    '',
  ];
  return ok(lines.join('\n'));
}

const RENEWED = [
  'certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself renewed',
  'certificate for serving the Kubernetes API renewed',
  'certificate the apiserver uses to access etcd renewed',
  'certificate for the API server to connect to kubelet renewed',
  'certificate embedded in the kubeconfig file for the controller manager to use renewed',
  'certificate for liveness probes to healthcheck etcd renewed',
  'certificate for etcd nodes to communicate with each other renewed',
  'certificate for serving etcd renewed',
  'certificate for the front proxy client renewed',
  'certificate embedded in the kubeconfig file for the scheduler manager to use renewed',
  'certificate embedded in the kubeconfig file for the super-admin renewed',
];

export async function renewAll(member: { cluster: KubeCluster; nodeName: string }): Promise<ShimResult> {
  const { cluster, nodeName } = member;
  cluster.renewCertificates(nodeName);
  if (cluster.apiServerNames) cluster.apiServerCertificate = await issueServingCertificate(cluster.ca, cluster.apiServerNames, cluster.now());
  const text = [
    '[renew] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...',
    "[renew] Use 'kubeadm init phase upload-config --config your-config-file' to re-upload it.",
    '',
    ...RENEWED,
    '',
    'Done renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.',
    '',
  ].join('\n');
  return ok(text, { files: await adminFiles(cluster, nodeName) });
}

/** The pod sandbox id of a node's static pod (stable, as crictl shows it). */
const sandboxId = (nodeName: string, component: string) => uid(`sandbox/${nodeName}/${component}`).replace(/-/g, '') + uid(`sandbox2/${nodeName}/${component}`).replace(/-/g, '');

/** A static pod's container id (stable). */
const containerId = (nodeName: string, component: string) => sandboxId(`${nodeName}/container`, component);

/** Whether the kubelet runs this static pod now: its manifest in place (and, for etcd, data to start from). */
function staticPodRuns(member: { cluster: KubeCluster; nodeName: string }, component: string): boolean {
  const read = member.cluster.readHostFile;
  const instanceId = member.cluster.nodes.get(member.nodeName)?.instanceId;
  if (!read || !instanceId) return true;
  if (component === 'etcd') return memberRunning(member.cluster, member.nodeName);
  return (read(instanceId, `${MANIFESTS}/${component}.yaml`) ?? '') !== '';
}

/** `crictl pods`, `crictl ps` and `crictl stopp` for a node's static pods; undefined for any other crictl call. */
export function crictlStaticPods(member: { cluster: KubeCluster; nodeName: string } | undefined, args: string[]): ShimResult | undefined {
  const pos = positionals(args, ['--name', '--namespace', '-r', '--runtime-endpoint', '--state', '--label']);
  if (pos[0] !== 'pods' && pos[0] !== 'stopp' && pos[0] !== 'ps') return undefined;
  // The kubelet runs the static pods whose manifests are in /etc/kubernetes/manifests.
  const components = member && member.cluster.controlPlaneCerts.has(member.nodeName) ? STATIC_COMPONENTS.filter((c) => staticPodRuns(member, c)) : [];
  if (pos[0] === 'ps') {
    const name = flag(args, '--name');
    const mine = components.filter((c) => !name || new RegExp(name).test(c));
    if (hasFlag(args, '-q', '--quiet')) return ok(mine.map((c) => `${containerId(member!.nodeName, c)}\n`).join(''));
    return ok(`CONTAINER           IMAGE               CREATED             STATE               NAME                      ATTEMPT             POD ID              POD\n${mine.map((c) => `${containerId(member!.nodeName, c).slice(0, 13)}       ${c.padEnd(20)}1 hours ago         Running             ${c.padEnd(26)}0                   ${sandboxId(member!.nodeName, c).slice(0, 13)}       ${c}-${member!.nodeName}`).join('\n')}\n`);
  }
  if (pos[0] === 'pods') {
    const name = flag(args, '--name');
    const ns = flag(args, '--namespace');
    const mine = components.filter((c) => (!name || c.includes(name)) && (!ns || ns === 'kube-system'));
    if (hasFlag(args, '-q', '--quiet')) return ok(mine.map((c) => `${sandboxId(member!.nodeName, c)}\n`).join(''));
    return ok(`POD ID              CREATED             STATE               NAME                          NAMESPACE           ATTEMPT             RUNTIME\n${mine.map((c) => `${sandboxId(member!.nodeName, c).slice(0, 13)}       1 hours ago         Ready               ${`${c}-${member!.nodeName}`.padEnd(30)}kube-system         0                   (default)`).join('\n')}\n`);
  }
  const ids = pos.slice(1);
  if (ids.length === 0) return fail('ID cannot be empty');
  const out: string[] = [];
  for (const id of ids) {
    const component = components.find((c) => sandboxId(member!.nodeName, c).startsWith(id));
    if (!component) return fail(`stopping the pod sandbox "${id}": rpc error: code = NotFound desc = an error occurred when try to find sandbox: not found`);
    // The kubelet sees its static pod stopped and starts it again from the manifest.
    member!.cluster.restartStaticPod(member!.nodeName, component);
    if (component === 'etcd') restartMember(member!.cluster, member!.nodeName);
    out.push(`Stopped sandbox ${id}`);
  }
  return ok(`${out.join('\n')}\n`);
}
