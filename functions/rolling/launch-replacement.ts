/**
 * LaunchReplacement: a new instance for a control-plane seat whose old instance was
 * drained, reset and terminated — on the target image, in the seat's zone and subnet, with
 * the settings of a surviving control-plane instance (type, security groups, instance
 * profile, IMDSv2, encrypted root), or of the spec and inventory when it replaces the only
 * one; without an API load balancer, at the seat's address (the endpoint everything uses). Its ClientToken is fixed per (cluster incarnation,
 * seat, operation), so a retry gets the same instance back. Recorded in the inventory at
 * once, registered with the API target group.
 */
import { RunInstancesCommand, type _InstanceType } from '@aws-sdk/client-ec2';
import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import { DependencyPendingError, StepFailedError } from '../../shared/errors';
import { CONTROL_PLANE_HOP_LIMIT, CONTROL_PLANE_ROOT_GIB, controlPlaneTags } from '../control-plane/seats';
import { rootDeviceName } from '../lib/ec2';
import { API_PORT, CONTROL_PLANE_ROLE, recordedApiEndpoint } from '../control-plane/render-context';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { GROUP_ROLES, tagSpec } from '../network/common';
import { tokenOf } from '../nodes/common';
import { controlPlaneInstances, controlPlaneTargetImage } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { elbv2Client } from '../../shared/aws/clients/elbv2';
import { allow, anywhere, arn, awsArn, creating, ofCluster, table } from '../../shared/aws/iam';
import { hostRoleName, passHostRole } from '../../shared/aws/host-roles';

export const launchReplacementInput = stepEnvelope.extend({
  seat: z.object({ seat: z.number().int().min(0), zone: z.string().min(1), subnetId: z.string().optional() }),
  /** The rollout's options; `controlPlaneImageId` is the image an upgrade baked. */
  options: z.looseObject({ controlPlaneImageId: z.string().optional() }).optional(),
});

export async function launchReplacement(input: z.infer<typeof launchReplacementInput>, deps: StepDeps): Promise<{ instanceId: string; instanceIds: string[] }> {
  const { record, spec } = await loadCluster(deps, input.cluster);
  const { seat, zone } = input.seat;
  const imageId = await controlPlaneTargetImage(deps, spec, input.options?.controlPlaneImageId);
  if (!imageId) throw new StepFailedError(`no image for Kubernetes ${spec.kubernetesVersion} to launch control-plane seat ${seat} from`);
  const survivors = await controlPlaneInstances(deps, spec.name);
  const model = survivors.find((i) => i.ImageId === imageId) ?? survivors[0];
  // The last control plane being replaced: its settings come from the spec and the inventory.
  const securityGroupIds = model ? (model.SecurityGroups ?? []).map((g) => g.GroupId!) : await recordedControlPlaneGroups(deps, spec.name);
  if (securityGroupIds.length === 0) throw new StepFailedError(`no control-plane security group recorded to launch seat ${seat} with`);
  const subnetId = input.seat.subnetId ?? (await seatSubnet(deps, spec.name, zone, spec.topology === 'public'));
  const endpoint = await recordedApiEndpoint(deps, spec.name);
  // Without a load balancer the API endpoint is the seat's own address: every kubeconfig and
  // kubelet points there, so the replacement takes it (free once the old instance is gone).
  const seatAddress = /^\d+\.\d+\.\d+\.\d+:\d+$/.test(endpoint) ? endpoint.replace(/:\d+$/, '') : undefined;
  const tags = controlPlaneTags(spec, seat, zone);
  const launch = new RunInstancesCommand({
    ImageId: imageId,
    InstanceType: (model?.InstanceType ?? spec.controlPlane.machineType) as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    SubnetId: subnetId,
    ...(seatAddress ? { PrivateIpAddress: seatAddress } : {}),
    SecurityGroupIds: securityGroupIds,
    IamInstanceProfile: { Name: hostRoleName(spec.name, 'control-plane') },
    ClientToken: tokenOf('hopper-cp-roll', record.uid, String(seat), input.operationId),
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: CONTROL_PLANE_HOP_LIMIT },
    BlockDeviceMappings: [{ DeviceName: await rootDeviceName(deps, imageId), Ebs: { VolumeType: 'gp3', VolumeSize: CONTROL_PLANE_ROOT_GIB, Encrypted: true, DeleteOnTermination: true } }],
    TagSpecifications: [...tagSpec('instance', tags), ...tagSpec('volume', tags)],
  });
  const out = await deps.clients.ec2.send(launch).catch((err: unknown) => {
    if (awsErrorCode(err) === 'InvalidIPAddress.InUse') throw new DependencyPendingError(`the seat's address ${seatAddress} is still held by the instance being replaced`, { cause: err });
    throw err;
  });
  const instance = out.Instances?.[0];
  if (!instance?.InstanceId) throw new StepFailedError(`RunInstances returned no instance for control-plane seat ${seat}`);
  await deps.store.recordResource(spec.name, {
    type: 'instance',
    id: instance.InstanceId,
    zone,
    ownership: 'owned',
    name: `${spec.name}-control-plane-${seat}`,
    attrs: { role: CONTROL_PLANE_ROLE, seat, ...(instance.PrivateIpAddress ? { privateIp: instance.PrivateIpAddress } : {}), apiEndpoint: endpoint },
  });
  for (const tg of (await deps.store.listResources(spec.name)).filter((r) => r.type === 'target-group')) {
    try {
      await deps.clients.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg.id, Targets: [{ Id: instance.InstanceId, Port: API_PORT }] }));
    } catch (err) {
      if (awsErrorCode(err) === 'InvalidTarget') throw new DependencyPendingError(`control-plane instance ${instance.InstanceId} is not running yet, so not registered with the API load balancer`, { cause: err });
      throw err;
    }
  }
  return { instanceId: instance.InstanceId, instanceIds: [instance.InstanceId] };
}

