/** What the upgrade steps share: the versions involved and the network the bake needs. */
import type { StepDeps } from '../lib/deps';
import type { ZoneSubnets } from '../network/common';

/** The cluster's subnets per zone from the inventory, in the shape resolveImage takes. */
export async function recordedSubnets(deps: StepDeps, cluster: string, zones: string[]): Promise<{ vpcId: string; subnets: ZoneSubnets[] }> {
  const resources = await deps.store.listResources(cluster);
  const vpcId = resources.find((r) => r.type === 'vpc')?.id ?? '';
  const subnets: ZoneSubnets[] = [];
  for (const zone of zones) {
    const inZone = resources.filter((r) => r.type === 'subnet' && r.zone === zone);
    const utility = inZone.find((r) => r.attrs?.role === 'utility' || r.attrs?.role === 'public') ?? inZone[0];
    const priv = inZone.find((r) => r.attrs?.role === 'private') ?? utility;
    if (utility && priv) subnets.push({ zone, utilitySubnetId: utility.id, privateSubnetId: priv.id });
  }
  return { vpcId, subnets };
}
