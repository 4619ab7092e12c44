/**
 * The objects a cluster has without anyone creating them through the API: its system
 * namespaces, nodes and pods (from the model the hosts' kubeadm and kubectl change), the
 * DaemonSets and Deployments behind those pods, node leases, the `kubernetes` and
 * `kube-dns` services, `kube-root-ca.crt` in every namespace, kube-public's `cluster-info`,
 * and a `RegisteredNode` event per node.
 */
import { createHmac } from 'node:crypto';
import type { KubeCluster } from '../cluster';
import type { SimPod } from '../model';
import { iso, nodeObject, podObject, uid } from '../objects';

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

export { iso };

function meta(cluster: KubeCluster, kind: string, name: string, namespace: string | undefined, extra: Obj = {}): Obj {
  return { name, ...(namespace ? { namespace } : {}), uid: uid(`${kind}/${namespace ?? ''}/${name}`), creationTimestamp: iso(cluster.createdAt), ...extra };
}

export function systemNamespace(cluster: KubeCluster, name: string): Obj {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta(cluster, 'Namespace', name, undefined, { labels: { 'kubernetes.io/metadata.name': name } }), spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
}

export const nodes = (cluster: KubeCluster): Obj[] => [...cluster.nodes.values()].map((n) => nodeObject(cluster, n));
export const pods = (cluster: KubeCluster): Obj[] => cluster.pods.map((p) => podObject(cluster, p));

/** The controllers behind the model's pods, with counts as their controllers report them. */
function owners(cluster: KubeCluster, kind: SimPod['kind']): Map<string, SimPod[]> {
  const by = new Map<string, SimPod[]>();
  for (const p of cluster.pods.filter((x) => x.kind === kind)) by.set(`${p.namespace}/${p.owner}`, [...(by.get(`${p.namespace}/${p.owner}`) ?? []), p]);
  return by;
}

const readyPods = (cluster: KubeCluster, list: SimPod[]) => list.filter((p) => (podObject(cluster, p).status as Obj).phase === 'Running').length;

export function daemonSets(cluster: KubeCluster): Obj[] {
  return [...owners(cluster, 'daemonset').values()].map((list) => {
    const [first] = list;
    const n = list.length;
    const ready = readyPods(cluster, list);
    const selector = { 'k8s-app': first.owner };
    return {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta(cluster, 'DaemonSet', first.owner, first.namespace, { generation: 1, labels: selector }),
      spec: { selector: { matchLabels: selector }, template: { metadata: { labels: selector }, spec: { containers: [{ name: first.owner, image: first.image }] } } },
      status: { currentNumberScheduled: n, desiredNumberScheduled: n, numberAvailable: ready, numberMisscheduled: 0, numberReady: ready, observedGeneration: 1, updatedNumberScheduled: n },
    };
  });
}

/** A Deployment object for the model's pods of `owner` (a stored spec, if a client made it, else the system's). */
export function deployment(cluster: KubeCluster, namespace: string, owner: string, stored?: Obj): Obj {
  const list = cluster.pods.filter((p) => p.kind === 'deployment' && p.namespace === namespace && p.owner === owner);
  const ready = readyPods(cluster, list);
  const labels = { 'k8s-app': owner };
  const base: Obj = stored ?? {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(cluster, 'Deployment', owner, namespace, { generation: 1, labels }),
    spec: { replicas: list.length, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: owner, image: list[0]?.image ?? '' }] } } },
  };
  return {
    ...base,
    status: { observedGeneration: base.metadata.generation ?? 1, replicas: list.length, updatedReplicas: list.length, readyReplicas: ready, availableReplicas: ready, ...(list.length > ready ? { unavailableReplicas: list.length - ready } : {}) },
  };
}

export function systemDeployments(cluster: KubeCluster): Obj[] {
  return [...owners(cluster, 'deployment').keys()].map((key) => {
    const [ns, owner] = key.split('/');
    return deployment(cluster, ns, owner);
  });
}

