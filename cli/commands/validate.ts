/**
 * `hopper validate cluster NAME [--wait 10m]`: kops's validation report (instance groups,
 * node status, validation errors). Exit 0 when valid, 2 when not (after --wait runs out).
 */
import type { Command } from 'commander';
import type { ValidationView } from '../client';
import { clusterName, globals, pollMs, type Ctx } from '../context';
import { CliError } from '../errors';
import { println } from '../io';
import { formatData } from '../render/output';
import { formatDuration } from '../render/progress';
import { table } from '../render/table';
import { duration } from '../parse';
import { groupsTable } from './get';

export function registerValidate(program: Command, ctx: Ctx): void {
  const validate = program.command('validate').description('check that a cluster works');
  validate
    .command('cluster')
    .description('validate a cluster; --wait retries until it passes or the time is up')
    .argument('[name]', 'cluster name (or --name)')
    .option('--name <cluster>', 'cluster name')
    .option('--wait <duration>', 'keep trying for this long (e.g. 10m)', duration)
    .action(async (arg: string | undefined, opts: { wait?: number }, cmd: Command) => {
      const { io } = ctx;
      const name = clusterName(arg, cmd);
      const client = ctx.client(cmd);
      const format = globals(cmd, io).output;
      const deadline = Date.now() + (opts.wait ?? 0);
      // kops retries every 10s; HOPPER_POLL_MS shortens it for tests.
      const interval = pollMs(io, 10_000);
      if (format === 'table') println(io.stdout, `Validating cluster ${name}`);
      let result = await client.validate(name);
      while (!result.ok && Date.now() + interval <= deadline) {
        io.stderr.write(`Validation failed (${result.failures.length} problem${result.failures.length === 1 ? '' : 's'}); retrying in ${Math.round(interval / 1000)}s\n`);
        await new Promise((resolve) => setTimeout(resolve, interval));
        result = await client.validate(name);
      }
      if (format !== 'table') {
        io.stdout.write(formatData(result, format));
      } else {
        const view = await client.getCluster(name).catch(() => undefined);
        io.stdout.write(report(name, result, view ? `${groupsTable(view.instanceGroups)}\n` : ''));
      }
      if (!result.ok) throw new CliError(`cluster ${name} is not valid${opts.wait ? ` after waiting ${formatDuration(opts.wait)}` : ''}`, 2);
    });
}

/** The kops layout: INSTANCE GROUPS, NODE STATUS, VALIDATION ERRORS, verdict. */
export function report(name: string, result: ValidationView, groups: string): string {
  const out: string[] = [];
  if (groups) out.push('INSTANCE GROUPS', groups);
  if (result.nodes.length > 0) {
    out.push('NODE STATUS');
    out.push(table(['NAME', 'ROLE', 'READY'], result.nodes.map((n) => [n.name, n.role, n.ready === undefined ? undefined : String(n.ready)])), '');
  }
  if (result.warnings?.length) {
    out.push('WARNINGS');
    out.push(table(['KIND', 'NAME', 'MESSAGE'], result.warnings.map((w) => [w.kind, w.name, w.message])), '');
  }
  if (result.failures.length > 0) {
    out.push('VALIDATION ERRORS');
    out.push(table(['KIND', 'NAME', 'MESSAGE'], result.failures.map((f) => [f.kind, f.name, f.message])), '');
    out.push(`Validation failed: cluster ${name} is not yet healthy`);
  } else if (result.ok) {
    out.push(`Your cluster ${name} is ready`);
  } else {
    out.push(`Validation failed: cluster ${name} is not yet healthy`);
  }
  return `${out.join('\n')}\n`;
}
