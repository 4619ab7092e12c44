/**
 * EnsurePrivateRouting: per zone, a route table sending 0.0.0.0/0 to that zone's NAT
 * gateway (or the single one), associated with the zone's private subnet. Public topology
 * has no private subnets and gets none; brought private subnets keep their own routing.
 */
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ROLES, isBroughtSubnet, subnetsSchema, type ZoneSubnets } from './common';
import { ROUTE_TABLE_WRITES, associateSubnets, ensureDefaultRoute, ensureRouteTable } from './routing';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { table } from '../../shared/aws/iam';

const natGatewaysSchema = z.array(z.object({ zone: z.string(), natGatewayId: z.string() }));

export const ensurePrivateRoutingInput = stepEnvelope.extend({
  vpcId: z.string(),
  subnets: subnetsSchema,
  natGateways: natGatewaysSchema,
});

export async function ensurePrivateRouting(
  input: {
    cluster: string;
    operationId: string;
    vpcId: string;
    subnets: ZoneSubnets[];
    natGateways: Array<{ zone: string; natGatewayId: string }>;
  },
  deps: StepDeps,
): Promise<{ routeTableIds: string[] }> {
  const { record, spec } = await loadCluster(deps, input.cluster);
  const routeTableIds: string[] = [];
  for (const zone of input.subnets) {
    const subnetId = zone.privateSubnetId;
    if (spec.topology === 'public' || subnetId === zone.utilitySubnetId || isBroughtSubnet(spec, subnetId)) continue;
    // natMode single: every zone goes out through the one gateway (first zone's).
    const nat = input.natGateways.find((n) => n.zone === zone.zone) ?? input.natGateways[0];
    if (!nat) throw new StepFailedError(`No NAT gateway for the private subnet ${subnetId} in ${zone.zone}`);
    const table = await ensureRouteTable(
      { spec, uid: record.uid, operationId: input.operationId, vpcId: input.vpcId, role: ROLES.privateRouteTable, zone: zone.zone },
      deps,
    );
    await ensureDefaultRoute(table, { natGatewayId: nat.natGatewayId }, deps);
    await associateSubnets(table, [subnetId], deps);
    routeTableIds.push(table.RouteTableId!);
  }
  return { routeTableIds };
}

export const step = defineStep({
  name: 'EnsurePrivateRouting',
  clients: [ec2Client],
  input: ensurePrivateRoutingInput,
  creates: ['RouteTable'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    ...ROUTE_TABLE_WRITES,
  ],
  run: ensurePrivateRouting,
});
export const { handler } = step;