/** The kubelet renews its node's lease every 10 s (a quarter of the 40 s grace). */
export function nodeLeases(cluster: KubeCluster): Obj[] {
  return [...cluster.nodes.values()].map((n) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: meta(cluster, 'Lease', n.name, 'kube-node-lease', { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: n.name, uid: uid(n.instanceId) }] }),
    spec: { holderIdentity: n.name, leaseDurationSeconds: 40, renewTime: iso(Math.floor((n.hostGoneAt ?? cluster.now()) / 10_000) * 10_000).replace('Z', '.000000Z') },
  }));
}

export function systemServices(cluster: KubeCluster): Obj[] {
  const svc = (name: string, namespace: string, clusterIP: string, ports: Obj[], labels: Obj = {}) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(cluster, 'Service', name, namespace, { labels }),
    spec: { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports, sessionAffinity: 'None', ipFamilies: ['IPv4'] },
    status: { loadBalancer: {} },
  });
  return [
    svc('kubernetes', 'default', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }], { component: 'apiserver', provider: 'kubernetes' }),
    svc('kube-dns', 'kube-system', '10.96.0.10', [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 }], { 'k8s-app': 'kube-dns' }),
  ];
}

export function systemConfigMaps(cluster: KubeCluster, namespaces: string[]): Obj[] {
  const cm = (name: string, namespace: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(cluster, 'ConfigMap', name, namespace), data });
  const caData = Buffer.from(cluster.ca.certPem).toString('base64');
  const clusterInfo = ['apiVersion: v1', 'clusters:', '- cluster:', `    certificate-authority-data: ${caData}`, `    server: https://${cluster.endpoint}`, '  name: ""', 'contexts: null', 'current-context: ""', 'kind: Config', 'preferences: {}', 'users: null', ''].join('\n');
  return [
    ...namespaces.map((ns) => cm('kube-root-ca.crt', ns, { 'ca.crt': cluster.ca.certPem })),
    cm('cluster-info', 'kube-public', { kubeconfig: clusterInfo, ...tokenSignatures(cluster, clusterInfo) }),
  ];
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/**
 * What the bootstrap signer (kube-controller-manager) adds to cluster-info for each live
 * bootstrap token: `jws-kubeconfig-<token id>`, a detached JWS (HS256, keyed with the
 * token's secret) of the kubeconfig — what kubeadm join's discovery looks for, and what a
 * host may look for before it starts one. An expired or deleted token's goes with it.
 */
function tokenSignatures(cluster: KubeCluster, kubeconfig: string): Record<string, string> {
  const now = cluster.now();
  const signatures: Record<string, string> = {};
  for (const { token, expiresAt } of cluster.tokens) {
    if (expiresAt !== undefined && expiresAt <= now) continue;
    const [id, secret] = token.split('.');
    const header = base64url(JSON.stringify({ alg: 'HS256', kid: id }));
    const signature = createHmac('sha256', secret).update(`${header}.${base64url(kubeconfig)}`).digest('base64url');
    signatures[`jws-kubeconfig-${id}`] = `${header}..${signature}`;
  }
  return signatures;
}

/** The node controller's `RegisteredNode` event for each node. */
export function nodeEvents(cluster: KubeCluster): Obj[] {
  return [...cluster.nodes.values()].map((n) => {
    const name = `${n.name}.${uid(n.instanceId).replace(/-/g, '').slice(0, 16)}`;
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'default', uid: uid(`Event/${name}`), creationTimestamp: iso(n.joinedAt) },
      involvedObject: { kind: 'Node', name: n.name, uid: uid(n.instanceId), apiVersion: 'v1' },
      reason: 'RegisteredNode',
      message: `Node ${n.name} event: Registered Node ${n.name} in Controller`,
      source: { component: 'node-controller' },
      firstTimestamp: iso(n.joinedAt),
      lastTimestamp: iso(n.joinedAt),
      count: 1,
      type: 'Normal',
      eventTime: null,
      reportingComponent: 'node-controller',
      reportingInstance: '',
    };
  });
}
