/**
 * `hopper renew certificates NAME --yes`: renew the control plane's certificates now
 * (`kubeadm certs renew all` on each control plane in turn, its static pods restarted), and
 * follow the operation. Hopper does it by itself when less than 30 days are left; this is for
 * doing it now. Without --yes it says when they expire and changes nothing.
 */
import type { Command } from 'commander';
import { clusterName, follow, type Ctx } from '../context';
import { println } from '../io';

export function registerRenew(program: Command, ctx: Ctx): void {
  const renew = program.command('renew').description('renew credentials');
  renew
    .command('certificates')
    .description("renew the control plane's certificates (kubeadm certs renew all), one control plane at a time")
    .argument('[name]', 'cluster name (or --name)')
    .option('--name <cluster>', 'cluster name')
    .option('--yes', 'renew them now')
    .action(async (arg: string | undefined, opts: { yes?: boolean }, cmd: Command) => {
      const { io } = ctx;
      const name = clusterName(arg, cmd);
      const client = ctx.client(cmd);
      if (!opts.yes) {
        const view = await client.getCluster(name);
        println(io.stdout, view.certificatesExpireAt ? `The certificates of ${name} expire at ${view.certificatesExpireAt}.` : `When the certificates of ${name} expire is not known yet: hopper validate cluster ${name} reads it.`);
        println(io.stdout, 'Must specify --yes to renew them now');
        return;
      }
      await follow(ctx, cmd, await client.renewCertificates(name));
    });
}
