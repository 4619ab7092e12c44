/**
 * EnsurePrivateRouteTables: each zone's private route table, made while the subnets are (a
 * route table needs only the VPC). EnsurePrivateRouting, once the zone's NAT gateway is
 * available, finds it by its tags, adds the default route and associates the private
 * subnet: by then EC2 knows the table, so the route — between the NAT gateway and the
 * control plane's SSM agent, on the critical path — is not held up by a retry. Public
 * topology and brought private subnets get none (as in EnsurePrivateRouting).
 */
import * as z from 'zod';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { table } from '../../shared/aws/iam';
import { ROLES } from './common';
import { ROUTE_TABLE_CREATES, ensureRouteTable } from './routing';

export const ensurePrivateRouteTablesInput = stepEnvelope.extend({ vpcId: z.string(), zones: z.array(z.string()) });

export async function ensurePrivateRouteTables(
  input: { cluster: string; operationId: string; vpcId: string; zones: string[] },
  deps: StepDeps,
): Promise<{ routeTableIds: string[] }> {
  const { record, spec } = await loadCluster(deps, input.cluster);
  const routeTableIds: string[] = [];
  if (spec.topology === 'public') return { routeTableIds };
  for (const zone of input.zones) {
    if (spec.subnets.some((s) => s.zone === zone && s.type === 'private' && s.id)) continue;
    const made = await ensureRouteTable(
      { spec, uid: record.uid, operationId: input.operationId, vpcId: input.vpcId, role: ROLES.privateRouteTable, zone },
      deps,
    );
    routeTableIds.push(made.RouteTableId!);
  }
  return { routeTableIds };
}

export const step = defineStep({
  name: 'EnsurePrivateRouteTables',
  describeActivity: (i) => `making the private route tables (${i.zones.join(', ')})`,
  clients: [ec2Client],
  input: ensurePrivateRouteTablesInput,
  creates: ['RouteTable'],
  permissions: [table('GetItem', 'PutItem', 'UpdateItem'), ...ROUTE_TABLE_CREATES],
  run: ensurePrivateRouteTables,
});
export const { handler } = step;
