/**
 * Kubernetes-shaped JSON for `kubectl get … -o json`: the fields real clients read
 * (metadata, spec.providerID/unschedulable/taints, status.conditions, addresses,
 * nodeInfo.kubeletVersion; pod phase and container statuses).
 */
import type { KubeCluster } from './cluster';
import type { SimKubeNode, SimPod } from './model';
import { formatVersion } from './version';

/** Kubernetes' timestamps: RFC 3339 to the second. */
export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A v1 Node object. */
export function nodeObject(cluster: KubeCluster, node: SimKubeNode): Record<string, unknown> {
  const ready = cluster.readyCondition(node);
  // A kubelet that stopped posting status last did so when its machine went.
  const now = iso(node.hostGoneAt ?? cluster.now());
  const taints = [...node.taints];
  if (ready.status !== 'True') taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
  if (node.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
  const pressure = (type: string, reason: string, message: string) => ({
    type,
    status: ready.status === 'Unknown' ? 'Unknown' : 'False',
    lastHeartbeatTime: now,
    lastTransitionTime: iso(node.joinedAt),
    reason,
    message,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      uid: uid(node.instanceId),
      creationTimestamp: iso(node.joinedAt),
      labels: {
        ...node.labels,
        ...(cluster.cloudControllerManager
          ? {
              'topology.kubernetes.io/zone': node.availabilityZone,
              'topology.kubernetes.io/region': node.availabilityZone.replace(/[a-z]$/, ''),
            }
          : {}),
      },
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...node.annotations,
      },
    },
    spec: {
      providerID: `aws:///${node.availabilityZone}/${node.instanceId}`,
      ...(cluster.podSubnet ? { podCIDR: podCidr(cluster, node), podCIDRs: [podCidr(cluster, node)] } : {}),
      ...(node.unschedulable ? { unschedulable: true } : {}),
      ...(taints.length > 0 ? { taints } : {}),
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: node.internalIp },
        { type: 'Hostname', address: node.hostname },
        ...(cluster.cloudControllerManager ? [{ type: 'InternalDNS', address: `${node.hostname}.ec2.internal` }] : []),
      ],
      allocatable: { cpu: '2', 'ephemeral-storage': '18698430040', memory: '3860508Ki', pods: '110' },
      capacity: { cpu: '2', 'ephemeral-storage': '20289540Ki', memory: '3962908Ki', pods: '110' },
      conditions: [
        pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        {
          type: 'Ready',
          status: ready.status,
          lastHeartbeatTime: now,
          lastTransitionTime: iso(ready.since),
          reason: ready.reason,
          message: ready.message,
        },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: uid(`${node.instanceId}-boot`),
        containerRuntimeVersion: 'containerd://1.7.24',
        kernelVersion: '6.8.0-1021-aws',
        kubeProxyVersion: formatVersion(node.kubeletVersion),
        kubeletVersion: formatVersion(node.kubeletVersion),
        machineID: node.instanceId.replace(/^i-/, '').padEnd(32, '0'),
        operatingSystem: 'linux',
        osImage: 'Ubuntu 24.04.1 LTS',
        systemUUID: `ec2${uid(node.instanceId).slice(3)}`,
      },
    },
  };
}

/** A v1 Pod object. */
export function podObject(cluster: KubeCluster, pod: SimPod): Record<string, unknown> {
  const node = pod.nodeName ? cluster.nodes.get(pod.nodeName) : undefined;
  // Pods other than host-network ones need the CNI; all need a live kubelet.
  const hostNetwork = pod.kind === 'static' || pod.owner === 'kube-proxy' || pod.owner.startsWith('cilium') || pod.owner.startsWith('calico-node') || pod.owner === 'aws-node' || pod.owner.startsWith('aws-cloud');
  // A pod on a node marked unreachable keeps its last phase (Running) but is no longer Ready.
  const unreachable = node !== undefined && cluster.readyCondition(node).status === 'Unknown';
  const running = node !== undefined && !unreachable && (hostNetwork || cluster.isReady(node));
  const phase = running || unreachable ? 'Running' : 'Pending';
  const ownerKind = pod.kind === 'static' ? 'Node' : pod.kind === 'daemonset' ? 'DaemonSet' : 'ReplicaSet';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      uid: uid(`${pod.namespace}/${pod.name}`),
      creationTimestamp: iso(pod.createdAt),
      labels: pod.labels,
      // A static pod's API object is the kubelet's mirror of it: kubectl drain skips those.
      ...(pod.kind === 'static' ? { annotations: { 'kubernetes.io/config.mirror': uid(`${pod.nodeName}/${pod.owner}`).replace(/-/g, ''), 'kubernetes.io/config.source': 'file' } } : {}),
      ...(pod.kind === 'bare' ? {} : { ownerReferences: [{ apiVersion: ownerKind === 'Node' ? 'v1' : 'apps/v1', kind: ownerKind, name: pod.kind === 'static' ? pod.nodeName : ownerName(pod), uid: uid(`${ownerKind}/${pod.namespace}/${pod.owner}`), controller: true, blockOwnerDeletion: true }] }),
    },
    spec: {
      ...(pod.nodeName ? { nodeName: pod.nodeName } : {}),
      hostNetwork,
      containers: [{ name: pod.owner.replace(/-operator$/, ''), image: pod.image }],
      ...(pod.emptyDir ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {}),
    },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: running ? 'True' : 'False' }],
      ...(node ? { hostIP: node.internalIp, podIP: hostNetwork ? node.internalIp : undefined } : {}),
      containerStatuses: [{ name: pod.owner, image: pod.image, ready: running, restartCount: 0, started: running }],
    },
  };
}

/** A Deployment's pod-template hash (what its ReplicaSet and pods are named with): a new image, a new hash. */
export function templateHash(owner: string, image: string): string {
  return uid(`template/${owner}/${image}`).replace(/-/g, '').slice(0, 10);
}

/** A Deployment's pods belong to its current ReplicaSet, named after the pod-template hash. */
function ownerName(pod: SimPod): string {
  return pod.kind === 'deployment' ? `${pod.owner}-${templateHash(pod.owner, pod.image)}` : pod.owner;
}

/** `kind: List`, as `kubectl get -o json` prints. */
export function list(items: unknown[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/** A stable, UUID-shaped id derived from a seed, so repeated gets agree. */
export function uid(seed: string): string {
  let h = 2166136261;
  const parts: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const ch of `${round}${seed}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    parts.push(h.toString(16).padStart(8, '0'));
  }
  const hex = parts.join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** A /24 per node from the pod subnet, in join order (what the node IPAM controller does). */
function podCidr(cluster: KubeCluster, node: SimKubeNode): string {
  const index = [...cluster.nodes.keys()].indexOf(node.name);
  const [a, b] = (cluster.podSubnet ?? '10.244.0.0/16').split('.');
  return `${a}.${b}.${index}.0/24`;
}
