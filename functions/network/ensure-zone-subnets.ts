/**
 * EnsureZoneSubnets: one zone's subnets. Private topology: a `utility` subnet
 * (`kubernetes.io/role/elb`) for load balancers, NAT and bastion, and a `private` one
 * (`kubernetes.io/role/internal-elb`) for the instances. Public topology: one `public`
 * subnet, returned as both. A brought subnet (spec `id`) is checked against the spec and
 * only tagged `shared`. Returns as soon as they are made: their public addressing waits for
 * EnsurePublicRouting, by when EC2 knows the new ids — the NAT gateways do not wait for it.
 */
import { CreateSubnetCommand, DescribeSubnetsCommand, type Subnet } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import { StepFailedError } from '../../shared/errors';
import type { ClusterSpec, SubnetSpec } from '../../shared/spec';
import { roleFilters, type Tag } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ROLES, resourceName, tagShared, tagSpec, tagsFor, type ZoneSubnets } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, clusterTagKeysOnly, creating, table } from '../../shared/aws/iam';

export const ensureZoneSubnetsInput = stepEnvelope.extend({ vpcId: z.string(), zone: z.string() });

/** The Kubernetes tags that tell the cloud controller where to put load balancers. */
const ELB_ROLE_TAGS: Record<SubnetSpec['type'], Tag> = {
  utility: { Key: 'kubernetes.io/role/elb', Value: '1' },
  public: { Key: 'kubernetes.io/role/elb', Value: '1' },
  private: { Key: 'kubernetes.io/role/internal-elb', Value: '1' },
};

const SUBNET_ROLES: Record<SubnetSpec['type'], string> = {
  utility: ROLES.utilitySubnet,
  private: ROLES.privateSubnet,
  public: ROLES.publicSubnet,
};

export async function ensureZoneSubnets(input: { cluster: string; operationId?: string; vpcId: string; zone: string }, deps: StepDeps): Promise<ZoneSubnets> {
  const { spec } = await loadCluster(deps, input.cluster);
  if (!spec.zones.includes(input.zone)) throw new StepFailedError(`Zone ${input.zone} is not one of cluster ${spec.name}'s zones`);
  if (spec.topology === 'public') {
    const subnet = await ensureSubnet(spec, input.vpcId, input.zone, 'public', deps);
    return { zone: input.zone, utilitySubnetId: subnet, privateSubnetId: subnet };
  }
  // Side by side: each is tagged as it is made and recorded the moment it exists, so a crash
  // between them leaves tagged subnets the rerun adopts.
  const [utility, privateSubnet] = await Promise.all([
    ensureSubnet(spec, input.vpcId, input.zone, 'utility', deps),
    ensureSubnet(spec, input.vpcId, input.zone, 'private', deps),
  ]);
  return { zone: input.zone, utilitySubnetId: utility, privateSubnetId: privateSubnet };
}

/** The subnet's id: made (or found) and recorded. */
async function ensureSubnet(spec: ClusterSpec, vpcId: string, zone: string, type: SubnetSpec['type'], deps: StepDeps): Promise<string> {
  const wanted = spec.subnets.find((s) => s.zone === zone && s.type === type);
  if (!wanted) throw new StepFailedError(`The spec of cluster ${spec.name} has no ${type} subnet in ${zone}`);
  if (wanted.id) return useBroughtSubnet(spec, vpcId, wanted, wanted.id, deps);

  const ec2 = deps.clients.ec2;
  const role = SUBNET_ROLES[type];
  const name = resourceName(spec.name, type, zone);
  const found = await ec2.send(
    new DescribeSubnetsCommand({ Filters: [...roleFilters(spec.name, role, zone), { Name: 'vpc-id', Values: [vpcId] }] }),
  );
  let subnet: Subnet | undefined = found.Subnets?.[0];
  if (subnet) {
    if (subnet.CidrBlock !== wanted.cidr) {
      throw new StepFailedError(`Subnet ${subnet.SubnetId} (${type}, ${zone}) has CIDR ${subnet.CidrBlock}, but the spec says ${wanted.cidr}`);
    }
  } else {
    const created = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        AvailabilityZone: zone,
        CidrBlock: wanted.cidr,
        TagSpecifications: tagSpec('subnet', [...tagsFor(spec, role, name, zone), ELB_ROLE_TAGS[type]]),
      }),
    );
    subnet = created.Subnet!;
  }
  const id = subnet.SubnetId!;
  await deps.store.recordResource(spec.name, { type: 'subnet', id, zone, ownership: 'owned', name, attrs: { role: type, cidr: wanted.cidr } });
  return id;
}

/** A brought subnet must be where the spec says: in the VPC, the zone and the CIDR. */
async function useBroughtSubnet(spec: ClusterSpec, vpcId: string, wanted: SubnetSpec, id: string, deps: StepDeps): Promise<string> {
  let subnet: Subnet | undefined;
  try {
    subnet = (await deps.clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] }))).Subnets?.[0];
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const what = `The ${wanted.type} subnet ${id} given for ${wanted.zone}`;
  if (!subnet) throw new StepFailedError(`${what} does not exist`);
  if (subnet.AvailabilityZone !== wanted.zone) throw new StepFailedError(`${what} is in ${subnet.AvailabilityZone}, not in ${wanted.zone}`);
  if (subnet.VpcId !== vpcId) throw new StepFailedError(`${what} belongs to ${subnet.VpcId}, not to the cluster's VPC ${vpcId}`);
  if (subnet.CidrBlock !== wanted.cidr) throw new StepFailedError(`${what} has CIDR ${subnet.CidrBlock}, not ${wanted.cidr}`);
  await tagShared(deps, spec.name, id, subnet.Tags);
  await deps.store.recordResource(spec.name, { type: 'subnet', id, zone: wanted.zone, ownership: 'shared', attrs: { role: wanted.type, cidr: wanted.cidr } });
  return id;
}

export const step = defineStep({
  name: 'EnsureZoneSubnets',
  clients: [ec2Client],
  input: ensureZoneSubnetsInput,
  creates: ['Subnet'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('ec2:DescribeSubnets'),
    creating(['ec2:CreateSubnet'], [arn('ec2', 'subnet/*'), arn('ec2', 'vpc/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'subnet/*')], { StringEquals: { 'ec2:CreateAction': 'CreateSubnet' } }),
    // A brought subnet is only marked as the cluster's (`kubernetes.io/cluster/<name>=shared`).
    clusterTagKeysOnly(['ec2:CreateTags'], [arn('ec2', 'subnet/*')]),
  ],
  run: ensureZoneSubnets,
});
export const { handler } = step;
