/**
 * InitControlPlane: `kubeadm init` on the first control-plane instance over SSM, with the
 * join data published to Parameter Store. Sent once per operation (see sendOnce); the
 * state machine's CheckInit waits for it.
 */
import * as z from 'zod';
import { renderControlPlaneInitScript } from '../../shared/render';
import { loadCluster } from '../lib/cluster';
import { registerTargets } from '../lib/elbv2';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { renderContext, withServiceAccountIssuer } from './render-context';
import { recordedSeatVolume } from './etcd-volumes';
import { sendOnce, type SentCommand } from './send-once';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { elbv2Client } from '../../shared/aws/clients/elbv2';
import { anywhere, arn, ofCluster, runShellScript, table } from '../../shared/aws/iam';

/** kubeadm init takes 60–120 s; image pulls on a slow mirror can take several minutes more. */
export const INIT_TIMEOUT_SECONDS = 900;

export const initControlPlaneInput = stepEnvelope.extend({
  instanceId: z.string().min(1),
  apiEndpoint: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/),
  /** With a load balancer: every control-plane instance, registered with its target group first. */
  instanceIds: z.array(z.string()).optional(),
  targetGroupArn: z.string().optional(),
});

export async function initControlPlane(
  input: { cluster: string; operationId: string; instanceId: string; apiEndpoint: string; instanceIds?: string[]; targetGroupArn?: string },
  deps: StepDeps,
): Promise<SentCommand> {
  const { spec } = await loadCluster(deps, input.cluster);
  // The instances are online in SSM, so running: the target group takes them now (idempotent).
  if (input.targetGroupArn && input.instanceIds?.length) await registerTargets(deps, input.targetGroupArn, input.instanceIds);
  const ctx = await withServiceAccountIssuer(deps, spec.name, renderContext(spec, input.apiEndpoint, deps));
  const script = renderControlPlaneInitScript(ctx, { etcdVolumeId: await recordedSeatVolume(deps, spec.name, 0) });
  return sendOnce(deps, {
    cluster: spec.name,
    operationId: input.operationId,
    purpose: 'InitControlPlane',
    instanceId: input.instanceId,
    script,
    timeoutSeconds: INIT_TIMEOUT_SECONDS,
  });
}

export const step = defineStep({
  name: 'InitControlPlane',
  describeActivity: (i) => `kubeadm init on ${i.instanceId}`,
  clients: [ec2Client, ssmClient, elbv2Client],
  input: initControlPlaneInput,
  creates: ['SSMParameter'],
  // It registers the (now running) control plane with the API target group, then sends kubeadm init.
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation'),
    ...runShellScript(),
    ofCluster(['elasticloadbalancing:RegisterTargets'], [arn('elasticloadbalancing', 'targetgroup/*')]),
  ],
  run: initControlPlane,
});
export const { handler } = step;
