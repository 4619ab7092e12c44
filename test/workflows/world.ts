/** Reading the simulated world after a workflow: the cluster's resources by kind, and its Kubernetes. */
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