/** The control-plane security group, as EnsureSecurityGroups recorded it. */
async function recordedControlPlaneGroups(deps: StepDeps, cluster: string): Promise<string[]> {
  return (await deps.store.listResources(cluster)).filter((r) => r.type === 'security-group' && r.attrs?.role === GROUP_ROLES.controlPlane).map((r) => r.id);
}

/** The seat zone's private subnet (the public one in a public topology), from the inventory. */
async function seatSubnet(deps: StepDeps, cluster: string, zone: string, publicTopology: boolean): Promise<string> {
  const subnets = (await deps.store.listResources(cluster)).filter((r) => r.type === 'subnet' && r.zone === zone);
  const wanted = subnets.find((s) => s.attrs?.role === (publicTopology ? 'public' : 'private')) ?? subnets.find((s) => s.attrs?.role === 'private') ?? subnets[0];
  if (!wanted) throw new StepFailedError(`no subnet recorded in ${zone} for a control-plane instance`);
  return wanted.id;
}

export const step = defineStep({
  name: 'LaunchReplacement',
  describeActivity: (i) => `launching a replacement for control-plane seat ${i.seat.seat} in ${i.seat.zone}`,
  clients: [ec2Client, elbv2Client],
  input: launchReplacementInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ec2:DescribeInstances', 'ec2:DescribeImages'),
    creating(['ec2:RunInstances'], [arn('ec2', 'instance/*'), arn('ec2', 'volume/*'), arn('ec2', 'network-interface/*'), arn('ec2', 'subnet/*'), arn('ec2', 'security-group/*'), awsArn('ec2', 'image/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'instance/*'), arn('ec2', 'volume/*')], { StringEquals: { 'ec2:CreateAction': 'RunInstances' } }),
    passHostRole(),
    ofCluster(['elasticloadbalancing:RegisterTargets'], [arn('elasticloadbalancing', 'targetgroup/*')]),
  ],
  run: launchReplacement,
});
export const { handler, run: runStep } = step;
