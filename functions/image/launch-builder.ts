/**
 * LaunchBuilder: the instance the image is baked on. One per bake: RunInstances with a
 * ClientToken derived from the bake (a retry after a lost response returns the same
 * instance), and tagged with the bake id at launch so TerminateBuilder finds it even when
 * the result never reached the state machine.
 *
 * The builder sits in a public utility subnet with a public address (it fetches packages
 * from the internet before any NAT gateway exists), IMDSv2 required, an encrypted gp3 root
 * volume (so the image and its snapshots are encrypted), the builder instance profile (SSM
 * agent permissions only) and a security group with no ingress at all: it is driven over
 * SSM, which the agent reaches outbound.
 */
import { createHash } from 'node:crypto';
import {
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RunInstancesCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { awsErrorCode, isAlreadyExists } from '../../shared/aws/errors';
import { requiredEnv } from '../../shared/config';
import { StepFailedError } from '../../shared/errors';
import { clusterTagKey, HOPPER_ROLE_TAG, resourceTags, type Tag } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { architectureSchema, BAKE_ID_TAG, BUILDER_ROLE, builderMachineType, findBuilders } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, awsArn, creating, passRole, ref, table } from '../../shared/aws/iam';

export const launchBuilderInput = stepEnvelope.extend({
  /** The bake's execution name: unique per bake, stable across retries. */
  bakeId: z.string().min(1),
  vpcId: z.string(),
  subnetId: z.string(),
  architecture: architectureSchema,
  baseImageId: z.string(),
  rootDeviceName: z.string().default('/dev/sda1'),
});
export type LaunchBuilderInput = z.input<typeof launchBuilderInput>;

// A type alias (not an interface), so it passes where a loose `{instanceId?}` object is expected.
export type LaunchBuilderOutput = {
  instanceId: string;
  securityGroupId: string;
};

/** Root volume of the builder, and so of every node booted from the image (nodes may ask for more). */
const ROOT_VOLUME_GIB = 20;

/** The builder's instance profile: a name, or an ARN (env `BUILDER_INSTANCE_PROFILE`). */
export function builderInstanceProfile(): { Name: string } | { Arn: string } {
  const value = requiredEnv('BUILDER_INSTANCE_PROFILE');
  return value.startsWith('arn:') ? { Arn: value } : { Name: value };
}

/** The RunInstances ClientToken of a bake (EC2 allows 64 ASCII characters). */
export function builderClientToken(bakeId: string): string {
  return `hopper-bake-${createHash('sha256').update(bakeId).digest('hex').slice(0, 48)}`;
}

export async function launchBuilder(raw: LaunchBuilderInput, deps: StepDeps): Promise<LaunchBuilderOutput> {
  const input = launchBuilderInput.parse(raw);
  const { spec } = await loadCluster(deps, input.cluster);
  const securityGroupId = await ensureBuilderSecurityGroup(deps, spec.name, input.vpcId, spec.tags);

  // Look first: a builder this bake launched already (found by tag) is adopted as it is.
  const [found] = await findBuilders(deps, spec.name, input.bakeId);
  let instanceId = found?.InstanceId;
  if (!instanceId) {
    const name = `${spec.name}-${BUILDER_ROLE}`;
    const tags: Tag[] = [...resourceTags({ cluster: spec.name, role: BUILDER_ROLE, name, extra: spec.tags }), { Key: BAKE_ID_TAG, Value: input.bakeId }];
    const out = await deps.clients.ec2.send(
      new RunInstancesCommand({
        ClientToken: builderClientToken(input.bakeId),
        ImageId: input.baseImageId,
        InstanceType: builderMachineType(input.architecture) as never,
        MinCount: 1,
        MaxCount: 1,
        IamInstanceProfile: builderInstanceProfile(),
        MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [
          { DeviceName: input.rootDeviceName, Ebs: { VolumeSize: ROOT_VOLUME_GIB, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } },
        ],
        NetworkInterfaces: [
          { DeviceIndex: 0, SubnetId: input.subnetId, Groups: [securityGroupId], AssociatePublicIpAddress: true, DeleteOnTermination: true },
        ],
        // Stopping is part of the bake; a shutdown from inside must not terminate it mid-bake.
        InstanceInitiatedShutdownBehavior: 'stop',
        TagSpecifications: [
          { ResourceType: 'instance', Tags: tags },
          { ResourceType: 'volume', Tags: tags },
        ],
      }),
    );
    instanceId = out.Instances?.[0]?.InstanceId;
    if (!instanceId) throw new StepFailedError('RunInstances returned no instance for the image builder');
  }
  await deps.store.recordResource(spec.name, {
    type: 'instance',
    id: instanceId,
    ownership: 'owned',
    name: `${spec.name}-${BUILDER_ROLE}`,
    attrs: { role: BUILDER_ROLE, bakeId: input.bakeId },
  });
  return { instanceId, securityGroupId };
}

