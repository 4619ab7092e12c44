/**
 * SendJoin (joinControlPlane): `kubeadm join --control-plane` on one of the other
 * control-plane instances, with the join data the init published. Sent once per
 * operation and instance, as soon as the instance's SSM agent is Online (NotReadyError
 * until then: the state machine asks again); the Map's CheckJoin waits for it.
 */
import * as z from 'zod';
import { renderControlPlaneJoinScript } from '../../shared/render';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { loadRenderContext } from './render-context';
import { etcdVolumeOfInstance } from './etcd-volumes';
import { sendOnce, type SentCommand } from './send-once';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { requireOnline } from '../commands/instances-online';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';
import { JOIN_TIMEOUT_SECONDS } from './seats';

export const joinControlPlaneInput = stepEnvelope.extend({ instanceId: z.string().min(1) });

export async function joinControlPlane(input: { cluster: string; operationId: string; instanceId: string }, deps: StepDeps): Promise<SentCommand> {
  const { spec } = await loadCluster(deps, input.cluster);
  // kubeadm init goes first on its own instance; this one may register a moment later.
  await requireOnline(deps, [input.instanceId]);
  const script = renderControlPlaneJoinScript(await loadRenderContext(deps, spec), { etcdVolumeId: await etcdVolumeOfInstance(deps, spec.name, input.instanceId) });
  return sendOnce(deps, {
    cluster: spec.name,
    operationId: input.operationId,
    purpose: 'JoinControlPlane',
    instanceId: input.instanceId,
    script,
    timeoutSeconds: JOIN_TIMEOUT_SECONDS,
  });
}

export const step = defineStep({
  name: 'JoinControlPlane',
  describeActivity: (i) => `joining control plane ${i.instanceId}`,
  clients: [ssmClient, ec2Client],
  input: joinControlPlaneInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
  run: joinControlPlane,
});
export const { handler } = step;
