/**
 * `hopper edit ig --name CLUSTER GROUP`: the group as YAML in $VISUAL/$EDITOR (like kops edit),
 * then PUT back as desired state. Nothing changes in the cloud until `hopper update cluster`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Command } from 'commander';
import { parse, stringify } from 'yaml';
import type { InstanceGroupSpec } from '../client';
import { clusterName, type Ctx } from '../context';
import { ApiError, CliError, detailLines } from '../errors';
import { println } from '../io';

/** The fields the instance-group route takes; anything else in the stored spec is not editable here. */
const EDITABLE = ['name', 'machineType', 'min', 'max', 'zones', 'labels', 'taints', 'image', 'imageId', 'spot', 'rootVolumeSize'] as const;

const HEADER = [
  '# Edit the instance group below and save to apply it as desired state.',
  '# Lines beginning with "#" are ignored; an unchanged file cancels the edit.',
  '# Apply to the cloud afterwards with: hopper update cluster CLUSTER --yes',
  '',
].join('\n');

export function registerEdit(program: Command, ctx: Ctx): void {
  const edit = program.command('edit').description('edit desired state in $EDITOR');
  edit
    .command('instancegroup')
    .aliases(['ig', 'instancegroups'])
    .description('edit an instance group (hopper edit ig --name CLUSTER GROUP)')
    .argument('<group>', 'instance group name')
    .option('--name <cluster>', 'cluster name')
    .action(async (groupName: string, _opts, cmd: Command) => {
      const { io } = ctx;
      const cluster = clusterName(undefined, cmd);
      const client = ctx.client(cmd);
      const original = await loadGroup(ctx, cmd, cluster, groupName);

      const dir = await mkdtemp(join(tmpdir(), 'hopper-edit-'));
      const file = join(dir, `${cluster}-${groupName}.yaml`);
      try {
        const before = `${HEADER.replace('CLUSTER', cluster)}${stringify(original)}`;
        await writeFile(file, before, { mode: 0o600 });
        await runEditor(io.env.VISUAL || io.env.EDITOR || 'vi', file);
        const after = await readFile(file, 'utf8');
        let edited: unknown;
        try {
          edited = parse(after);
        } catch (err) {
          throw new CliError(`the edited file is not valid YAML; no changes made`, 1, [`  - ${(err as Error).message}`]);
        }
        if (after === before || isDeepStrictEqual(edited, original)) {
          println(io.stdout, 'Edit cancelled: no changes made.');
          return;
        }
        if (!edited || typeof edited !== 'object' || Array.isArray(edited)) {
          throw new CliError('the edited file must hold one instance group (a mapping); no changes made');
        }
        const group = edited as InstanceGroupSpec;
        if (group.name !== groupName) throw new CliError(`the group name cannot be changed (was "${groupName}", now "${String(group.name)}")`);
        try {
          await client.putInstanceGroup(cluster, group);
        } catch (err) {
          if (err instanceof ApiError) {
            throw new CliError(`instance group "${groupName}" was not saved: ${err.message}`, 1, detailLines(err.details));
          }
          throw err;
        }
        println(io.stdout, `Instance group "${groupName}" of cluster ${cluster} updated (desired state).`);
        println(io.stdout, `Preview the change with: hopper update cluster ${cluster}; apply it with --yes.`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
}

/** The group from the full spec (it has labels and taints), else from the cluster view. */
async function loadGroup(ctx: Ctx, cmd: Command, cluster: string, name: string): Promise<InstanceGroupSpec> {
  const client = ctx.client(cmd);
  const spec = (await client.getSpec(cluster)) as { instanceGroups?: InstanceGroupSpec[] };
  let group: Record<string, unknown> | undefined = spec.instanceGroups?.find((g) => g.name === name);
  if (!group) group = (await client.getCluster(cluster)).instanceGroups.find((g) => g.name === name) as Record<string, unknown> | undefined;
  if (!group) throw new CliError(`instance group "${name}" not found in cluster ${cluster}`);
  const out: Record<string, unknown> = {};
  for (const key of EDITABLE) if (group[key] !== undefined) out[key] = group[key];
  // Show the empty maps so the user sees where labels and taints go.
  out.labels ??= {};
  out.taints ??= [];
  return out as InstanceGroupSpec;
}

/** Run the editor on the file, attached to this terminal. $EDITOR may carry arguments (`code --wait`). */
function runEditor(editor: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${editor} ${JSON.stringify(file)}`, { shell: true, stdio: 'inherit' });
    child.on('error', (err) => reject(new CliError(`cannot start editor "${editor}": ${err.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new CliError(`editor "${editor}" exited with code ${code}; no changes made`))));
  });
}
