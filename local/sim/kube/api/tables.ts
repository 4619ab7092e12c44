/**
 * Server-side printing: the `Table` kubectl asks for (`Accept: application/json;as=Table;
 * v=v1;g=meta.k8s.io`) with the columns the real API server prints for each type (priority 1
 * columns appear with `-o wide`). Ages are measured on the simulated clock.
 */
import type { Obj } from './derived';
import type { ResourceType } from './resources';

interface Column {
  name: string;
  type?: 'string' | 'integer' | 'date';
  priority?: number;
  description?: string;
  cell: (o: Obj, now: number) => string | number;
}

/** Kubernetes' `duration.HumanDuration`: 45s, 3m20s, 4h10m, 5d3h, 2y10d. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  const y = Math.floor(h / 24 / 365);
  const d = Math.floor(h / 24) % 365;
  if (h < 24 * 365 * 8) return d === 0 ? `${y}y` : `${y}y${d}d`;
  return `${y}y`;
}

const NAME: Column = { name: 'Name', cell: (o) => o.metadata.name, description: 'Name must be unique within a namespace.' };
const AGE: Column = { name: 'Age', cell: (o, now) => humanDuration(now - Date.parse(o.metadata.creationTimestamp)), description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' };
const count = (v: unknown) => (typeof v === 'object' && v !== null ? Object.keys(v).length : 0);
/** A list field as a list, whatever a client stored there (a table must not fail on a bad object). */
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const orNone = (v: unknown) => (v === undefined || v === null || v === '' ? '<none>' : String(v));
const address = (o: Obj, type: string) => orNone(arr(o.status?.addresses).find((a) => a.type === type)?.address);

function nodeStatus(o: Obj): string {
  // kubectl prints NotReady for False and for Unknown alike.
  const ready = arr(o.status?.conditions).find((c) => c.type === 'Ready');
  const s = ready?.status === 'True' ? 'Ready' : 'NotReady';
  return o.spec?.unschedulable ? `${s},SchedulingDisabled` : s;
}

function nodeRoles(o: Obj): string {
  const roles = Object.keys(o.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length));
  return roles.length ? roles.sort().join(',') : '<none>';
}

