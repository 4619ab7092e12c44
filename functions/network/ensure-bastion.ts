/**
 * EnsureBastion: one small instance in the first utility subnet, in the bastion security
 * group (SSH only from sshAccessCidrs), IMDSv2 required, an encrypted gp3 root volume,
 * on the latest Ubuntu LTS image from Canonical's public SSM parameter. Found by tag, else
 * launched with a ClientToken, so a retried launch returns the first instance.
 */
import { DescribeInstancesCommand, RunInstancesCommand, type _InstanceType } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { StepFailedError } from '../../shared/errors';
import { architectureOf } from '../../shared/spec/machine-types';
import type { ClusterSpec } from '../../shared/spec';
import { roleFilters } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ROLES, clientToken, resourceName, securityGroupsSchema, subnetsSchema, tagSpec, tagsFor, type SecurityGroupIds, type ZoneSubnets } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { allow, anywhere, arn, awsArn, creating, table } from '../../shared/aws/iam';

export const ensureBastionInput = stepEnvelope.extend({ subnets: subnetsSchema, securityGroups: securityGroupsSchema });

/** Instances that are (or will be) a bastion: a terminated one is not adopted. */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];
export const BASTION_ROOT_GIB = 8;

/** Canonical's public parameter for the current Ubuntu 24.04 LTS image of an architecture. */
export function ubuntuImageParameter(architecture: 'amd64' | 'arm64'): string {
  return `/aws/service/canonical/ubuntu/server/24.04/stable/current/${architecture}/hvm/ebs-gp3/ami-id`;
}

export async function ensureBastion(
  input: { cluster: string; operationId: string; subnets: ZoneSubnets[]; securityGroups: SecurityGroupIds },
  deps: StepDeps,
): Promise<{ instanceId: string }> {
  const { record, spec } = await loadCluster(deps, input.cluster);
  const groupId = input.securityGroups.bastion;
  if (!groupId) throw new StepFailedError('EnsureBastion needs the bastion security group (is the bastion enabled?)');
  const ec2 = deps.clients.ec2;
  const name = resourceName(spec.name, ROLES.bastion);

  const found = await ec2.send(
    new DescribeInstancesCommand({ Filters: [...roleFilters(spec.name, ROLES.bastion), { Name: 'instance-state-name', Values: LIVE_STATES }] }),
  );
  let instanceId = found.Reservations?.flatMap((r) => r.Instances ?? [])[0]?.InstanceId;
  if (!instanceId) {
    const subnet = input.subnets[0];
    const tags = tagsFor(spec, ROLES.bastion, name, subnet.zone);
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: await bastionImage(spec, deps),
        InstanceType: spec.bastion.machineType as _InstanceType,
        MinCount: 1,
        MaxCount: 1,
        // A public address of its own, whatever the subnet's default: that is how SSH reaches it.
        NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnet.utilitySubnetId, Groups: [groupId], AssociatePublicIpAddress: true, DeleteOnTermination: true }],
        ClientToken: clientToken(record.uid, input.operationId, ROLES.bastion),
        MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [
          { DeviceName: '/dev/sda1', Ebs: { VolumeType: 'gp3', VolumeSize: BASTION_ROOT_GIB, Encrypted: true, DeleteOnTermination: true } },
        ],
        TagSpecifications: [...tagSpec('instance', tags), ...tagSpec('volume', tags)],
      }),
    );
    instanceId = out.Instances?.[0]?.InstanceId;
    if (!instanceId) throw new StepFailedError('RunInstances returned no instance for the bastion');
  }
  await deps.store.recordResource(spec.name, { type: 'instance', id: instanceId, zone: input.subnets[0].zone, ownership: 'owned', name, attrs: { role: ROLES.bastion } });
  return { instanceId };
}

async function bastionImage(spec: ClusterSpec, deps: StepDeps): Promise<string> {
  const parameter = ubuntuImageParameter(architectureOf(spec.bastion.machineType));
  const out = await deps.clients.ssm.send(new GetParameterCommand({ Name: parameter }));
  const imageId = out.Parameter?.Value;
  if (!imageId) throw new StepFailedError(`The SSM parameter ${parameter} has no image id`);
  return imageId;
}

export const step = defineStep({
  name: 'EnsureBastion',
  clients: [ec2Client, ssmClient],
  input: ensureBastionInput,
  creates: ['Instance'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('ec2:DescribeInstances'),
    allow(['ssm:GetParameter'], [awsArn('ssm', 'parameter/aws/service/canonical/ubuntu/server/*')]),
    creating(['ec2:RunInstances'], [arn('ec2', 'instance/*'), arn('ec2', 'volume/*'), arn('ec2', 'network-interface/*'), arn('ec2', 'subnet/*'), arn('ec2', 'security-group/*'), awsArn('ec2', 'image/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'instance/*'), arn('ec2', 'volume/*')], { StringEquals: { 'ec2:CreateAction': 'RunInstances' } }),
  ],
  run: ensureBastion,
});
export const { handler } = step;
