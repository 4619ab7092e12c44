/**
 * `hopper describe operation ID`: one operation's whole history, as `kubectl describe` shows
 * an object — what it was asked, how it ended, and every stage with its attempts, start
 * (from the operation's), duration, error and detail (the plan, a batch's replacements, the
 * validation report). `-o yaml|json` prints the operation as the API returns it.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { OperationView, StepView } from '../../shared/api/types';
import { globals, type Ctx } from '../context';
import { formatData } from '../render/output';
import { formatDuration } from '../render/progress';
import { table } from '../render/table';

export function registerDescribe(program: Command, ctx: Ctx): void {
  const describe = program.command('describe').description('show one object in full (operation)');

  describe
    .command('operation')
    .alias('op')
    .description('an operation: its request, outcome and every stage with attempts, durations, errors and details')
    .argument('<id>', 'operation id (from `hopper get operations NAME`)')
    .action(async (id: string, _opts, cmd: Command) => {
      const { io } = ctx;
      const op = await ctx.client(cmd).getOperation(id);
      const format = globals(cmd, io).output;
      io.stdout.write(format === 'table' ? describeOperation(op) : formatData(op, format));
    });
}

/** The human form, ending with a newline. */
export function describeOperation(op: OperationView, at = Date.now()): string {
  const ended = op.endedAt ? Date.parse(op.endedAt) : undefined;
  // A stage the record left running stops its clock when the operation ended.
  const now = ended ?? at;
  const lines = [
    field('Operation', op.id),
    field('Cluster', op.cluster),
    field('Type', op.type),
    field('Status', op.status),
    field('Started', op.startedAt),
    field('Ended', op.endedAt ?? `- (running for ${formatDuration(now - Date.parse(op.startedAt))})`),
  ];
  if (ended !== undefined) lines.push(field('Duration', formatDuration(ended - Date.parse(op.startedAt))));
  if (op.executionArn) lines.push(field('Execution', op.executionArn));
  if (op.error) lines.push(field('Error', `${op.error.code}${op.error.step ? ` in ${op.error.step}` : ''}: ${op.error.message}`));
  const request = (op.input as { request?: unknown } | undefined)?.request;
  if (request !== undefined && !(typeof request === 'object' && request !== null && Object.keys(request).length === 0)) {
    lines.push('Request:', indent(stringify(request)));
  }
  lines.push('Stages:');
  lines.push(
    indent(
      op.steps.length === 0
        ? '(none yet)'
        : table(
            ['STAGE', 'STATUS', 'ATTEMPTS', 'STARTED', 'DURATION', 'ERROR'],
            op.steps.map((s) => [s.name, s.status, s.attempts ?? 1, offset(op, s), duration(s, now, ended === undefined), s.error ? `${s.error.code}: ${oneLine(s.error.message)}` : undefined]),
          ),
    ),
  );
  const detailed = op.steps.filter((s) => s.detail !== undefined);
  if (detailed.length) {
    lines.push('Details:');
    for (const s of detailed) lines.push(indent(`${s.name}:`), indent(stringify(s.detail), 4));
  }
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

function field(name: string, value: string): string {
  return `${`${name}:`.padEnd(11)}${value}`;
}

/** When a stage began, from the operation's start (`+1m32s`). */
function offset(op: OperationView, s: StepView): string | undefined {
  return s.startedAt ? `+${formatDuration(Date.parse(s.startedAt) - Date.parse(op.startedAt))}` : undefined;
}

function duration(s: StepView, now: number, running: boolean): string | undefined {
  if (!s.startedAt) return undefined;
  const took = formatDuration((s.endedAt ? Date.parse(s.endedAt) : now) - Date.parse(s.startedAt));
  return s.endedAt || !running ? took : `${took} so far`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

function indent(text: string, by = 2): string {
  const pad = ' '.repeat(by);
  return text
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}
