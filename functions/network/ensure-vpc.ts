/**
 * EnsureVpc: the cluster's VPC. A brought one (`spec.vpcId`) is verified and only tagged
 * `shared`; otherwise the VPC tagged for the cluster is adopted, or one is created from
 * `spec.networkCidr` with DNS support and hostnames (the cloud controller and kubeadm
 * need resolvable private names).
 */
import {
  CreateVpcCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  ModifyVpcAttributeCommand,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { isNotFound } from '../../shared/aws/errors';
import { StepFailedError } from '../../shared/errors';
import { cidrContains, parseCidr } from '../../shared/spec/cidr';
import type { ClusterSpec } from '../../shared/spec';
import { roleFilters, type Ownership } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ROLES, ownershipOf, resourceName, tagShared, tagSpec, tagsFor } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, clusterTagKeysOnly, creating, ofCluster, table } from '../../shared/aws/iam';
import { onceVisible } from '../lib/once-visible';

export const ensureVpcInput = stepEnvelope;

export interface VpcOutput {
  vpcId: string;
  cidr: string;
  ownership: Ownership;
}

export async function ensureVpc(input: { cluster: string }, deps: StepDeps): Promise<VpcOutput> {
  const { spec } = await loadCluster(deps, input.cluster);
  if (spec.vpcId) return useBroughtVpc(spec, spec.vpcId, deps);

  const ec2 = deps.clients.ec2;
  const found = await ec2.send(new DescribeVpcsCommand({ Filters: roleFilters(spec.name, ROLES.vpc) }));
  let vpc: Vpc | undefined = found.Vpcs?.[0];
  if (vpc) {
    if (vpc.CidrBlock !== spec.networkCidr) {
      throw new StepFailedError(
        `VPC ${vpc.VpcId} tagged for cluster ${spec.name} has CIDR ${vpc.CidrBlock}, but the spec says ${spec.networkCidr}`,
      );
    }
  } else {
    const created = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: spec.networkCidr,
        TagSpecifications: tagSpec('vpc', tagsFor(spec, ROLES.vpc, spec.name)),
      }),
    );
    vpc = created.Vpc!;
  }
  const vpcId = vpc.VpcId!;
  const ownership = ownershipOf(spec.name, vpc.Tags);
  await deps.store.recordResource(spec.name, { type: 'vpc', id: vpcId, ownership, name: resourceName(spec.name, ROLES.vpc) });
  if (ownership === 'owned') await enableDns(vpcId, deps);
  return { vpcId, cidr: vpc.CidrBlock!, ownership };
}

/** DNS support first: AWS refuses hostnames without it. Looked at first, so a rerun changes nothing. */
async function enableDns(vpcId: string, deps: StepDeps): Promise<void> {
  const ec2 = deps.clients.ec2;
  // The first reads of a VPC just made may come before EC2 knows it; both looked at together.
  const [support, hostnames] = await Promise.all(
    (['enableDnsSupport', 'enableDnsHostnames'] as const).map((Attribute) => onceVisible(() => ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute })))),
  );
  if (!support.EnableDnsSupport?.Value) {
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: true } }));
  }
  if (!hostnames.EnableDnsHostnames?.Value) {
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
  }
}

/** A brought VPC: it must exist and hold every subnet of the spec. Only the `shared` tag is added. */
async function useBroughtVpc(spec: ClusterSpec, vpcId: string, deps: StepDeps): Promise<VpcOutput> {
  let vpc: Vpc | undefined;
  try {
    vpc = (await deps.clients.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0];
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!vpc) throw new StepFailedError(`The VPC ${vpcId} given in spec.vpcId does not exist in ${spec.region}`);
  const blocks = (vpc.CidrBlockAssociationSet ?? [])
    .filter((a) => a.CidrBlockState?.State === undefined || a.CidrBlockState.State === 'associated')
    .map((a) => a.CidrBlock)
    .concat(vpc.CidrBlock)
    .flatMap((c) => (c ? [parseCidr(c)] : []))
    .filter((c) => c !== undefined);
  const outside = spec.subnets.filter((s) => {
    const block = parseCidr(s.cidr);
    return !block || !blocks.some((b) => cidrContains(b, block));
  });
  if (outside.length) {
    const list = outside.map((s) => `${s.type} subnet ${s.cidr} in ${s.zone}`).join(', ');
    throw new StepFailedError(`The VPC ${vpcId} (${vpc.CidrBlock}) does not contain ${list}`);
  }
  await tagShared(deps, spec.name, vpcId, vpc.Tags);
  await deps.store.recordResource(spec.name, { type: 'vpc', id: vpcId, ownership: 'shared' });
  return { vpcId, cidr: vpc.CidrBlock!, ownership: 'shared' };
}

export const step = defineStep({
  name: 'EnsureVpc',
  clients: [ec2Client],
  input: ensureVpcInput,
  creates: ['VPC'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('ec2:DescribeVpcs', 'ec2:DescribeVpcAttribute'),
    creating(['ec2:CreateVpc'], [arn('ec2', 'vpc/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'vpc/*')], { StringEquals: { 'ec2:CreateAction': 'CreateVpc' } }),
    ofCluster(['ec2:ModifyVpcAttribute'], [arn('ec2', 'vpc/*')]),
    // A brought VPC is only marked as the cluster's (`kubernetes.io/cluster/<name>=shared`).
    clusterTagKeysOnly(['ec2:CreateTags'], [arn('ec2', 'vpc/*')]),
  ],
  run: ensureVpc,
});
export const { handler } = step;
