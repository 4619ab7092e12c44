/**
 * `hopper upgrade cluster NAME [--kubernetes-version V] [--yes]`: one minor version at a time.
 * Unlike kops, --yes runs the whole upgrade (new image, kubeadm upgrade, roll), so it is followed.
 */
import type { Command } from 'commander';
import type { AcceptedView } from '../../shared/api/types';
import { clusterName, follow, globals, type Ctx } from '../context';
import { println } from '../io';
import { formatData } from '../render/output';
import { isPlan, renderPlan } from '../render/plan';
import { table } from '../render/table';

export function registerUpgrade(program: Command, ctx: Ctx): void {
  const upgrade = program.command('upgrade').description('upgrade Kubernetes');
  upgrade
    .command('cluster')
    .description('show the target version, or upgrade to it with --yes')
    .argument('[name]', 'cluster name (or --name)')
    .option('--name <cluster>', 'cluster name')
    .option('--kubernetes-version <version>', 'target version (default: the next one)')
    .option('--yes', 'perform the upgrade')
    .action(async (arg: string | undefined, opts: { kubernetesVersion?: string; yes?: boolean }, cmd: Command) => {
      const { io } = ctx;
      const name = clusterName(arg, cmd);
      const body = opts.kubernetesVersion ? { kubernetesVersion: opts.kubernetesVersion } : {};
      const reply = await ctx.client(cmd).upgrade(name, body, !opts.yes);
      if (opts.yes && 'operation' in reply) {
        await follow(ctx, cmd, reply as AcceptedView);
        return;
      }
      const format = globals(cmd, io).output;
      if (format !== 'table') {
        io.stdout.write(formatData(reply, format));
      } else if (isPlan(reply)) {
        io.stdout.write(renderPlan(reply));
      } else {
        io.stdout.write(versionChange(reply));
      }
      if (!opts.yes) println(io.stdout, 'Must specify --yes to perform the upgrade');
    });
}

/** kops's `ITEM PROPERTY OLD NEW` table, from whichever names the reply uses for the versions. */
function versionChange(reply: Record<string, unknown>): string {
  const from = reply.from ?? reply.current ?? reply.currentVersion;
  const to = reply.to ?? reply.target ?? reply.targetVersion ?? reply.kubernetesVersion;
  if (typeof from !== 'string' && typeof to !== 'string') return formatData(reply, 'yaml');
  return `${table(['ITEM', 'PROPERTY', 'OLD', 'NEW'], [['Cluster', 'KubernetesVersion', from as string, to as string]])}\n`;
}
