/**
 * SendJoin (joinControlPlane): `kubeadm join --control-plane` on one of the other
 * control-plane instances, with the join data the init published. Sent once per
 * operation and instance; the Map's CheckJoin waits for it.
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
import { anywhere, runShellScript, table } from '../../shared/aws/iam';
import { JOIN_TIMEOUT_SECONDS } from './seats';

export const joinControlPlaneInput = stepEnvelope.extend({ instanceId: z.string().min(1) });

export async function joinControlPlane(input: { cluster: string; operationId: string; instanceId: string }, deps: StepDeps): Promise<SentCommand> {
  const { spec } = await loadCluster(deps, input.cluster);
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
  clients: [ssmClient],
  input: joinControlPlaneInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation'),
    ...runShellScript(),
  ],
  run: joinControlPlane,
});
export const { handler } = step;
