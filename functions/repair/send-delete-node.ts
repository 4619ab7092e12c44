/**
 * SendDeleteNode: `kubectl delete node` for the repaired instance's Node object, over SSM on
 * a control-plane instance. A Node already gone (the cloud controller manager deletes those
 * of terminated instances) is fine. The pods still bound to it are deleted with it, so their
 * controllers recreate them elsewhere at once rather than after the unreachable-node
 * eviction's five minutes. Sent once per operation and instance.
 */
import * as z from 'zod';
import { renderDeleteNodeScript } from '../../shared/render';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';
import { sendScript } from '../commands/send-script';
import { loadRenderContext } from '../control-plane/render-context';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { kubectlRunner } from '../rolling/common';

export const sendDeleteNodeInput = stepEnvelope.extend({ instanceId: z.string().min(1), node: z.string().min(1) });

export async function sendDeleteNode(input: z.infer<typeof sendDeleteNodeInput>, deps: StepDeps): Promise<{ commandId: string; instanceId: string }> {
  const { spec } = await loadCluster(deps, input.cluster);
  const runner = await kubectlRunner(deps, spec.name, input.instanceId);
  const commandId = await sendScript(deps, {
    instanceIds: [runner],
    script: renderDeleteNodeScript(await loadRenderContext(deps, spec), { node: input.node }),
    comment: `hopper ${spec.name} DeleteNode ${input.instanceId} ${input.operationId}`.slice(0, 100),
    timeoutSeconds: 120,
  });
  return { commandId, instanceId: runner };
}

export const step = defineStep({
  name: 'SendDeleteNode',
  describeActivity: (i) => `deleting node ${i.node}`,
  clients: [ec2Client, ssmClient],
  input: sendDeleteNodeInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
  run: sendDeleteNode,
});
export const { handler } = step;
