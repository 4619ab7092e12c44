/**
 * EnsurePrivateRouting: per zone, a route table sending 0.0.0.0/0 to that zone's NAT
 * gateway (or the single one), associated with the zone's private subnet. Public topology
 * has no private subnets and gets none; brought private subnets keep their own routing.
 * The zones side by side: a table just made is routed once EC2 knows it (a second or so),
 * and each zone's wait need not follow the last.
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
  const routed = input.subnets.filter((zone) => spec.topology !== 'public' && zone.privateSubnetId !== zone.utilitySubnetId && !isBroughtSubnet(spec, zone.privateSubnetId));
  // natMode single: every zone goes out through the one gateway (first zone's).
  const natOf = (zone: string) => input.natGateways.find((n) => n.zone === zone) ?? input.natGateways[0];
  const unrouted = routed.filter((zone) => !natOf(zone.zone)).map((zone) => `${zone.privateSubnetId} in ${zone.zone}`);
  if (unrouted.length > 0) throw new StepFailedError(`No NAT gateway for the private subnets ${unrouted.join(', ')}`);
  const routeTableIds = await Promise.all(
    routed.map(async (zone) => {
      const table = await ensureRouteTable(
        { spec, uid: record.uid, operationId: input.operationId, vpcId: input.vpcId, role: ROLES.privateRouteTable, zone: zone.zone },
        deps,
      );
      await ensureDefaultRoute(table, { natGatewayId: natOf(zone.zone)!.natGatewayId }, deps);
      await associateSubnets(table, [zone.privateSubnetId], deps);
      return table.RouteTableId!;
    }),
  );
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
