/**
 * A small stateful SSM Run Command fake for the command-sending steps, used while the
 * simulator's SSM service is not there: SendCommand, ListCommands, GetCommandInvocation,
 * DescribeInstanceInformation. Commands stay `InProgress` until the test finishes them.
 */
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { StepDeps } from '../../functions/lib/deps';

export interface FakeCommand {
  CommandId: string;
  Comment: string;
  DocumentName: string;
  InstanceIds: string[];
  Parameters: Record<string, string[]>;
  Status: string;
  RequestedDateTime: Date;
  stdout: string;
  stderr: string;
  /** When the test finished it (ExecutionEndDateTime). */
  EndedAt?: Date;
}

export class FakeSsm {
  commands: FakeCommand[] = [];
  online = new Set<string>();
  private counter = 0;

  /** The script a command runs (the heredoc body sendScript wraps it in). */
  script(c: FakeCommand): string {
    const wrapped = c.Parameters.commands[0];
    const start = wrapped.indexOf('\n', wrapped.indexOf("<<'")) + 1;
    const end = wrapped.lastIndexOf('\nHOPPER_SCRIPT_');
    return wrapped.slice(start, end + 1);
  }

  finish(commandId: string, status: string, stdout = '', stderr = ''): void {
    const c = this.commands.find((x) => x.CommandId === commandId)!;
    Object.assign(c, { Status: status, stdout, stderr, EndedAt: new Date() });
  }

  async send(command: unknown): Promise<unknown> {
    if (command instanceof SendCommandCommand) {
      const input = command.input;
      const c: FakeCommand = {
        CommandId: `cmd-${++this.counter}`,
        Comment: input.Comment ?? '',
        DocumentName: input.DocumentName!,
        InstanceIds: input.InstanceIds ?? [],
        Parameters: input.Parameters as Record<string, string[]>,
        Status: 'InProgress',
        RequestedDateTime: new Date(Date.now() + this.counter),
        stdout: '',
        stderr: '',
      };
      this.commands.push(c);
      return { Command: { ...c } };
    }
    if (command instanceof ListCommandsCommand) {
      const input = command.input;
      const found = this.commands.filter(
        (c) => (!input.CommandId || c.CommandId === input.CommandId) && (!input.InstanceId || c.InstanceIds.includes(input.InstanceId)),
      );
      return { Commands: found.map((c) => ({ ...c })) };
    }
    if (command instanceof GetCommandInvocationCommand) {
      const c = this.commands.find((x) => x.CommandId === command.input.CommandId && x.InstanceIds.includes(command.input.InstanceId!));
      if (!c) throw Object.assign(new Error('no invocation'), { name: 'InvocationDoesNotExist' });
      return {
        Status: c.Status,
        StandardOutputContent: c.stdout,
        StandardErrorContent: c.stderr,
        ResponseCode: c.Status === 'Success' ? 0 : 1,
        ExecutionEndDateTime: c.EndedAt?.toISOString() ?? '',
      };
    }
    if (command instanceof DescribeInstanceInformationCommand) {
      const ids = command.input.Filters?.[0]?.Values ?? [];
      return { InstanceInformationList: ids.filter((id) => this.online.has(id)).map((InstanceId) => ({ InstanceId, PingStatus: 'Online' })) };
    }
    throw new Error(`FakeSsm: ${(command as object).constructor.name} not supported`);
  }
}

/** `deps` with SSM answered by `fake`. */
export function withFakeSsm(deps: StepDeps, fake: FakeSsm): StepDeps {
  return { ...deps, clients: { ...deps.clients, ssm: fake as unknown as SSMClient } };
}
