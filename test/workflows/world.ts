/** Reading the simulated world after a workflow: the cluster's resources by kind, and its Kubernetes. */
import type { OperationView } from '../../shared/api/types';
import type { TestControlPlane } from '../helpers/embedded';

export type SimResource = { id: string; tags: Record<string, string>; state?: string | { name?: string }; [k: string]: unknown };

/** Resources tagged for `cluster` (owned or shared), by kind; terminated/deleted ones left out. */
export async function clusterResources(cp: TestControlPlane, cluster: string): Promise<Record<string, SimResource[]>> {
  const all = (await cp.simResources()) as unknown as Record<string, SimResource[]>;
  const out: Record<string, SimResource[]> = {};
  for (const [kind, list] of Object.entries(all)) {
    if (!Array.isArray(list)) continue;
    const mine = list.filter((r) => r.tags && r.tags[`kubernetes.io/cluster/${cluster}`] !== undefined && !isGone(r));
    if (mine.length > 0) out[kind] = mine;
  }
  return out;
}

function isGone(r: SimResource): boolean {
  const state = typeof r.state === 'string' ? r.state : r.state?.name;
  return state === 'terminated' || state === 'deleted' || state === 'deregistered' || state === 'shutting-down';
}

/** Counts per kind, for "exactly one of each" assertions. */
export function countByKind(resources: Record<string, SimResource[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, v.length]));
}

interface KubeNode {
  name: string;
  ready?: boolean;
  role?: string;
  [k: string]: unknown;
}

/** The simulated Kubernetes cluster whose nodes belong to `cluster`'s instances. */
export async function kubernetesNodes(cp: TestControlPlane): Promise<KubeNode[]> {
  const body = (await (await fetch(`${cp.cloud}/_sim/kubernetes`)).json()) as { clusters: Array<{ nodes: KubeNode[] }> };
  return body.clusters.flatMap((c) => c.nodes);
}

/** The simulator's resource kinds and the inventory type Hopper records each under. */
export const INVENTORY_TYPE: Record<string, string> = {
  vpcs: 'vpc',
  subnets: 'subnet',
  internetGateways: 'internet-gateway',
  addresses: 'elastic-ip',
  natGateways: 'nat-gateway',
  routeTables: 'route-table',
  securityGroups: 'security-group',
  launchTemplates: 'launch-template',
  instances: 'instance',
  autoScalingGroups: 'autoscaling-group',
  loadBalancers: 'load-balancer',
  targetGroups: 'target-group',
  listeners: 'listener',
  images: 'image',
  volumes: 'volume',
};

export interface InventoryRecord {
  type: string;
  id: string;
  ownership: 'owned' | 'shared';
  zone?: string;
  name?: string;
}

