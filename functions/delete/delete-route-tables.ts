/**
 * DeleteRouteTables (pass 5): disassociate each of the cluster's route tables from its
 * subnets (brought subnets fall back to their VPC's main table, as before the cluster), then
 * delete it. A main route table is never touched: it goes with its VPC.
 */
import { DeleteRouteTableCommand, DescribeRouteTablesCommand, DisassociateRouteTableCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, forget, passInput, type DeleteSummary } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, ofCluster, table, unscoped } from '../../shared/aws/iam';

export const deleteRouteTablesInput = passInput({ routeTables: z.array(z.string()) });

export async function deleteRouteTables(input: z.infer<typeof deleteRouteTablesInput>, deps: StepDeps): Promise<DeleteSummary> {
  const ec2 = deps.clients.ec2;
  if (input.routeTables.length === 0) return { deleted: 0 };
  const out = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route-table-id', Values: input.routeTables }] }));
  const tables = new Map((out.RouteTables ?? []).map((t) => [t.RouteTableId!, t]));
  const ids: string[] = [];
  for (const id of input.routeTables) {
    const table = tables.get(id);
    if (table?.Associations?.some((a) => a.Main)) {
      // A VPC's main table: never deleted by itself.
      await forget(deps, input.cluster, 'routeTables', id);
      continue;
    }
    for (const a of table?.Associations ?? []) {
      if (!a.RouteTableAssociationId) continue;
      try {
        await ec2.send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId }));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    ids.push(id);
  }
  return deleteEach(deps, input.cluster, 'routeTables', ids, (id) => ec2.send(new DeleteRouteTableCommand({ RouteTableId: id })));
}

export const step = defineStep({
  name: 'DeleteRouteTables',
  clients: [ec2Client],
  input: deleteRouteTablesInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    anywhere('ec2:DescribeRouteTables'),
    ofCluster(['ec2:DisassociateRouteTable'], [arn('ec2', 'route-table/*')]),
    unscoped('the subnet may be a brought one, which carries no Hopper tag; the route table it leaves is the cluster\'s, by tag', allow(['ec2:DisassociateRouteTable'], [arn('ec2', 'subnet/*')])),
    allow(['ec2:DeleteRouteTable'], [arn('ec2', 'route-table/*')], { StringLike: { 'ec2:ResourceTag/hopper:cluster': '?*' } }),
  ],
  run: deleteRouteTables,
});
export const { handler } = step;
