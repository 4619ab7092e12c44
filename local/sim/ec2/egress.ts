/**
 * Whether an instance reaches the internet — and with it AWS's public endpoints (Systems
 * Manager, STS, S3) and the image registries: its subnet's route table (its own association,
 * else the VPC's main table) sends 0.0.0.0/0 to an internet gateway attached to the VPC and
 * the instance has a public address, or to a NAT gateway that is available. An instance in a
 * private subnet before its NAT gateway is up has no way out: its SSM agent cannot register,
 * its `aws` CLI cannot connect and its image pulls time out, as on EC2.
 */
import type { SimState } from '../core/state';
import type { SimInstance, SimRouteTable } from '../core/types';

/** The route table a subnet uses: its explicit association, else its VPC's main table. */
export function routeTableOf(state: SimState, subnetId: string, vpcId: string): SimRouteTable | undefined {
  const tables = [...state.routeTables.values()].filter((t) => t.vpcId === vpcId);
  const main = state.vpcs.get(vpcId)?.mainRouteTableId;
  return tables.find((t) => t.associations.some((a) => a.subnetId === subnetId)) ?? tables.find((t) => t.id === main || t.main);
}

export function reachesInternet(state: SimState, inst: SimInstance): boolean {
  const subnet = inst.subnetId ? state.subnets.get(inst.subnetId) : undefined;
  if (!subnet) return false;
  const table = routeTableOf(state, subnet.id, subnet.vpcId);
  const route = table?.routes.find((r) => r.destinationCidrBlock === '0.0.0.0/0' && r.state === 'active');
  if (!route) return false;
  if (route.gatewayId?.startsWith('igw-')) {
    const igw = state.internetGateways.get(route.gatewayId);
    return igw?.vpcId === subnet.vpcId && !!inst.publicIpAddress;
  }
  if (route.natGatewayId) return state.natGateways.get(route.natGatewayId)?.state === 'available';
  return false;
}
