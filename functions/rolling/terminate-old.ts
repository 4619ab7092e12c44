/**
 * TerminateOld: the drained instance goes. An instance still in its group (replaced without
 * a surge) is terminated through the group without decrementing its desired capacity, so
 * the group launches the replacement; a detached one or a control-plane one is terminated
 * directly (a control-plane instance is deregistered from the API target group first and
 * forgotten by the inventory). Idempotent: an instance already gone is done.
 */
import { ETCD_VOLUME_ROLE, recordSeatMemberAddress, seatVolumeRecord } from '../control-plane/etcd-volumes';
import { DeregisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeAutoScalingInstancesCommand, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import { API_PORT, CONTROL_PLANE_ROLE } from '../control-plane/render-context';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { describeInstances } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { elbv2Client } from '../../shared/aws/clients/elbv2';
import { allow, anywhere, arn, ofCluster, table } from '../../shared/aws/iam';

export const terminateOldInput = stepEnvelope.extend({
  instanceId: z.string().min(1),
  kind: z.enum(['control-plane', 'node']),
  inGroup: z.boolean().default(false),
});

export async function terminateOld(input: z.infer<typeof terminateOldInput>, deps: StepDeps): Promise<{ instanceId: string; state: string }> {
  const found = (await describeInstances(deps, [{ Name: 'instance-id', Values: [input.instanceId] }]))[0];
  const state = found?.State?.Name ?? 'terminated';
  if (state === 'terminated' || state === 'shutting-down') return { instanceId: input.instanceId, state };
  if (input.kind === 'control-plane') {
    for (const tg of (await deps.store.listResources(input.cluster)).filter((r) => r.type === 'target-group')) {
      await deps.clients.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: tg.id, Targets: [{ Id: input.instanceId, Port: API_PORT }] })).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
  }
  if (input.inGroup) {
    const member = (await deps.clients.autoscaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [input.instanceId] }))).AutoScalingInstances?.[0];
    if (member) {
      await deps.clients.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: input.instanceId, ShouldDecrementDesiredCapacity: false }));
      return { instanceId: input.instanceId, state: 'shutting-down' };
    }
  }
  await deps.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [input.instanceId] }));
  if (input.kind === 'control-plane') await forgetControlPlaneInstance(deps, input.cluster, input.instanceId);
  return { instanceId: input.instanceId, state: 'shutting-down' };
}

/**
 * Forget a control-plane instance. The API endpoint lives on a seat's inventory entry (see
 * recordedApiEndpoint); it is copied to the other seats first, so the steps after this one
 * still render with it.
 */
async function forgetControlPlaneInstance(deps: StepDeps, cluster: string, instanceId: string): Promise<void> {
  const resources = await deps.store.listResources(cluster);
  const own = resources.find((r) => r.type === 'instance' && r.id === instanceId);
  const endpoint = own?.attrs?.apiEndpoint;
  if (typeof endpoint === 'string') {
    // The seats' volumes too: with a single control plane, no other instance is left to hold it.
    const holders = resources.filter((r) => (r.type === 'instance' && r.id !== instanceId && r.attrs?.role === CONTROL_PLANE_ROLE) || (r.type === 'volume' && r.attrs?.role === ETCD_VOLUME_ROLE));
    for (const other of holders) {
      if (other.attrs?.apiEndpoint === endpoint) continue;
      await deps.store.recordResource(cluster, { type: other.type, id: other.id, zone: other.zone, ownership: other.ownership, name: other.name, attrs: { ...other.attrs, apiEndpoint: endpoint } });
    }
  }
  // Its etcd member's address goes on the seat's volume, which keeps that member's data: the
  // replacement is launched at it, to start the same member again (LaunchReplacement).
  const address = own?.attrs?.privateIp;
  // Read again: the loop above may have just written the endpoint on that very record.
  if (typeof address === 'string' && own?.attrs?.seat !== undefined) await recordSeatMemberAddress(deps, cluster, await seatVolumeRecord(deps, cluster, Number(own.attrs.seat)), address);
  await deps.store.forgetResource(cluster, 'instance', instanceId);
}

export const step = defineStep({
  name: 'TerminateOld',
  describeActivity: (i) => `terminating ${i.kind === 'control-plane' ? 'control plane' : 'node'} ${i.instanceId}`,
  clients: [ec2Client, autoscalingClient, elbv2Client],
  input: terminateOldInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query', 'DeleteItem'),
    anywhere('ec2:DescribeInstances', 'autoscaling:DescribeAutoScalingInstances'),
    allow(['ec2:TerminateInstances'], [arn('ec2', 'instance/*')], { StringLike: { 'aws:ResourceTag/hopper:cluster': '*' } }),
    allow(['autoscaling:TerminateInstanceInAutoScalingGroup'], [arn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*')], { StringLike: { 'autoscaling:ResourceTag/hopper:cluster': '*' } }),
    ofCluster(['elasticloadbalancing:DeregisterTargets'], [arn('elasticloadbalancing', 'targetgroup/*')]),
  ],
  run: terminateOld,
});
export const { handler, run: runStep } = step;
