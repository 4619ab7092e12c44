/**
 * EnsurePublicRouting: one route table sending 0.0.0.0/0 to the internet gateway,
 * associated with every utility (or public) subnet Hopper created, and public addresses for
 * the instances launched in them (bastion, public-topology machines). Brought subnets keep
 * the routing and addressing their owner gave them.
 */
import * as z from 'zod';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ROLES, isBroughtSubnet, subnetsSchema, type ZoneSubnets } from './common';
import { ROUTE_TABLE_WRITES, associateSubnets, ensureDefaultRoute, ensureRouteTable } from './routing';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { arn, ofCluster, table } from '../../shared/aws/iam';
import { ModifySubnetAttributeCommand } from '@aws-sdk/client-ec2';
import { onceVisible } from '../lib/once-visible';

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
  const ours = input.subnets.map((s) => s.utilitySubnetId).filter((id) => !isBroughtSubnet(spec, id));
  const routed = async () => {
    const table = await ensureRouteTable(
      { spec, uid: record.uid, operationId: input.operationId, vpcId: input.vpcId, role: ROLES.publicRouteTable },
      deps,
    );
    await ensureDefaultRoute(table, { gatewayId: input.internetGatewayId }, deps);
    await associateSubnets(table, ours, deps);
    return table.RouteTableId!;
  };
  // Setting it again changes nothing: a rerun needs no look first. The subnets may be seconds old.
  const addressed = (subnetId: string) =>
    onceVisible(() => deps.clients.ec2.send(new ModifySubnetAttributeCommand({ SubnetId: subnetId, MapPublicIpOnLaunch: { Value: true } })));
  const [routeTableId] = await Promise.all([routed(), ...ours.map(addressed)]);
  return { routeTableId };
}

export const step = defineStep({
  name: 'EnsurePublicRouting',
  clients: [ec2Client],
  input: ensurePublicRoutingInput,
  creates: ['RouteTable'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    ...ROUTE_TABLE_WRITES,
    ofCluster(['ec2:ModifySubnetAttribute'], [arn('ec2', 'subnet/*')]),
  ],
  run: ensurePublicRouting,
});
export const { handler } = step;
