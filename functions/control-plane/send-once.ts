/**
 * Sending a bootstrap script once per operation: the scripts are idempotent on the host,
 * but a second `kubeadm init` racing the first is not, and a retried Lambda must not
 * start one. The command id is remembered in the inventory (type `ssm-command`, attrs
 * {purpose, operationId, instanceId}) the moment SSM returns it; a command that was sent
 * but not recorded (a crash in between) is found by sendScript through its comment.
 */
import { ListCommandsCommand } from '@aws-sdk/client-ssm';
import { sendScript } from '../commands/send-script';
import type { StepDeps } from '../lib/deps';

/** Inventory type of a remembered SSM command. */
export const SSM_COMMAND_TYPE = 'ssm-command';

/** Command states that will never produce a result: a new command is sent instead. */
const DEAD = new Set(['Failed', 'Cancelled', 'TimedOut', 'Cancelling']);

export interface SendOnceInput {
  cluster: string;
  operationId: string;
  /** The step's purpose, as in the state machine (`InitControlPlane`). */
  purpose: string;
  instanceId: string;
  script: string;
  timeoutSeconds: number;
}

export interface SentCommand {
  commandId: string;
  instanceId: string;
}

/** `hopper <cluster> <purpose> <operation>`: what sendScript recognises a sent command by. */
export function commandComment(cluster: string, purpose: string, operationId: string): string {
  return `hopper ${cluster} ${purpose} ${operationId}`;
}

/** The commands sendOnce sent for `purpose` in `operationId` (on `instanceId`, when given), as the inventory remembers them. */
export async function rememberedCommands(deps: Pick<StepDeps, 'store'>, cluster: string, purpose: string, operationId: string, instanceId?: string) {
  return (await deps.store.listResources(cluster)).filter(
    (r) => r.type === SSM_COMMAND_TYPE && r.attrs?.purpose === purpose && r.attrs?.operationId === operationId && (instanceId === undefined || r.attrs?.instanceId === instanceId),
  );
}

/**
 * The command already sent for this (operation, purpose, instance) if it is pending,
 * running or succeeded; otherwise a new one, recorded at once.
 */
export async function sendOnce(deps: StepDeps, input: SendOnceInput): Promise<SentCommand> {
  const remembered = await rememberedCommands(deps, input.cluster, input.purpose, input.operationId, input.instanceId);
  for (const r of remembered) {
    if (await isLive(deps, r.id)) return { commandId: r.id, instanceId: input.instanceId };
  }
  const commandId = await sendScript(deps, {
    instanceIds: [input.instanceId],
    script: input.script,
    comment: commandComment(input.cluster, input.purpose, input.operationId),
    timeoutSeconds: input.timeoutSeconds,
  });
  await deps.store.recordResource(input.cluster, {
    type: SSM_COMMAND_TYPE,
    id: commandId,
    ownership: 'owned',
    name: input.purpose,
    attrs: { purpose: input.purpose, operationId: input.operationId, instanceId: input.instanceId },
  });
  return { commandId, instanceId: input.instanceId };
}

/** Whether a command is pending, running or done well (SSM keeps commands for 30 days). */
async function isLive(deps: StepDeps, commandId: string): Promise<boolean> {
  const out = await deps.clients.ssm.send(new ListCommandsCommand({ CommandId: commandId }));
  const command = out.Commands?.[0];
  return command !== undefined && !DEAD.has(command.Status ?? '');
}
