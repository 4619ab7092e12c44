/**
 * Route tables for the routing steps: find the one tagged for a role (and zone) or create
 * it with a ClientToken, make sure its default route points where it should, and
 * associate subnets. Each call looks first, so a rerun makes no change.
 */
import {
  AssociateRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  DescribeRouteTablesCommand,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { awsErrorCode } from '../../shared/aws/errors';
import { StepFailedError } from '../../shared/errors';
import type { ClusterSpec } from '../../shared/spec';
import { roleFilters } from '../../shared/tags';
import type { StepDeps } from '../lib/deps';
import { clientToken, resourceName, tagSpec, tagsFor } from './common';
import { allow, anywhere, arn, creating, ofCluster, unscoped, type IamStatement } from '../../shared/aws/iam';
import { onceVisible } from '../lib/once-visible';

export interface RouteTableWanted {
  spec: ClusterSpec;
  uid: string;
  operationId: string;
  vpcId: string;
  role: string;
  zone?: string;
}

/** The route table of a role (and zone): the tagged one, or a new one (ClientToken, tags). */
export async function ensureRouteTable(wanted: RouteTableWanted, deps: StepDeps): Promise<RouteTable> {
  const { spec, vpcId, role, zone } = wanted;
  const ec2 = deps.clients.ec2;
  const found = await ec2.send(
    new DescribeRouteTablesCommand({ Filters: [...roleFilters(spec.name, role, zone), { Name: 'vpc-id', Values: [vpcId] }] }),
  );
  let table = found.RouteTables?.[0];
  const name = resourceName(spec.name, role, zone);
  if (!table) {
    const created = await ec2.send(
      new CreateRouteTableCommand({
        VpcId: vpcId,
        ClientToken: clientToken(wanted.uid, wanted.operationId, role, zone),
        TagSpecifications: tagSpec('route-table', tagsFor(spec, role, name, zone)),
      }),
    );
    table = created.RouteTable!;
  }
  await deps.store.recordResource(spec.name, { type: 'route-table', id: table.RouteTableId!, zone, ownership: 'owned', name });
  return table;
}

/** The default route (0.0.0.0/0) to an internet gateway or a NAT gateway. */
export async function ensureDefaultRoute(
  table: RouteTable,
  target: { gatewayId: string } | { natGatewayId: string },
  deps: StepDeps,
): Promise<void> {
  const targetId = 'gatewayId' in target ? target.gatewayId : target.natGatewayId;
  const current = table.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
  if (current) {
    const currentTarget = current.GatewayId ?? current.NatGatewayId;
    if (currentTarget === targetId) return;
    throw new StepFailedError(`Route table ${table.RouteTableId} sends 0.0.0.0/0 to ${currentTarget}, not to ${targetId}`);
  }
  try {
    // The table may have been made a moment ago, in this very step.
    await onceVisible(() =>
      deps.clients.ec2.send(
        new CreateRouteCommand({
          RouteTableId: table.RouteTableId,
          DestinationCidrBlock: '0.0.0.0/0',
          ...('gatewayId' in target ? { GatewayId: target.gatewayId } : { NatGatewayId: target.natGatewayId }),
        }),
      ),
    );
  } catch (err) {
    // Created by a run whose answer was lost.
    if (awsErrorCode(err) !== 'RouteAlreadyExists') throw err;
  }
}

/** Associate subnets not associated yet; one already associated (here or elsewhere) is left alone. */
export async function associateSubnets(table: RouteTable, subnetIds: string[], deps: StepDeps): Promise<void> {
  const associated = new Set((table.Associations ?? []).map((a) => a.SubnetId));
  for (const subnetId of subnetIds) {
    if (associated.has(subnetId)) continue;
    try {
      await deps.clients.ec2.send(new AssociateRouteTableCommand({ RouteTableId: table.RouteTableId, SubnetId: subnetId }));
    } catch (err) {
      if (awsErrorCode(err) !== 'Resource.AlreadyAssociated') throw err;
    }
  }
}

/** What making route tables needs (found by tag, or created in the VPC and tagged at creation), and no more. */
export const ROUTE_TABLE_CREATES: IamStatement[] = [
  anywhere('ec2:DescribeRouteTables'),
  creating(['ec2:CreateRouteTable'], [arn('ec2', 'route-table/*'), arn('ec2', 'vpc/*')]),
  allow(['ec2:CreateTags'], [arn('ec2', 'route-table/*')], { StringEquals: { 'ec2:CreateAction': 'CreateRouteTable' } }),
];

/** What a routing step needs: route tables created (in the VPC), tagged, given routes and subnets. */
export const ROUTE_TABLE_WRITES: IamStatement[] = [
  ...ROUTE_TABLE_CREATES,
  ofCluster(['ec2:CreateRoute', 'ec2:AssociateRouteTable'], [arn('ec2', 'route-table/*')]),
  unscoped(
    "the subnet may be a brought one, which carries no Hopper tag; the route table it is given is the cluster's, by tag",
    allow(['ec2:AssociateRouteTable'], [arn('ec2', 'subnet/*')]),
  ),
];
