/**
 * `hopper delete cluster NAME --yes [--delete-backups]`: without --yes, lists what would be
 * deleted and stops. The cluster's etcd backups stay unless --delete-backups says otherwise.
 */
import type { Command } from 'commander';
import { clusterName, follow, globals, type Ctx } from '../context';
import { println } from '../io';
import { table } from '../render/table';

export function registerDelete(program: Command, ctx: Ctx): void {
  const del = program.command('delete').description('delete resources');
  del
    .command('cluster')
    .description('delete a cluster and every cloud resource it owns')
    .argument('[name]', 'cluster name (or --name)')
    .option('--name <cluster>', 'cluster name')
    .option('--yes', 'really delete')
    .option('--delete-backups', "delete the cluster's etcd backups too (kept otherwise, until their retention ends)")
    .action(async (arg: string | undefined, opts: { yes?: boolean; deleteBackups?: boolean }, cmd: Command) => {
      const { io } = ctx;
      const name = clusterName(arg, cmd);
      const client = ctx.client(cmd);
      if (!opts.yes) {
        const view = await client.getCluster(name);
        const owned = view.resources.filter((r) => r.ownership === 'owned');
        const shared = view.resources.filter((r) => r.ownership !== 'owned');
        println(io.stdout, owned.length ? table(['TYPE', 'ID', 'ZONE', 'NAME'], owned.map((r) => [r.type, r.id, r.zone, r.name])) : 'No cloud resources recorded yet.');
        // Brought-your-own VPCs and subnets are only untagged, never deleted: say so.
        if (shared.length) println(io.stdout, `\nKept (not owned by the cluster): ${shared.map((r) => `${r.type}/${r.id}`).join(', ')}`);
        println(io.stdout, opts.deleteBackups ? "\nIts etcd backups are deleted too (--delete-backups)." : "\nIts etcd backups are kept (--delete-backups deletes them too).");
        println(io.stdout, `\nMust specify --yes to delete cluster ${name}`);
        return;
      }
      await follow(ctx, cmd, await client.deleteCluster(name, { deleteBackups: opts.deleteBackups }));
      if (globals(cmd, io).wait) println(io.stdout, `Deleted cluster: "${name}"`);
    });
}
