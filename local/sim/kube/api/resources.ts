/**
 * The resource types the simulated API server serves, and the discovery documents built
 * from them (`/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`), in the legacy
 * (unaggregated) form every client understands.
 */

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  /** The URL segment: `nodes`. */
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
}

const ALL = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const READ = ['get', 'list', 'watch'];

const type = (group: string, plural: string, kind: string, namespaced: boolean, shortNames: string[] = [], verbs = ALL): ResourceType => ({
  group,
  version: 'v1',
  plural,
  singular: kind.toLowerCase(),
  kind,
  namespaced,
  shortNames,
  verbs,
});

export const RESOURCE_TYPES: ResourceType[] = [
  type('', 'namespaces', 'Namespace', false, ['ns'], ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']),
  type('', 'nodes', 'Node', false, ['no'], ['delete', 'get', 'list', 'patch', 'update', 'watch']),
  type('', 'pods', 'Pod', true, ['po']),
  type('', 'configmaps', 'ConfigMap', true, ['cm']),
  type('', 'secrets', 'Secret', true),
  type('', 'services', 'Service', true, ['svc']),
  type('', 'events', 'Event', true, ['ev']),
  type('apps', 'deployments', 'Deployment', true, ['deploy']),
  type('apps', 'daemonsets', 'DaemonSet', true, ['ds'], READ),
  type('coordination.k8s.io', 'leases', 'Lease', true),
  // Kept as given: evictions here meet the budget the simulation's faults set (refuseEviction).
  type('policy', 'poddisruptionbudgets', 'PodDisruptionBudget', true, ['pdb']),
];

/** Subresources listed in discovery: kubectl drain looks for `pods/eviction` to evict rather than delete. */
const SUBRESOURCES: Record<string, { name: string; kind: string; namespaced: boolean; group?: string; version?: string; verbs: string[] }[]> = {
  '/v1': [
    { name: 'pods/eviction', kind: 'Eviction', namespaced: true, group: 'policy', version: 'v1', verbs: ['create'] },
    { name: 'nodes/status', kind: 'Node', namespaced: false, verbs: ['get', 'patch', 'update'] },
    { name: 'pods/status', kind: 'Pod', namespaced: true, verbs: ['get', 'patch', 'update'] },
  ],
};

/** Group versions served, the core group first. */
export const GROUP_VERSIONS = ['/v1', 'apps/v1', 'coordination.k8s.io/v1', 'policy/v1'];

export const apiVersionOf = (t: Pick<ResourceType, 'group' | 'version'>): string => (t.group ? `${t.group}/${t.version}` : t.version);

export function findType(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

/** What a name on kubectl's command line means is the client's business; the server knows plural names only. */
export function resourceList(group: string, version: string): Record<string, unknown> | undefined {
  const key = `${group}/${version}`;
  if (!GROUP_VERSIONS.includes(key)) return undefined;
  const resources = [
    ...RESOURCE_TYPES.filter((t) => t.group === group && t.version === version).map((t) => ({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    })),
    ...(SUBRESOURCES[key] ?? []).map((s) => ({ name: s.name, singularName: '', namespaced: s.namespaced, kind: s.kind, verbs: s.verbs, ...(s.group ? { group: s.group, version: s.version } : {}) })),
  ];
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? key : version, resources };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(name: string): Record<string, unknown> {
  const versions = GROUP_VERSIONS.filter((gv) => gv.startsWith(`${name}/`)).map((gv) => ({ groupVersion: gv, version: gv.split('/')[1] }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(): Record<string, unknown> {
  const names = [...new Set(GROUP_VERSIONS.filter((gv) => !gv.startsWith('/')).map((gv) => gv.split('/')[0]))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: names.map((n) => { const g = apiGroup(n); delete g.kind; delete g.apiVersion; return g; }) };
}

export function apiGroupDoc(name: string): Record<string, unknown> | undefined {
  return GROUP_VERSIONS.some((gv) => gv.startsWith(`${name}/`)) && name ? apiGroup(name) : undefined;
}