/**
 * The builder's security group in the cluster's VPC: no ingress rules, AWS's default
 * allow-all egress. Found by tag first; recorded so the cluster's delete removes it.
 */
export async function ensureBuilderSecurityGroup(deps: StepDeps, cluster: string, vpcId: string, extraTags: Record<string, string>): Promise<string> {
  const ec2 = deps.clients.ec2;
  const name = `${cluster}-${BUILDER_ROLE}`;
  const lookup = async (filters: { Name: string; Values: string[] }[]): Promise<SecurityGroup | undefined> =>
    (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, ...filters] }))).SecurityGroups?.[0];
  let group = await lookup([
    { Name: `tag:${clusterTagKey(cluster)}`, Values: ['owned'] },
    { Name: `tag:${HOPPER_ROLE_TAG}`, Values: [BUILDER_ROLE] },
  ]);
  if (!group) {
    try {
      const out = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: name,
          Description: `Hopper image builder of ${cluster}: no ingress, driven over SSM`,
          VpcId: vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: resourceTags({ cluster, role: BUILDER_ROLE, name, extra: extraTags }) }],
        }),
      );
      group = { GroupId: out.GroupId };
    } catch (err) {
      // Created by an earlier attempt whose tags did not show yet: the name is ours in this VPC.
      if (!isAlreadyExists(err)) throw err;
      group = await lookup([{ Name: 'group-name', Values: [name] }]);
      if (!group) throw new StepFailedError(`security group ${name} exists (${awsErrorCode(err)}) but cannot be found`);
    }
  }
  const groupId = group.GroupId!;
  await deps.store.recordResource(cluster, { type: 'security-group', id: groupId, ownership: 'owned', name, attrs: { role: BUILDER_ROLE } });
  return groupId;
}

export const step = defineStep({
  name: 'LaunchBuilder',
  describeActivity: (i) => `launching the image builder in ${i.subnetId}`,
  clients: [ec2Client],
  input: launchBuilderInput,
  environment: { BUILDER_INSTANCE_PROFILE: ref('ImageBuilderInstanceProfile') },
  permissions: [
    table('GetItem', 'UpdateItem'),
    anywhere('ec2:DescribeInstances', 'ec2:DescribeSecurityGroups'),
    creating(['ec2:CreateSecurityGroup'], [arn('ec2', 'vpc/*'), arn('ec2', 'security-group/*')]),
    creating(['ec2:RunInstances'], [arn('ec2', 'instance/*'), arn('ec2', 'volume/*'), arn('ec2', 'network-interface/*'), arn('ec2', 'subnet/*'), arn('ec2', 'security-group/*'), awsArn('ec2', 'image/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'instance/*'), arn('ec2', 'volume/*'), arn('ec2', 'security-group/*')], { StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateSecurityGroup'] } }),
    passRole('ImageBuilderRole'),
  ],
  run: launchBuilder,
});
export const { handler, run: runStep } = step;
