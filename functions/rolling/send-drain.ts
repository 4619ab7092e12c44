/**
 * SendDrain: cordon and drain one node with a deadline (`kubectl drain --timeout`), over
 * SSM on a control-plane instance other than the node's own. With `forceDrain`, pods are
 * deleted instead of evicted (`--disable-eviction --force`), so a PodDisruptionBudget with
 * no room cannot hold the rollout forever (kops #2537, #10400). Sent once per operation and
 * instance (sendScript finds a command already sent by its comment).
 */
import * as z from 'zod';
import { renderDrainScript } from '../../shared/render';
import { sendScript } from '../commands/send-script';
import { loadRenderContext } from '../control-plane/render-context';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { kubectlRunner, nodeNameOf } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';

export const sendDrainInput = stepEnvelope.extend({
  instanceId: z.string().min(1),
  drainTimeoutSeconds: z.number().int().positive(),
  forceDrain: z.boolean().default(false),
  /** The node, when the caller knows it already: an instance AWS has just taken no longer tells its private DNS name. */
  node: z.string().min(1).optional(),
});

export interface SentDrain {
  commandId: string;
  /** Where kubectl runs. */
  runner: string;
  /** The instance being drained, and its node. */
  instanceId: string;
  node: string;
}

/** Time SSM gives the drain beyond its own deadline (cordon, kubectl start-up). */
const DRAIN_MARGIN_SECONDS = 120;

export async function sendDrain(input: z.infer<typeof sendDrainInput>, deps: StepDeps): Promise<SentDrain> {
  const { spec } = await loadCluster(deps, input.cluster);
  const node = input.node ?? (await nodeNameOf(deps, input.instanceId)).node;
  const runner = await kubectlRunner(deps, spec.name, input.instanceId);
  const script = renderDrainScript(await loadRenderContext(deps, spec), { node, timeoutSeconds: input.drainTimeoutSeconds, force: input.forceDrain });
  const commandId = await sendScript(deps, {
    instanceIds: [runner],
    script,
    // A forced drain after a refused one is another command, not the first found again.
    comment: `hopper ${spec.name} ${input.forceDrain ? 'ForcedDrain' : 'Drain'} ${input.instanceId} ${input.operationId}`.slice(0, 100),
    timeoutSeconds: input.drainTimeoutSeconds + DRAIN_MARGIN_SECONDS,
  });
  return { commandId, runner, instanceId: input.instanceId, node };
}

export const step = defineStep({
  name: 'SendDrain',
  describeActivity: (i) => `draining ${i.instanceId}${i.forceDrain ? ' (forced)' : ''}`,
  clients: [ec2Client, ssmClient],
  input: sendDrainInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
  run: sendDrain,
});
export const { handler, run: runStep } = step;
