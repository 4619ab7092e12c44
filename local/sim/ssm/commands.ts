/**
 * SSM Run Command: AWS-RunShellScript sent to online hosts. An invocation is not
 * visible for a moment after SendCommand (InvocationDoesNotExist, as in AWS), then
 * Pending → InProgress → Success | Failed | TimedOut. Output is cut as AWS cuts it:
 * the first 24,000 characters of stdout and 8,000 of stderr.
 */
import { SimError } from '../core/errors';
import type { SimState } from '../core/state';
import { hostManager } from '../hosts/manager';

export const STDOUT_LIMIT = 24_000;
export const STDERR_LIMIT = 8_000;

export interface Invocation {
  commandId: string;
  instanceId: string;
  status: 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut' | 'Cancelled';
  visibleAt: number;
  startedAt?: number;
  endedAt?: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CommandRecord {
  commandId: string;
  documentName: string;
  comment?: string;
  parameters: Record<string, string[]>;
  instanceIds: string[];
  requestedAt: number;
  timeoutSeconds: number;
  invocations: Invocation[];
}

function commands(state: SimState): Record<string, CommandRecord> {
  return ((state.ssm.commands as Record<string, CommandRecord> | undefined) ??= {}) as Record<string, CommandRecord>;
}

export function sendCommand(state: SimState, input: Record<string, unknown>): CommandRecord {
  const doc = String(input.DocumentName ?? '');
  if (doc !== 'AWS-RunShellScript') throw new SimError('InvalidDocument', `Document ${doc} does not exist in your account`);
  const params = (input.Parameters ?? {}) as Record<string, string[]>;
  const lines = params.commands;
  if (!Array.isArray(lines) || lines.length === 0) throw new SimError('InvalidParameters', 'Parameter "commands" is required.');
  const ids = (input.InstanceIds ?? []) as string[];
  if (ids.length === 0) throw new SimError('ValidationException', 'InstanceIds or Targets must be specified');
  const manager = hostManager(state);
  const offline = ids.filter((id) => !manager?.hosts.get(id)?.ssmOnline);
  if (offline.length > 0) throw new SimError('InvalidInstanceId', `Instances [[${offline.join(', ')}]] not in a valid state for account ${state.accountId}`);
  const now = state.clock.now();
  const timeoutSeconds = Number(params.executionTimeout?.[0] ?? 3600);
  const rec: CommandRecord = {
    commandId: state.requestId(),
    documentName: doc,
    comment: input.Comment as string | undefined,
    parameters: params,
    instanceIds: ids,
    requestedAt: now,
    timeoutSeconds,
    invocations: ids.map((instanceId) => ({
      commandId: '',
      instanceId,
      status: 'Pending',
      visibleAt: now + state.latency.sample('ssm.invocationVisible') * 1000,
      exitCode: -1,
      stdout: '',
      stderr: '',
    })),
  };
  for (const inv of rec.invocations) inv.commandId = rec.commandId;
  commands(state)[rec.commandId] = rec;
  const script = `${lines.join('\n')}\n`;
  for (const inv of rec.invocations) {
    // The agent picks the command up after the visibility delay.
    state.clock.after(state.latency.sample('ssm.invocationVisible'), () => void run(state, rec, inv, script));
  }
  return rec;
}

async function run(state: SimState, rec: CommandRecord, inv: Invocation, script: string): Promise<void> {
  const manager = hostManager(state);
  if (!manager) return;
  inv.status = 'InProgress';
  inv.startedAt = state.clock.now();
  const path = `/var/lib/amazon/ssm/${inv.instanceId}/document/orchestration/${rec.commandId}/awsrunShellScript/0.awsrunShellScript/_script.sh`;
  const r = await manager.run(inv.instanceId, path, script, rec.timeoutSeconds);
  inv.endedAt = state.clock.now();
  const timedOut = inv.endedAt - inv.startedAt >= rec.timeoutSeconds * 1000 && r.exitCode !== 0;
  inv.exitCode = timedOut ? -1 : r.exitCode;
  inv.stdout = r.stdout.slice(0, STDOUT_LIMIT);
  inv.stderr = r.stderr.slice(0, STDERR_LIMIT);
  if (timedOut) inv.stderr += `\nfailed to run commands: exit status ${r.exitCode}`;
  inv.status = timedOut ? 'TimedOut' : r.exitCode === 0 ? 'Success' : 'Failed';
}

const secs = (ms?: number) => (ms === undefined ? undefined : ms / 1000);
const isoOrEmpty = (ms?: number) => (ms === undefined ? '' : new Date(ms).toISOString());

function statusDetails(inv: Invocation): string {
  return inv.status === 'Pending' ? 'Pending' : inv.status === 'InProgress' ? 'InProgress' : inv.status === 'TimedOut' ? 'ExecutionTimedOut' : inv.status;
}

export function getCommandInvocation(state: SimState, input: Record<string, unknown>): Record<string, unknown> {
  const rec = commands(state)[String(input.CommandId ?? '')];
  const inv = rec?.invocations.find((i) => i.instanceId === input.InstanceId);
  if (!rec || !inv || state.clock.now() < inv.visibleAt) throw new SimError('InvocationDoesNotExist', '');
  return {
    CommandId: rec.commandId,
    InstanceId: inv.instanceId,
    Comment: rec.comment ?? '',
    DocumentName: rec.documentName,
    DocumentVersion: '$DEFAULT',
    PluginName: 'aws:runShellScript',
    ResponseCode: inv.exitCode,
    ExecutionStartDateTime: isoOrEmpty(inv.startedAt),
    ExecutionElapsedTime: inv.startedAt ? `PT${(((inv.endedAt ?? state.clock.now()) - inv.startedAt) / 1000).toFixed(3)}S` : '',
    ExecutionEndDateTime: isoOrEmpty(inv.endedAt),
    Status: inv.status,
    StatusDetails: statusDetails(inv),
    StandardOutputContent: inv.stdout,
    StandardOutputUrl: '',
    StandardErrorContent: inv.stderr,
    StandardErrorUrl: '',
    CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
  };
}

function commandStatus(rec: CommandRecord): string {
  const s = rec.invocations.map((i) => i.status);
  if (s.some((x) => x === 'Pending' || x === 'InProgress')) return s.some((x) => x === 'InProgress') ? 'InProgress' : 'Pending';
  if (s.every((x) => x === 'Success')) return 'Success';
  return s.includes('TimedOut') ? 'TimedOut' : 'Failed';
}

export function commandShape(state: SimState, rec: CommandRecord): Record<string, unknown> {
  const done = rec.invocations.filter((i) => !['Pending', 'InProgress'].includes(i.status));
  return {
    CommandId: rec.commandId,
    DocumentName: rec.documentName,
    DocumentVersion: '$DEFAULT',
    Comment: rec.comment ?? '',
    Parameters: rec.parameters,
    InstanceIds: rec.instanceIds,
    Targets: [],
    RequestedDateTime: secs(rec.requestedAt),
    ExpiresAfter: secs(rec.requestedAt + (rec.timeoutSeconds + 3600) * 1000),
    Status: commandStatus(rec),
    StatusDetails: commandStatus(rec),
    TargetCount: rec.instanceIds.length,
    CompletedCount: done.length,
    ErrorCount: done.filter((i) => i.status !== 'Success').length,
    DeliveryTimedOutCount: 0,
    MaxConcurrency: '50',
    MaxErrors: '0',
    TimeoutSeconds: rec.timeoutSeconds,
    OutputS3BucketName: '',
    OutputS3KeyPrefix: '',
  };
}

/** Commands newest first, optionally one by id or those sent to one instance. */
export function listCommands(state: SimState, commandId?: string, instanceId?: string): CommandRecord[] {
  return Object.values(commands(state))
    .filter((c) => (!commandId || c.commandId === commandId) && (!instanceId || c.instanceIds.includes(instanceId)))
    .sort((a, b) => b.requestedAt - a.requestedAt);
}

export function invocationShape(state: SimState, rec: CommandRecord, inv: Invocation, details: boolean): Record<string, unknown> {
  const hostname = state.instances.get(inv.instanceId)?.privateDnsName ?? '';
  return {
    CommandId: rec.commandId,
    InstanceId: inv.instanceId,
    InstanceName: hostname,
    Comment: rec.comment ?? '',
    DocumentName: rec.documentName,
    DocumentVersion: '$DEFAULT',
    RequestedDateTime: secs(rec.requestedAt),
    Status: inv.status,
    StatusDetails: statusDetails(inv),
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    CommandPlugins: details
      ? [
          {
            Name: 'aws:runShellScript',
            Status: inv.status,
            StatusDetails: statusDetails(inv),
            ResponseCode: inv.exitCode,
            ResponseStartDateTime: secs(inv.startedAt),
            ResponseFinishDateTime: secs(inv.endedAt),
            Output: `${inv.stdout}${inv.stderr ? `\n----------ERROR-------\n${inv.stderr}` : ''}`.slice(0, 2500),
          },
        ]
      : [],
  };
}
