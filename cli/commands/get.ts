/** `hopper get clusters|cluster NAME|ig|operations|backups|events`: tables by default, `-o yaml|json` for scripts. */
import type { Command } from 'commander';
import type { BackupsList, ClusterSummary, ClusterView, EventsList, InstanceGroupView, OperationView } from '../../shared/api/types';
import { clusterName, globals, type Ctx } from '../context';
import { CliError } from '../errors';
import { println } from '../io';
import { formatData } from '../render/output';
import { formatDuration } from '../render/progress';
import { table } from '../render/table';

export function registerGet(program: Command, ctx: Ctx): void {
  const get = program.command('get').description('list clusters, instance groups and operations');

  get
    .command('clusters')
    .alias('cluster')
    .description('list clusters, or show one (-o yaml prints its spec; --full with every default)')
    .argument('[name]', 'a cluster name')
    .option('--full', 'with -o yaml|json: the spec with every default filled in')
    .action(async (name: string | undefined, opts: { full?: boolean }, cmd: Command) => {
      const { io } = ctx;
      const client = ctx.client(cmd);
      const format = globals(cmd, io).output;
      if (!name) {
        const clusters = await client.listClusters();
        io.stdout.write(format === 'table' ? `${clustersTable(clusters)}\n` : formatData(clusters, format));
        return;
      }
      if (format !== 'table') {
        // The spec, like `kops get cluster -o yaml`: it round-trips through `hopper create -f`.
        const spec = opts.full ? await client.getSpec(name) : (await client.getCluster(name)).spec;
        io.stdout.write(formatData(spec, format));
        return;
      }
      const view = await client.getCluster(name);
      println(io.stdout, clustersTable([summaryOf(view)]));
      println(io.stdout, `\n${lastBackupLine(view.lastBackup)}`);
      if (view.serviceAccountIssuer) println(io.stdout, issuerLines(view.serviceAccountIssuer));
    });

  get
    .command('instancegroups')
    .aliases(['ig', 'instancegroup'])
    .description('list a cluster\'s instance groups (hopper get ig --name CLUSTER [GROUP], or get ig CLUSTER)')
    .argument('[name]', 'the cluster when --name is absent; otherwise a group to show')
    .option('--name <cluster>', 'cluster name')
    .action(async (arg: string | undefined, opts: { name?: string }, cmd: Command) => {
      const { io } = ctx;
      // kops takes the cluster from --name and the group as the argument; `get ig CLUSTER` is a shorthand.
      const cluster = opts.name ?? clusterName(arg, cmd);
      const only = opts.name ? arg : undefined;
      const view = await ctx.client(cmd).getCluster(cluster);
      const groups = only ? view.instanceGroups.filter((g) => g.name === only) : view.instanceGroups;
      if (only && groups.length === 0) throw new CliError(`instance group "${only}" not found in cluster ${cluster}`);
      const format = globals(cmd, io).output;
      io.stdout.write(format === 'table' ? `${groupsTable(groups)}\n` : formatData(only ? groups[0] : groups, format));
    });

  get
    .command('backups')
    .alias('backup')
    .description("list a cluster's etcd backups, newest first, and the age of the last one")
    .argument('<name>', 'cluster name')
    .action(async (name: string, _opts, cmd: Command) => {
      const { io } = ctx;
      const list = await ctx.client(cmd).listBackups(name);
      const format = globals(cmd, io).output;
      io.stdout.write(format === 'table' ? `${backupsTable(list)}\n` : formatData(list, format));
    });

  get
    .command('events')
    .description("a cluster's events, newest first: scaling, repairs, scheduled upgrades, certificate renewals")
    .argument('<name>', 'cluster name')
    .action(async (name: string, _opts, cmd: Command) => {
      const { io } = ctx;
      const list = await ctx.client(cmd).listEvents(name);
      const format = globals(cmd, io).output;
      io.stdout.write(format === 'table' ? `${eventsTable(list)}\n` : formatData(list, format));
    });

  get
    .command('operations')
    .alias('operation')
    .description('list the operations of a cluster, or of every cluster')
    .argument('[name]', 'cluster name')
    .action(async (name: string | undefined, _opts, cmd: Command) => {
      const { io } = ctx;
      const client = ctx.client(cmd);
      // There is no global operations route: without a name, ask each cluster.
      const names = name ? [name] : (await client.listClusters()).map((c) => c.name);
      const ops = (await Promise.all(names.map((n) => client.listOperations(n)))).flat();
      ops.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      const format = globals(cmd, io).output;
      io.stdout.write(format === 'table' ? `${operationsTable(ops)}\n` : formatData(ops, format));
    });
}

