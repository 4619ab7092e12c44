/**
 * CheckDrain: NotReadyError while the drain runs. A drain that ran out of its deadline
 * fails the rolling update with a reason a person can act on — which pods on which node
 * would not be evicted, and what to do — instead of hanging the way kops does (#2537,
 * #10400). The node stays cordoned; a rerun with `forceDrain` deletes the pods.
 */
import { GetCommandInvocationCommand, type GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import { failureMessage } from '../commands/output';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, table } from '../../shared/aws/iam';

export const checkDrainInput = stepEnvelope.extend({
  commandId: z.string().min(1),
  runner: z.string().min(1),
  instanceId: z.string().min(1),
  node: z.string().min(1),
  drainTimeoutSeconds: z.number().int().positive(),
});

const RUNNING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);

/** `error when evicting pods/"web-1" -n "default"` → `default/web-1`, each once. */
export function stubbornPods(stderr: string): string[] {
  const found = new Set<string>();
  for (const m of stderr.matchAll(/evicting pods?\/"([^"]+)" -n "([^"]+)"/g)) found.add(`${m[2]}/${m[1]}`);
  return [...found];
}

export async function checkDrain(input: z.infer<typeof checkDrainInput>, deps: StepDeps): Promise<{ node: string; drained: true }> {
  let inv: GetCommandInvocationCommandOutput;
  try {
    inv = await deps.clients.ssm.send(new GetCommandInvocationCommand({ CommandId: input.commandId, InstanceId: input.runner }));
  } catch (err) {
    if (awsErrorCode(err) === 'InvocationDoesNotExist') throw new NotReadyError(`drain of ${input.node}: command not yet delivered`);
    throw err;
  }
  const status = inv.Status ?? 'Pending';
  if (RUNNING.has(status)) throw new NotReadyError(`drain of ${input.node} is ${status}`);
  if (status === 'Success') return { node: input.node, drained: true };
  const stderr = inv.StandardErrorContent ?? '';
  const pods = stubbornPods(stderr);
  if (pods.length > 0 || /global timeout reached|did not complete within/.test(stderr) || status === 'TimedOut') {
    const who = pods.length > 0 ? `pod${pods.length === 1 ? '' : 's'} ${pods.join(', ')} would not be evicted (a PodDisruptionBudget allows no disruption)` : 'pods would not leave';
    throw new StepFailedError(
      `drain of node ${input.node} (instance ${input.instanceId}) did not finish within ${input.drainTimeoutSeconds}s: ${who}. ` +
        'The node is left cordoned. Fix the budget, or run the rolling update again with forceDrain to delete the pods.',
    );
  }
  throw new StepFailedError(failureMessage(`Drain of ${input.node}`, input.runner, status, inv));
}

export const step = defineStep({
  name: 'CheckDrain',
  describeActivity: (i) => `draining ${i.node} (${i.instanceId})`,
  clients: [ssmClient],
  input: checkDrainInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('ssm:GetCommandInvocation'),
  ],
  run: checkDrain,
});
export const { handler, run: runStep } = step;
