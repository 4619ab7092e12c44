/**
 * The Elastic IP of a zone's NAT gateway, found by its tags or allocated. EnsureNatAddresses
 * allocates them while the VPC's subnets are still being made, so that EnsureNatGateway
 * finds them already known to EC2 (an address used the moment it was allocated is answered
 * InvalidAllocationID.NotFound, and the NAT gateway — on the create's critical path — would
 * wait for a retry); EnsureNatGateway allocates one itself if that step's work was lost.
 */
import { AllocateAddressCommand, DescribeAddressesCommand } from '@aws-sdk/client-ec2';
import type { ClusterSpec } from '../../shared/spec';
import type { ResourceRecord } from '../../shared/store';
import { roleFilters } from '../../shared/tags';
import { allow, anywhere, arn, creating, type IamStatement } from '../../shared/aws/iam';
import type { StepDeps } from '../lib/deps';
import { ROLES, resourceName, tagSpec, tagsFor } from './common';

/**
 * The zone's NAT Elastic IP: the one recorded in the cluster's inventory (at once on
 * allocation, and read back consistently — EC2's DescribeAddresses may not show a new address
 * yet), else the tagged one (a record lost), else a new one (AllocateAddress takes no
 * ClientToken), recorded at once.
 */
export async function ensureNatAddress(spec: ClusterSpec, zone: string, deps: StepDeps, inventory?: ResourceRecord[]): Promise<string> {
  const ec2 = deps.clients.ec2;
  const name = resourceName(spec.name, ROLES.natAddress, zone);
  const recorded = recordedNatAddress(inventory ?? (await deps.store.listResources(spec.name)), zone);
  if (recorded) return recorded;
  const found = await ec2.send(new DescribeAddressesCommand({ Filters: roleFilters(spec.name, ROLES.natAddress, zone) }));
  let allocationId = found.Addresses?.[0]?.AllocationId;
  if (!allocationId) {
    const created = await ec2.send(
      new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagSpec('elastic-ip', tagsFor(spec, ROLES.natAddress, name, zone)) }),
    );
    allocationId = created.AllocationId!;
  }
  await deps.store.recordResource(spec.name, { type: 'elastic-ip', id: allocationId, zone, ownership: 'owned', name });
  return allocationId;
}

/** The zone's NAT address in the cluster's inventory (`listResources`), if recorded. */
export function recordedNatAddress(inventory: ResourceRecord[], zone: string): string | undefined {
  return inventory.find((r) => r.type === 'elastic-ip' && r.zone === zone && r.ownership === 'owned')?.id;
}

/** What allocating (or finding) a NAT address needs. */
export const NAT_ADDRESS_WRITES: IamStatement[] = [
  anywhere('ec2:DescribeAddresses'),
  creating(['ec2:AllocateAddress'], [arn('ec2', 'elastic-ip/*')]),
  allow(['ec2:CreateTags'], [arn('ec2', 'elastic-ip/*')], { StringEquals: { 'ec2:CreateAction': 'AllocateAddress' } }),
];
