/**
 * sendScript: run a rendered bash script on instances over SSM Run Command
 * (AWS-RunShellScript). Not a step: the helper every command-sending step uses
 * (InstallPackages, InitControlPlane, JoinControlPlane, drains, upgrades…).
 *
 * AWS-RunShellScript writes its `commands` into a file and hands it to a shell the
 * document does not let us choose, and it joins the lines itself. A rendered script must
 * instead run as what it was written as: a bash file with `set -euo pipefail` in force
 * from its first line. So the single command is a small POSIX-sh wrapper that writes the
 * script, unexpanded, into a root-only temp file through a quoted heredoc and runs it
 * with `/bin/bash`; the script's exit status is the command's.
 */
import { createHash } from 'node:crypto';
import { ListCommandsCommand, SendCommandCommand, type Command } from '@aws-sdk/client-ssm';
import { StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';

export const RUN_SHELL_SCRIPT = 'AWS-RunShellScript';

/**
 * SSM caps a document's parameters; keep well below it so a large script fails here with
 * a clear message rather than as an opaque ValidationException.
 */
export const MAX_SCRIPT_BYTES = 48 * 1024;

export interface SendScriptInput {
  instanceIds: string[];
  /** The rendered script (starts with `#!/bin/bash` and `set -euo pipefail`). */
  script: string;
  /**
   * Shown in the SSM console and used to recognise a command already sent (at most 100
   * characters): make it name the step and the cluster, e.g. `hopper demo InstallPackages`.
   */
  comment: string;
  /** How long the script may run on the instance before SSM marks it TimedOut. */
  timeoutSeconds: number;
}

/** Commands in these states will not produce a result: sending again is right. */
const DEAD = new Set(['Failed', 'Cancelled', 'TimedOut', 'Cancelling']);

/**
 * The one-entry `commands` list: a POSIX-sh wrapper that runs `script` with bash from a
 * file. Exported for tests and for steps that need the exact text.
 */
export function wrapScript(script: string): string {
  // A terminator that cannot occur in the script: derived from its own hash.
  const end = `HOPPER_SCRIPT_${createHash('sha256').update(script).digest('hex').slice(0, 16)}`;
  if (script.split('\n').includes(end)) throw new StepFailedError('script holds its own heredoc terminator');
  const body = script.endsWith('\n') ? script : `${script}\n`;
  return [
    // Runs under whatever shell the agent picks (sh or bash): plain POSIX sh only here.
    'umask 077',
    'hopper_script=$(mktemp /tmp/hopper-script.XXXXXXXX) || exit 1',
    `cat >"$hopper_script" <<'${end}'`,
    `${body}${end}`,
    'hopper_status=0',
    // A separate bash process: the script's own `set -euo pipefail` is fully in force.
    '/bin/bash "$hopper_script" || hopper_status=$?',
    'rm -f "$hopper_script"',
    'exit "$hopper_status"',
  ].join('\n');
}

/**
 * Send `script` to `instanceIds`, or return the command already sent with the same comment,
 * document and instances that is still pending, running or done — so a step retried after
 * a lost response does not run the script twice. Returns the command id.
 */
export async function sendScript(deps: StepDeps, input: SendScriptInput): Promise<string> {
  if (input.instanceIds.length === 0) throw new StepFailedError('sendScript: no instances to run the script on');
  if (Buffer.byteLength(input.script) > MAX_SCRIPT_BYTES) {
    throw new StepFailedError(`${input.comment}: the script is ${Buffer.byteLength(input.script)} bytes, over the ${MAX_SCRIPT_BYTES} bytes SSM accepts`);
  }
  const comment = input.comment.slice(0, 100);
  const existing = await findSentCommand(deps, input.instanceIds, comment);
  if (existing?.CommandId) return existing.CommandId;
  const out = await deps.clients.ssm.send(
    new SendCommandCommand({
      DocumentName: RUN_SHELL_SCRIPT,
      InstanceIds: input.instanceIds,
      Comment: comment,
      Parameters: {
        commands: [wrapScript(input.script)],
        executionTimeout: [String(input.timeoutSeconds)],
      },
      // Delivery: how long SSM keeps trying to reach an instance that is not online yet.
      TimeoutSeconds: 600,
    }),
  );
  const id = out.Command?.CommandId;
  if (!id) throw new StepFailedError(`${comment}: SendCommand returned no command id`);
  return id;
}

/** The newest live command with this comment on exactly these instances, if any. */
async function findSentCommand(deps: StepDeps, instanceIds: string[], comment: string): Promise<Command | undefined> {
  const wanted = [...instanceIds].sort().join(',');
  let nextToken: string | undefined;
  const matches: Command[] = [];
  do {
    const page = await deps.clients.ssm.send(
      new ListCommandsCommand({
        InstanceId: instanceIds[0],
        Filters: [{ key: 'DocumentName', value: RUN_SHELL_SCRIPT }],
        NextToken: nextToken,
      }),
    );
    for (const c of page.Commands ?? []) {
      if (c.Comment !== comment || c.DocumentName !== RUN_SHELL_SCRIPT || DEAD.has(c.Status ?? '')) continue;
      if ([...(c.InstanceIds ?? [])].sort().join(',') !== wanted) continue;
      matches.push(c);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  matches.sort((a, b) => (b.RequestedDateTime?.getTime() ?? 0) - (a.RequestedDateTime?.getTime() ?? 0));
  return matches[0];
}
