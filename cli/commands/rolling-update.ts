/**
 * `hopper rolling-update cluster NAME`: replace instances that run an old launch template
 * version, control plane first (like kops). Without --yes, shows what would be replaced.
 */
import type { Command } from 'commander';
import type { AcceptedView } from '../../shared/api/types';
import { clusterName, follow, globals, type Ctx } from '../context';
import { println } from '../io';
import { formatData } from '../render/output';
import { isPlan, renderPlan } from '../render/plan';
import { table } from '../render/table';
import { int, list } from '../parse';

interface RollingFlags {
  // Commander names a two-long-flag option after one of them; accept either spelling.
  instanceGroup?: string[];
  instanceGroups?: string[];
  force?: boolean;
  maxSurge?: number;
  maxUnavailable?: number;
  yes?: boolean;
}

export function registerRollingUpdate(program: Command, ctx: Ctx): void {
  const rolling = program.command('rolling-update').description('replace instances, one group at a time');
  rolling
    .command('cluster')
    .description('roll the instances that need it (all of them with --force)')
    .argument('[name]', 'cluster name (or --name)')
    .option('--name <cluster>', 'cluster name')
    .option('--instance-group, --instance-groups <groups>', 'only these groups, comma separated', list)
    .option('--force', 'replace instances even when they are up to date')
    .option('--max-surge <n>', 'extra instances to start before removing old ones', int)
    .option('--max-unavailable <n>', 'instances that may be missing at a time', int)
    .option('--yes', 'perform the rolling update')
    .action(async (arg: string | undefined, opts: RollingFlags, cmd: Command) => {
      const { io } = ctx;
      const name = clusterName(arg, cmd);
      const body = {
        instanceGroups: opts.instanceGroup ?? opts.instanceGroups,
        force: opts.force,
        maxSurge: opts.maxSurge,
        maxUnavailable: opts.maxUnavailable,
        dryRun: !opts.yes,
      };
      const reply = await ctx.client(cmd).rollingUpdate(name, body);
      if (opts.yes && 'operation' in reply) {
        await follow(ctx, cmd, reply as AcceptedView);
        return;
      }
      const format = globals(cmd, io).output;
      if (format !== 'table') io.stdout.write(formatData(reply, format));
      else io.stdout.write(describeDryRun(reply));
      if (!opts.yes) println(io.stdout, 'Must specify --yes to rolling-update.');
    });
}

/**
 * The dry-run reply: a plan, or (like kops) a list of groups with how many instances need
 * replacing. Anything else is shown as YAML rather than dropped.
 */
function describeDryRun(reply: Record<string, unknown>): string {
  if (isPlan(reply)) return renderPlan(reply);
  const groups = reply.instanceGroups;
  if (Array.isArray(groups)) {
    const rows = (groups as Array<Record<string, unknown>>).map((g) => [g.name, g.status, g.needUpdate, g.ready, g.min, g.max, g.nodes] as Array<string | number | undefined>);
    return `${table(['NAME', 'STATUS', 'NEEDUPDATE', 'READY', 'MIN', 'MAX', 'NODES'], rows)}\n`;
  }
  return formatData(reply, 'yaml');
}