/** The inventory, as `GET /v1/clusters/{name}` shows it. */
export async function inventory(cp: TestControlPlane, cluster: string): Promise<InventoryRecord[]> {
  const res = await cp.request<{ resources?: InventoryRecord[] }>('GET', `/v1/clusters/${cluster}`);
  if (res.status !== 200) throw new Error(`GET /v1/clusters/${cluster}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.resources ?? [];
}

/**
 * The tag scan against the inventory: `unknown` lists live resources tagged for the cluster
 * that the inventory does not hold (a leak a crash could cause); `missing` lists owned
 * inventory records of a simulated kind whose resource the simulator never had.
 */
export async function inventoryGaps(cp: TestControlPlane, cluster: string): Promise<{ unknown: string[]; missing: string[] }> {
  const records = await inventory(cp, cluster);
  const known = new Set(records.map((r) => `${r.type}:${r.id}`));
  const tagged = await clusterResources(cp, cluster);
  const unknown: string[] = [];
  for (const [kind, list] of Object.entries(tagged)) {
    for (const r of list) {
      if (known.has(`${INVENTORY_TYPE[kind] ?? kind}:${r.id}`)) continue;
      // A group's instances are the group's: known through it, as the delete finds them.
      const group = kind === 'instances' ? r.tags['aws:autoscaling:groupName'] : undefined;
      if (group && known.has(`autoscaling-group:${group}`)) continue;
      unknown.push(`${kind}:${r.id} ${r.tags.Name ?? ''}`);
    }
  }
  const all = (await cp.simResources()) as unknown as Record<string, SimResource[]>;
  const exists = new Set<string>();
  for (const [kind, list] of Object.entries(all)) if (Array.isArray(list) && INVENTORY_TYPE[kind]) for (const r of list) exists.add(`${INVENTORY_TYPE[kind]}:${r.id}`);
  const simulated = new Set(Object.values(INVENTORY_TYPE));
  const missing = records.filter((r) => r.ownership === 'owned' && simulated.has(r.type) && !exists.has(`${r.type}:${r.id}`)).map((r) => `${r.type}:${r.id}`);
  return { unknown, missing };
}

/** Live resources tagged `owned` for the cluster, as `kind:id` (what a delete must leave none of). */
export async function ownedLeft(cp: TestControlPlane, cluster: string): Promise<string[]> {
  const tagged = await clusterResources(cp, cluster);
  return Object.entries(tagged).flatMap(([kind, list]) =>
    list.filter((r) => r.tags[`kubernetes.io/cluster/${cluster}`] === 'owned').map((r) => `${kind}:${r.id} ${r.tags.Name ?? ''}`),
  );
}

/** Resources carrying any Hopper tag for the cluster (`kubernetes.io/cluster/<name>`, `hopper:cluster`). */
export async function anyTagged(cp: TestControlPlane, cluster: string): Promise<string[]> {
  const all = (await cp.simResources()) as unknown as Record<string, SimResource[]>;
  const out: string[] = [];
  for (const [kind, list] of Object.entries(all)) {
    if (!Array.isArray(list)) continue;
    for (const r of list) {
      if (isGone(r) || !r.tags) continue;
      if (r.tags[`kubernetes.io/cluster/${cluster}`] !== undefined || r.tags['hopper:cluster'] === cluster) out.push(`${kind}:${r.id}`);
    }
  }
  return out;
}

/** POST a spec and wait for the create to end (any end). */
/** The HA scenario: private topology over three zones, three control planes, a bastion reachable from one CIDR. */
export function haPrivateWithBastion(name: string): Record<string, unknown> {
  return {
    name,
    region: 'us-east-1',
    zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    controlPlane: { count: 3 },
    bastion: { enabled: true },
    sshAccessCidrs: ['203.0.113.0/24'],
  };
}

export async function createAndWait(cp: TestControlPlane, spec: Record<string, unknown>, timeoutMs = 120_000): Promise<OperationView> {
  const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', spec);
  if (res.status !== 202) throw new Error(`POST /v1/clusters: ${res.status} ${JSON.stringify(res.body)}`);
  return cp.waitForOperation(res.body.operation.id, timeoutMs);
}

/** DELETE a cluster and wait for the delete to end. */
export async function deleteAndWait(cp: TestControlPlane, cluster: string, timeoutMs = 120_000): Promise<OperationView> {
  for (const deadline = Date.now() + 60_000; ; ) {
    const res = await cp.request<{ operation: { id: string }; error?: { details?: Array<{ waitingFor?: string[] }> } }>('DELETE', `/v1/clusters/${cluster}`);
    if (res.status === 202) return cp.waitForOperation(res.body.operation.id, timeoutMs);
    // A create that has failed holds the cluster until its steps still running return: ask again, as the CLI does.
    const ending = res.status === 409 && (res.body.error?.details?.[0]?.waitingFor?.length ?? 0) > 0;
    if (!ending || Date.now() > deadline) throw new Error(`DELETE /v1/clusters/${cluster}: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Run `fn` with HOPPER_FAULT_CRASH_AFTER_SIDE_EFFECT set, restoring the variable after. */
export async function withCrashes<T>(which: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env.HOPPER_FAULT_CRASH_AFTER_SIDE_EFFECT;
  process.env.HOPPER_FAULT_CRASH_AFTER_SIDE_EFFECT = which;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.HOPPER_FAULT_CRASH_AFTER_SIDE_EFFECT;
    else process.env.HOPPER_FAULT_CRASH_AFTER_SIDE_EFFECT = before;
  }
}
