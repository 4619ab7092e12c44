/**
 * `hopper restore cluster NAME --backup ID --yes`: restore the cluster's etcd from one of its
 * backups (`hopper get backups NAME` lists them) on every control plane, and follow the
 * operation. Everything written to the cluster since the backup was taken is lost, so without
 * --yes it names the backup and what it would do, and changes nothing.
 */
import type { Command } from 'commander';
import { clusterName, follow, type Ctx } from '../context';
import { println } from '../io';

export function registerRestore(program: Command, ctx: Ctx): void {
  const restore = program.command('restore').description('restore from a backup');
  restore
    .command('cluster')
    .description("restore a cluster's etcd from one of its backups, on every control plane, then validate")
    .argument('[name]', 'cluster name (or --name)')
    .option('--name <cluster>', 'cluster name')
    .requiredOption('--backup <id>', 'the backup to restore (hopper get backups NAME lists them)')
    .option('--yes', 'restore now')
    .action(async (arg: string | undefined, opts: { backup: string; yes?: boolean }, cmd: Command) => {
      const { io } = ctx;
      const name = clusterName(arg, cmd);
      const client = ctx.client(cmd);
      if (!opts.yes) {
        const list = await client.listBackups(name);
        const found = list.backups.find((b) => b.id === opts.backup);
        if (!found) {
          println(io.stdout, `Cluster ${name} has no backup ${opts.backup}: hopper get backups ${name} lists them.`);
          return;
        }
        println(io.stdout, `Would restore ${name} to backup ${found.id} (taken ${found.takenAt}${found.revision !== undefined ? `, revision ${found.revision}` : ''}).`);
        println(io.stdout, 'The API servers stop while etcd is restored on every control plane; everything written to the cluster since then is lost.');
        println(io.stdout, 'Must specify --yes to restore');
        return;
      }
      await follow(ctx, cmd, await client.restoreCluster(name, opts.backup));
    });
}
