/**
 * EnsurePublicRouting: one route table sending 0.0.0.0/0 to the internet gateway,
 * associated with every utility (or public) subnet Hopper created. Brought subnets keep
 * the routing their owner gave them.
 */
import * as z from 'zod';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ROLES, isBroughtSubnet, subnetsSchema, type ZoneSubnets } from './common';
import { ROUTE_TABLE_WRITES, associateSubnets, ensureDefaultRoute, ensureRouteTable } from './routing';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { table } from '../../shared/aws/iam';

export const ensurePublicRoutingInput = stepEnvelope.extend({
  vpcId: z.string(),
  internetGatewayId: z.string(),
  subnets: subnetsSchema,
});

export async function ensurePublicRouting(
  input: { cluster: string; operationId: string; vpcId: string; internetGatewayId: string; subnets: ZoneSubnets[] },
  deps: StepDeps,
): Promise<{ routeTableId: string }> {
  const { record, spec } = await loadCluster(deps, input.cluster);
  const table = await ensureRouteTable(
    { spec, uid: record.uid, operationId: input.operationId, vpcId: input.vpcId, role: ROLES.publicRouteTable },
    deps,
  );
  await ensureDefaultRoute(table, { gatewayId: input.internetGatewayId }, deps);
  const ours = input.subnets.map((s) => s.utilitySubnetId).filter((id) => !isBroughtSubnet(spec, id));
  await associateSubnets(table, ours, deps);
  return { routeTableId: table.RouteTableId! };
}

export const step = defineStep({
  name: 'EnsurePublicRouting',
  clients: [ec2Client],
  input: ensurePublicRoutingInput,
  creates: ['RouteTable'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    ...ROUTE_TABLE_WRITES,
  ],
  run: ensurePublicRouting,
});
export const { handler } = step;