const COLUMNS: Record<string, Column[]> = {
  nodes: [
    NAME,
    { name: 'Status', cell: nodeStatus, description: 'The status of the node' },
    { name: 'Roles', cell: nodeRoles, description: 'The roles of the node' },
    AGE,
    { name: 'Version', cell: (o) => o.status?.nodeInfo?.kubeletVersion ?? '', description: 'Kubelet Version reported by the node.' },
    { name: 'Internal-IP', priority: 1, cell: (o) => address(o, 'InternalIP'), description: 'List of addresses reachable to the node.' },
    { name: 'External-IP', priority: 1, cell: (o) => address(o, 'ExternalIP'), description: 'List of addresses reachable to the node.' },
    { name: 'OS-Image', priority: 1, cell: (o) => o.status?.nodeInfo?.osImage ?? '', description: 'OS Image reported by the node.' },
    { name: 'Kernel-Version', priority: 1, cell: (o) => o.status?.nodeInfo?.kernelVersion ?? '', description: 'Kernel Version reported by the node.' },
    { name: 'Container-Runtime', priority: 1, cell: (o) => o.status?.nodeInfo?.containerRuntimeVersion ?? '', description: 'Container Runtime Version reported by the node.' },
  ],
  pods: [
    NAME,
    { name: 'Ready', cell: (o) => `${arr(o.status?.containerStatuses).filter((c) => c.ready).length}/${arr(o.spec?.containers).length}`, description: 'The aggregate readiness state of this pod for accepting traffic.' },
    { name: 'Status', cell: (o) => o.status?.phase ?? '', description: 'The aggregate status of the containers in this pod.' },
    { name: 'Restarts', type: 'string', cell: (o) => String(arr(o.status?.containerStatuses).reduce((n, c) => n + Number(c.restartCount ?? 0), 0)), description: 'The number of times the containers in this pod have been restarted.' },
    AGE,
    { name: 'IP', priority: 1, cell: (o) => orNone(o.status?.podIP), description: 'IP address allocated to the pod.' },
    { name: 'Node', priority: 1, cell: (o) => orNone(o.spec?.nodeName), description: 'Name of the node this pod is scheduled to.' },
    { name: 'Nominated Node', priority: 1, cell: () => '<none>', description: 'Name of the node where this pod is nominated to run.' },
    { name: 'Readiness Gates', priority: 1, cell: () => '<none>', description: 'Pod readiness gates.' },
  ],
  namespaces: [NAME, { name: 'Status', cell: (o) => o.status?.phase ?? 'Active', description: 'The status of the namespace' }, AGE],
  configmaps: [NAME, { name: 'Data', type: 'integer', cell: (o) => count(o.data) + count(o.binaryData), description: 'Number of entries.' }, AGE],
  secrets: [NAME, { name: 'Type', cell: (o) => o.type ?? 'Opaque', description: 'The type of the secret' }, { name: 'Data', type: 'integer', cell: (o) => count(o.data), description: 'Number of entries.' }, AGE],
  services: [
    NAME,
    { name: 'Type', cell: (o) => o.spec?.type ?? 'ClusterIP', description: 'The type of the service.' },
    { name: 'Cluster-IP', cell: (o) => orNone(o.spec?.clusterIP), description: 'The cluster IP of the service.' },
    { name: 'External-IP', cell: () => '<none>', description: 'The external IP of the service.' },
    { name: 'Port(s)', cell: (o) => arr(o.spec?.ports).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',') || '<none>', description: 'The ports the service listens on.' },
    AGE,
    { name: 'Selector', priority: 1, cell: (o) => Object.entries((o.spec?.selector ?? {}) as Obj).map(([k, v]) => `${k}=${String(v)}`).join(',') || '<none>', description: 'The selector of the service.' },
  ],
  events: [
    { name: 'Last Seen', cell: (o, now) => humanDuration(now - Date.parse(o.lastTimestamp ?? o.metadata.creationTimestamp)), description: 'Time since the event was last seen.' },
    { name: 'Type', cell: (o) => o.type ?? 'Normal', description: 'Type of the event.' },
    { name: 'Reason', cell: (o) => o.reason ?? '', description: 'Reason for the event.' },
    { name: 'Object', cell: (o) => `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}`, description: 'The object the event is about.' },
    { name: 'Message', cell: (o) => o.message ?? '', description: 'The event message.' },
  ],
  deployments: [
    NAME,
    { name: 'Ready', cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`, description: 'Number of the pod with ready state' },
    { name: 'Up-to-date', type: 'integer', cell: (o) => o.status?.updatedReplicas ?? 0, description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.' },
    { name: 'Available', type: 'integer', cell: (o) => o.status?.availableReplicas ?? 0, description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.' },
    AGE,
  ],
  daemonsets: [
    NAME,
    ...(['Desired', 'Current', 'Ready', 'Up-to-date', 'Available'] as const).map((name): Column => ({
      name,
      type: 'integer',
      cell: (o) => Number(o.status?.[{ Desired: 'desiredNumberScheduled', Current: 'currentNumberScheduled', Ready: 'numberReady', 'Up-to-date': 'updatedNumberScheduled', Available: 'numberAvailable' }[name]] ?? 0),
      description: `The ${name.toLowerCase()} number of scheduled daemon pods.`,
    })),
    { name: 'Node Selector', cell: (o) => Object.entries((o.spec?.template?.spec?.nodeSelector ?? {}) as Obj).map(([k, v]) => `${k}=${String(v)}`).join(',') || '<none>', description: 'The node selector of the pods.' },
    AGE,
  ],
  leases: [NAME, { name: 'Holder', cell: (o) => o.spec?.holderIdentity ?? '', description: 'The holder of the lease.' }, AGE],
};

/** A `meta.k8s.io/v1` Table of `items`; each row carries the object, or its metadata only. */
export function table(t: ResourceType, items: Obj[], resourceVersion: string, now: number, includeObject: string | null): Obj {
  const columns = COLUMNS[t.plural] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({ name: c.name, type: c.type ?? 'string', format: c.name === 'Name' ? 'name' : '', description: c.description ?? '', priority: c.priority ?? 0 })),
    rows: items.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      object: includeObject === 'Object' ? o : includeObject === 'None' ? undefined : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
