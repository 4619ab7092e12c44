/** `hopper update cluster NAME [--yes]`: the plan of desired vs. actual state; applied with --yes. */
import type { Command } from 'commander';
import type { AcceptedView } from '../../shared/api/types';
import { clusterName, follow, globals, type Ctx } from '../context';
import { println } from '../io';
import { formatData } from '../render/output';
import { isPlan, renderPlan } from '../render/plan';

export function registerUpdate(program: Command, ctx: Ctx): void {
  const update = program.command('update').description('apply desired state to the cloud');
  update
    .command('cluster')
    .description('show the changes (dry run) or apply them with --yes')
    .argument('[name]', 'cluster name (or --name)')
    .option('--name <cluster>', 'cluster name')
    .option('--yes', 'apply the changes')
    .action(async (arg: string | undefined, opts: { yes?: boolean }, cmd: Command) => {
      const { io } = ctx;
      const name = clusterName(arg, cmd);
      const reply = await ctx.client(cmd).updateCluster(name, !opts.yes);
      const format = globals(cmd, io).output;
      if (isPlan(reply)) {
        if (format !== 'table') {
          io.stdout.write(formatData(reply, format));
          return;
        }
        io.stdout.write(renderPlan(reply));
        if (reply.changes.length > 0 && !opts.yes) println(io.stdout, 'Must specify --yes to apply changes');
        if (reply.rollingUpdateRequired) println(io.stdout, `Changes may require instances to restart: hopper rolling-update cluster ${name}`);
        return;
      }
      await follow(ctx, cmd, reply as AcceptedView);
      if (globals(cmd, io).wait) println(io.stdout, 'Cluster changes have been applied to the cloud.');
    });
}
