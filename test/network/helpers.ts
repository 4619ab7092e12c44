/** Helpers for the network step tests: run the steps in workflow order, and compare the cloud's contents. */
import type { StepEnv } from '../helpers/step-env';
import { ensureVpc } from '../../functions/network/ensure-vpc';
import { ensureInternetGateway } from '../../functions/network/ensure-internet-gateway';
import { ensureZoneSubnets } from '../../functions/network/ensure-zone-subnets';
import { ensurePublicRouting } from '../../functions/network/ensure-public-routing';
import { ensureNatAddresses } from '../../functions/network/ensure-nat-addresses';
import { ensureNatGateway } from '../../functions/network/ensure-nat-gateway';
import { ensurePrivateRouting } from '../../functions/network/ensure-private-routing';
import { ensureSecurityGroups } from '../../functions/network/ensure-security-groups';
import type { ZoneSubnets } from '../../functions/network/common';

type SimResource = { id: string; tags?: Record<string, string> } & Record<string, unknown>;

/** Ids of everything the simulator holds, per kind (states change with time; ids must not). */
export async function resourceIds(env: StepEnv): Promise<Record<string, string[]>> {
  const all = await env.resources();
  const out: Record<string, string[]> = {};
  for (const [kind, items] of Object.entries(all)) {
    if (Array.isArray(items)) out[kind] = (items as SimResource[]).map((r) => r.id).sort();
  }
  return out;
}

/** The simulator's resources of one kind. */
export async function simList(env: StepEnv, kind: string): Promise<SimResource[]> {
  return ((await env.resources())[kind] ?? []) as SimResource[];
}

export interface NetworkResult {
  vpcId: string;
  internetGatewayId: string;
  subnets: ZoneSubnets[];
  routeTableId: string;
  natGateways: Array<{ zone: string; natGatewayId: string }>;
  privateRouteTableIds: string[];
  securityGroups: Awaited<ReturnType<typeof ensureSecurityGroups>>;
}

/** The network part of create-cluster, in the state machine's order, with `natZones` as beginWorkflow computes them. */
export async function runNetwork(
  env: StepEnv,
  cluster: string,
  operationId: string,
  natZones: string[],
  options: { natAndAfter?: boolean } = {},
): Promise<NetworkResult> {
  const deps = env.deps;
  const base = { cluster, operationId };
  const { vpcId } = await ensureVpc(base, deps);
  const record = await deps.store.requireCluster(cluster);
  const zones = (record.spec as { zones: string[] }).zones;
  // Foundation: the NAT gateways' addresses, made before the subnets (EnsureNatGateway finds
  // them by their tags).
  await ensureNatAddresses({ ...base, zones: natZones }, deps);
  const { internetGatewayId } = await ensureInternetGateway({ ...base, vpcId }, deps);
  const subnets: ZoneSubnets[] = [];
  for (const zone of zones) subnets.push(await ensureZoneSubnets({ ...base, vpcId, zone }, deps));
  const { routeTableId } = await ensurePublicRouting({ ...base, vpcId, internetGatewayId, subnets }, deps);
  if (options.natAndAfter === false) {
    return { vpcId, internetGatewayId, subnets, routeTableId, natGateways: [], privateRouteTableIds: [], securityGroups: { controlPlane: '', nodes: '' } };
  }
  const natGateways = [];
  for (const zone of natZones) {
    const nat = await ensureNatGateway({ ...base, zone, subnets }, deps);
    natGateways.push({ zone, natGatewayId: nat.natGatewayId });
  }
  const { routeTableIds } = await ensurePrivateRouting({ ...base, vpcId, subnets, natGateways }, deps);
  const securityGroups = await ensureSecurityGroups({ ...base, vpcId }, deps);
  return { vpcId, internetGatewayId, subnets, routeTableId, natGateways, privateRouteTableIds: routeTableIds, securityGroups };
}
