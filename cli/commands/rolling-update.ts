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

/** What a rolling update would replace (the `plan` of the API's reply: functions/rolling/common.ts planView). */
interface RollingPlan {
  controlPlane?: { replace?: { seat?: string; instanceId?: string | null; reason?: string }[]; skipped?: string };
  instanceGroups?: { name: string; desired?: number; upToDate?: number; replace?: { instanceId: string; reason?: string }[] }[];
  remaining?: number;
  message?: string;
}

/**
 * The dry-run reply, as kops shows it: a row per group with how many instances need
 * replacing, then each of them with why. Anything else is shown as YAML rather than dropped.
 */
function describeDryRun(reply: Record<string, unknown>): string {
  if (isPlan(reply)) return renderPlan(reply);
  const plan = reply.plan as RollingPlan | undefined;
  if (!plan || !Array.isArray(plan.instanceGroups)) return formatData(reply, 'yaml');
  const status = (n: number) => (n > 0 ? 'NeedsUpdate' : 'Ready');
  const cp = plan.controlPlane?.replace ?? [];
  const rows: Array<Array<string | number | undefined>> = [
    ['control-plane', plan.controlPlane?.skipped ? 'Skipped' : status(cp.length), cp.length, undefined, undefined],
    ...plan.instanceGroups.map((g) => [g.name, status(g.replace?.length ?? 0), g.replace?.length ?? 0, g.upToDate, g.desired]),
  ];
  const lines = [table(['NAME', 'STATUS', 'NEEDUPDATE', 'UPTODATE', 'DESIRED'], rows)];
  for (const r of cp) lines.push(`  ${r.seat ?? 'control plane'}${r.instanceId ? ` (${r.instanceId})` : ''}: ${r.reason ?? 'replace'}`);
  if (plan.controlPlane?.skipped) lines.push(`  control plane skipped: ${plan.controlPlane.skipped}`);
  for (const g of plan.instanceGroups) for (const r of g.replace ?? []) lines.push(`  ${g.name} ${r.instanceId}: ${r.reason ?? 'replace'}`);
  if (plan.message) lines.push(plan.message);
  return `${lines.join('\n')}\n`;
}
