/**
 * `hopper export kubeconfig NAME [--kubeconfig PATH|-] [--ttl 8h]`: merge a short-lived client
 * certificate of the caller's own (default one hour) into a kubeconfig (default $KUBECONFIG or
 * ~/.kube/config), mode 0600, and make it the current context. Run it again when it expires.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { parse, stringify } from 'yaml';
import { clusterName, type Ctx } from '../context';
import { CliError } from '../errors';
import { println } from '../io';

interface Named {
  name: string;
  [key: string]: unknown;
}

interface KubeConfig {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  [key: string]: unknown;
}

export function registerExport(program: Command, ctx: Ctx): void {
  const exp = program.command('export').description('export credentials');
  exp
    .command('kubeconfig')
    .description('write the cluster\'s kubeconfig (merged into an existing file)')
    .argument('[name]', 'cluster name (or --name)')
    .option('--name <cluster>', 'cluster name')
    .option('--kubeconfig <path>', 'file to write, or - for stdout')
    .option('--ttl <duration>', 'how long the credentials stay valid, 10m to 24h (default 1h)')
    .action(async (arg: string | undefined, opts: { kubeconfig?: string; ttl?: string }, cmd: Command) => {
      const { io } = ctx;
      const name = clusterName(arg, cmd);
      const served = await ctx.client(cmd).kubeconfig(name, opts.ttl);
      const incoming = scopeToCluster(parseConfig(served.kubeconfig, 'the API reply'), name);
      if (served.note) io.stderr.write(`warning: ${served.note}\n`);
      if (opts.kubeconfig === '-') {
        io.stdout.write(stringify(incoming));
        return;
      }
      const path = opts.kubeconfig ?? io.env.KUBECONFIG?.split(delimiter)[0] ?? join(io.env.HOME ?? homedir(), '.kube', 'config');
      const existing = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw new CliError(`cannot read ${path}: ${err.message}`);
      });
      const merged = existing?.trim() ? mergeKubeconfig(parseConfig(existing, path), incoming) : incoming;
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFile(path, stringify(merged), { mode: 0o600 });
      // writeFile's mode only applies to new files; credentials must not stay world-readable.
      await chmod(path, 0o600);
      const valid = served.expiresAt ? `; valid until ${served.expiresAt}${served.user ? ` for ${served.user}` : ''}` : '';
      println(io.stdout, `kubeconfig for ${name} written to ${path} (context "${merged['current-context'] ?? name}"${valid})`);
    });
}

/**
 * The served kubeconfig is kubeadm's admin.conf, whose user (`kubernetes-admin`) and context
 * (`kubernetes-admin@<cluster>`) are the same in every cluster: merged as they are, a second
 * cluster's credentials would silently replace the first's. As kops does, the cluster, the
 * user and the context are all named after the Hopper cluster.
 */
export function scopeToCluster(config: KubeConfig, name: string): KubeConfig {
  const current = config.contexts?.find((c) => c.name === config['current-context']) ?? config.contexts?.[0];
  const context = (current?.context ?? {}) as { cluster?: string; user?: string; [key: string]: unknown };
  const cluster = config.clusters?.find((c) => c.name === context.cluster) ?? config.clusters?.[0];
  const user = config.users?.find((u) => u.name === context.user) ?? config.users?.[0];
  if (!cluster || !user) throw new CliError(`the kubeconfig served for ${name} names no cluster or no user`);
  return {
    ...config,
    clusters: [{ ...cluster, name }],
    users: [{ ...user, name }],
    contexts: [{ ...current, name, context: { ...context, cluster: name, user: name } }],
    'current-context': name,
  };
}

/**
 * Entries of `incoming` replace same-named ones in `base`; the rest of `base` is kept, and the
 * current context moves to the incoming one (as kops export kubecfg does).
 */
export function mergeKubeconfig(base: KubeConfig, incoming: KubeConfig): KubeConfig {
  const merge = (a: Named[] = [], b: Named[] = []): Named[] => [...a.filter((x) => !b.some((y) => y.name === x.name)), ...b];
  return {
    ...base,
    apiVersion: base.apiVersion ?? incoming.apiVersion ?? 'v1',
    kind: base.kind ?? incoming.kind ?? 'Config',
    clusters: merge(base.clusters, incoming.clusters),
    users: merge(base.users, incoming.users),
    contexts: merge(base.contexts, incoming.contexts),
    'current-context': incoming['current-context'] ?? base['current-context'],
  };
}

function parseConfig(text: string, where: string): KubeConfig {
  try {
    const doc = parse(text) as unknown;
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) return doc as KubeConfig;
  } catch {
    // fall through to the error below
  }
  throw new CliError(`${where} is not a kubeconfig (YAML mapping)`);
}
