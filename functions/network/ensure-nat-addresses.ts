/**
 * EnsureNatAddresses: the Elastic IP of each NAT zone's gateway, allocated while the subnets
 * are made (an address needs no VPC), so the NAT gateways — the longest wait of a private
 * cluster's create — start the moment their subnets exist. Zones whose NAT gateway is
 * brought get none.
 */
import * as z from 'zod';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { table } from '../../shared/aws/iam';
import { ensureNatAddress, NAT_ADDRESS_WRITES } from './nat-addresses';

export const ensureNatAddressesInput = stepEnvelope.extend({ zones: z.array(z.string()) });

export async function ensureNatAddresses(
  input: { cluster: string; zones: string[] },
  deps: StepDeps,
): Promise<{ allocationIds: string[] }> {
  const { spec } = await loadCluster(deps, input.cluster);
  // The inventory read once, the zones side by side: each zone's address is its own.
  const inventory = await deps.store.listResources(spec.name);
  const zones = input.zones.filter((zone) => !spec.natGateways.some((n) => n.zone === zone));
  return { allocationIds: await Promise.all(zones.map((zone) => ensureNatAddress(spec, zone, deps, inventory))) };
}

export const step = defineStep({
  name: 'EnsureNatAddresses',
  describeActivity: (i) => `allocating the NAT gateways' addresses (${i.zones.join(', ')})`,
  clients: [ec2Client],
  input: ensureNatAddressesInput,
  creates: ['ElasticIP'],
  permissions: [table('GetItem', 'PutItem', 'UpdateItem', 'Query'), ...NAT_ADDRESS_WRITES],
  run: ensureNatAddresses,
});
export const { handler } = step;