export function backupsTable(list: BackupsList): string {
  const rows = table(
    ['ID', 'TAKEN', 'REVISION', 'SIZE', 'SHA256'],
    list.backups.map((b) => [b.id, b.takenAt, b.revision ?? '', b.sizeBytes, (b.sha256 ?? '').slice(0, 16)]),
  );
  const age = list.lastBackupAgeSeconds === null ? 'no backup yet' : `last backup ${formatDuration(list.lastBackupAgeSeconds * 1000)} ago`;
  return `${rows}\n${age} (every ${list.intervalMinutes} minutes)${list.overdue ? ': OVERDUE' : ''}`;
}

/** The newest etcd backup as `get cluster` shows it: its age first, since that is what goes wrong. */
export function lastBackupLine(last: ClusterView['lastBackup']): string {
  if (!last) return 'Last etcd backup:       none (hopper get backups NAME)';
  return `Last etcd backup:       ${formatDuration(last.ageSeconds * 1000)} ago (${last.id})${last.overdue ? ' — OVERDUE: older than twice the backup interval' : ''}`;
}

/** What a pod role's trust policy names: the issuer's provider and the audience of the pod's token. */
export function issuerLines(issuer: NonNullable<ClusterView['serviceAccountIssuer']>): string {
  return [`\nService-account issuer: ${issuer.url}`, `IAM OIDC provider:      ${issuer.providerArn ?? '(not created yet)'}`, `Token audience:         ${issuer.audience}`].join('\n');
}

export function eventsTable(list: EventsList): string {
  if (list.events.length === 0) return 'No events.';
  return table(['AGE', 'TYPE', 'MESSAGE'], list.events.map((e) => [formatDuration(Date.now() - Date.parse(e.at)), e.type, e.message]));
}

export function clustersTable(clusters: ClusterSummary[]): string {
  return table(
    ['NAME', 'STATUS', 'REGION', 'VERSION', 'ZONES'],
    clusters.map((c) => [c.name, c.status, c.region, c.kubernetesVersion, c.zones.join(',')]),
  );
}

export function groupsTable(groups: InstanceGroupView[]): string {
  return table(
    ['NAME', 'ROLE', 'MACHINETYPE', 'MIN', 'MAX', 'ZONES'],
    groups.map((g) => [g.name, g.role, g.machineType, g.min, g.max, g.zones.join(',')]),
  );
}

export function operationsTable(ops: OperationView[]): string {
  return table(
    ['ID', 'CLUSTER', 'TYPE', 'STATUS', 'STEP', 'STARTED', 'DURATION'],
    ops.map((op) => [
      op.id,
      op.cluster,
      op.type,
      op.status,
      op.error?.step ?? op.currentStep,
      op.startedAt,
      formatDuration((op.endedAt ? Date.parse(op.endedAt) : Date.now()) - Date.parse(op.startedAt)),
    ]),
  );
}

/** A ClusterView as the list route summarises it. */
function summaryOf(view: ClusterView): ClusterSummary {
  const spec = view.spec as { region?: string; zones?: string[] };
  return {
    name: view.name,
    status: view.status,
    region: spec.region ?? '',
    kubernetesVersion: view.kubernetesVersion,
    zones: spec.zones ?? [],
    createdAt: view.createdAt,
  };
}
