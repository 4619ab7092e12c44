/**
 * EnsureNatGateway: the NAT gateway of a zone (every zone, or the first one when natMode
 * is `single`) in the zone's utility subnet, with its own Elastic IP. A brought NAT
 * gateway is used as it is. Returns at once; CheckNatGateway waits for `available`.
 */
import { CreateNatGatewayCommand, DescribeNatGatewaysCommand, type NatGateway } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import { roleFilters } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ROLES, clientToken, resourceName, subnetsSchema, tagSpec, tagsFor, type ZoneSubnets } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ensureNatAddress, NAT_ADDRESS_WRITES } from './nat-addresses';
import { allow, anywhere, arn, creating, table } from '../../shared/aws/iam';
import { onceVisible } from '../lib/once-visible';

export const ensureNatGatewayInput = stepEnvelope.extend({ zone: z.string(), subnets: subnetsSchema });

export interface NatGatewayOutput {
  natGatewayId: string;
  state: string;
}

/** States of a NAT gateway that still is (or will be) one: a failed or deleted one is not adopted. */
const LIVE_STATES = ['pending', 'available'];

export async function ensureNatGateway(
  input: { cluster: string; operationId: string; zone: string; subnets: ZoneSubnets[] },
  deps: StepDeps,
): Promise<NatGatewayOutput> {
  const { record, spec } = await loadCluster(deps, input.cluster);
  const ec2 = deps.clients.ec2;

  const brought = spec.natGateways.find((n) => n.zone === input.zone);
  if (brought) {
    const out = await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [brought.id] }));
    const nat = out.NatGateways?.[0];
    if (!nat) throw new StepFailedError(`The NAT gateway ${brought.id} given for ${input.zone} does not exist`);
    await deps.store.recordResource(spec.name, { type: 'nat-gateway', id: brought.id, zone: input.zone, ownership: 'shared' });
    return { natGatewayId: brought.id, state: nat.State ?? 'pending' };
  }

  const subnetId = input.subnets.find((s) => s.zone === input.zone)?.utilitySubnetId;
  if (!subnetId) throw new StepFailedError(`No utility subnet in ${input.zone} for its NAT gateway`);

  // The gateway (a rerun finds it) and the inventory (the address EnsureNatAddresses recorded) side by side.
  const [found, inventory] = await Promise.all([
    ec2.send(
      new DescribeNatGatewaysCommand({
        Filter: [...roleFilters(spec.name, ROLES.natGateway, input.zone), { Name: 'state', Values: LIVE_STATES }],
      }),
    ),
    deps.store.listResources(spec.name),
  ]);
  let nat: NatGateway | undefined = found.NatGateways?.[0];
  const name = resourceName(spec.name, ROLES.natGateway, input.zone);
  if (!nat) {
    // Allocated early (EnsureNatAddresses) so EC2 knows it by now; made here if that was lost.
    const allocationId = await ensureNatAddress(spec, input.zone, deps, inventory);
    // The utility subnet may be a second old (EnsureZoneSubnets returns as it makes it); the
    // ClientToken makes asking again safe.
    const created = await onceVisible(() =>
      ec2.send(
        new CreateNatGatewayCommand({
          SubnetId: subnetId,
          AllocationId: allocationId,
          ConnectivityType: 'public',
          ClientToken: clientToken(record.uid, input.operationId, ROLES.natGateway, input.zone),
          TagSpecifications: tagSpec('natgateway', tagsFor(spec, ROLES.natGateway, name, input.zone)),
        }),
      ),
    );
    nat = created.NatGateway!;
  }
  const natGatewayId = nat.NatGatewayId!;
  await deps.store.recordResource(spec.name, { type: 'nat-gateway', id: natGatewayId, zone: input.zone, ownership: 'owned', name });
  return { natGatewayId, state: nat.State ?? 'pending' };
}

export const step = defineStep({
  name: 'EnsureNatGateway',
  describeActivity: (i) => `creating the NAT gateway in ${i.zone}`,
  clients: [ec2Client],
  input: ensureNatGatewayInput,
  creates: ['ElasticIP', 'NatGateway'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ec2:DescribeNatGateways'),
    ...NAT_ADDRESS_WRITES,
    creating(['ec2:CreateNatGateway'], [arn('ec2', 'natgateway/*'), arn('ec2', 'subnet/*'), arn('ec2', 'elastic-ip/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'natgateway/*')], { StringEquals: { 'ec2:CreateAction': 'CreateNatGateway' } }),
  ],
  run: ensureNatGateway,
});
export const { handler } = step;
