/**
 * What a finished stage of a create made, in a few words and with its ids, from the
 * cluster's resource inventory: `VPC vpc-0ab…, 4 subnets, NAT nat-0cd…, load balancer demo-api`.
 * Only for the stages whose resources the inventory holds; undefined for the others.
 */
import type { ClusterView } from '../../shared/api/types';

type Resource = ClusterView['resources'][number];

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const ids = (what: string, list: Resource[], shown = 3): string | undefined => {
  if (list.length === 0) return undefined;
  // What the cluster brought (a VPC, NAT gateways) is named too, marked as not made here.
  const names = list.slice(0, shown).map((r) => `${r.name && r.type === 'load-balancer' ? r.name : r.id}${r.ownership === 'shared' ? ' (brought)' : ''}`);
  return `${what} ${names.join(', ')}${list.length > shown ? ` and ${list.length - shown} more` : ''}`;
};

const SUMMARIES: Record<string, (resources: Resource[]) => string[]> = {
  Network: (r) => {
    const of = (type: string) => r.filter((x) => x.type === type);
    const subnets = of('subnet');
    return [
      ids('VPC', of('vpc')),
      subnets.length ? count(subnets.length, 'subnet') : undefined,
      ids(of('nat-gateway').length > 1 ? 'NATs' : 'NAT', of('nat-gateway')),
      ids('load balancer', of('load-balancer')),
      ids('bastion', r.filter((x) => x.type === 'instance' && x.role === 'bastion')),
    ].filter((s): s is string => s !== undefined);
  },
  ControlPlane: (r) => [ids('control plane', r.filter((x) => x.type === 'instance' && x.role === 'control-plane'))].filter((s): s is string => s !== undefined),
  Nodes: (r) => [ids('groups', r.filter((x) => x.type === 'autoscaling-group'))].filter((s): s is string => s !== undefined),
};

/** The stages a summary exists for. */
export const SUMMARISED_STAGES = new Set(Object.keys(SUMMARIES));

export function stageSummary(stage: string, resources: Resource[]): string | undefined {
  const parts = SUMMARIES[stage]?.(resources) ?? [];
  return parts.length ? parts.join(', ') : undefined;
}
