/**
 * `hopper create cluster …` (flags like kops) and `hopper create -f spec.yaml`. Without
 * `--yes` both ask the API for a dry run and print the plan; nothing is stored.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse } from 'yaml';
import type { PlanView } from '../../shared/api/types';
import { follow, globals, type Ctx } from '../context';
import { CliError } from '../errors';
import { println } from '../io';
import { formatData } from '../render/output';
import { renderPlan } from '../render/plan';
import { int, list } from '../parse';

/** The flags of `create cluster`, as commander hands them over. */
export interface CreateClusterFlags {
  name?: string;
  zones?: string[];
  region?: string;
  controlPlaneCount?: number;
  controlPlaneSize?: string;
  nodeCount?: number;
  nodeSize?: string;
  topology?: string;
  networking?: string;
  bastion?: boolean;
  networkCidr?: string;
  kubernetesVersion?: string;
  apiLoadbalancerType?: string;
  vpc?: string;
  subnets?: string[];
  utilitySubnets?: string[];
}

/**
 * The region of an availability zone: `us-east-1a` → `us-east-1`, `us-gov-west-1b` →
 * `us-gov-west-1`, and local zones such as `us-west-2-lax-1a` → `us-west-2`.
 */
export function regionOfZone(zone: string): string {
  return /^[a-z]{2}(?:-[a-z]+)+-\d+/.exec(zone)?.[0] ?? zone.slice(0, -1);
}

/**
 * Flags → the API's cluster spec. Only what was given is sent: the server fills in every
 * default (CIDR split, control-plane size, …) in one place, so the CLI must not guess them.
 */
export function specFromFlags(f: CreateClusterFlags): Record<string, unknown> {
  if (!f.name) throw new CliError('--name is required');
  if (!f.zones?.length) throw new CliError('--zones is required (e.g. --zones us-east-1a,us-east-1b)');
  const spec: Record<string, unknown> = { name: f.name, region: f.region ?? regionOfZone(f.zones[0]), zones: f.zones };
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) spec[key] = value;
  };
  put('kubernetesVersion', f.kubernetesVersion);
  put('networkCidr', f.networkCidr);
  put('topology', f.topology);
  put('networking', f.networking);
  const controlPlane = compact({ count: f.controlPlaneCount, machineType: f.controlPlaneSize });
  if (controlPlane) spec.controlPlane = controlPlane;
  if (f.nodeCount !== undefined || f.nodeSize !== undefined) {
    spec.instanceGroups = [compact({ name: 'nodes', machineType: f.nodeSize, min: f.nodeCount, max: f.nodeCount })];
  }
  if (f.bastion) spec.bastion = { enabled: true };
  if (f.apiLoadbalancerType) spec.api = { loadBalancer: { type: f.apiLoadbalancerType } };
  // Brought network: top-level `vpcId` and `subnets`, as shared/spec/schema.ts has them.
  put('vpcId', f.vpc);
  const subnets = [...(f.subnets ?? []).map((s) => subnet(s, 'private')), ...(f.utilitySubnets ?? []).map((s) => subnet(s, 'utility'))];
  if (subnets.length) spec.subnets = subnets;
  return spec;
}

export function registerCreate(program: Command, ctx: Ctx): void {
  const create = program
    .command('create')
    .description('create a cluster from flags (create cluster) or from a spec file (create -f)')
    .option('-f, --filename <file>', 'cluster spec, YAML or JSON')
    .option('--yes', 'create it; without --yes only the plan is printed')
    .option('--dry-run', 'print the plan and create nothing (the default without --yes)')
    .action(async (_opts, cmd: Command) => {
      const o = cmd.opts() as { filename?: string };
      if (!o.filename) {
        cmd.help({ error: true });
        return;
      }
      await submit(ctx, cmd, await readSpec(o.filename));
    });

  create
    .command('cluster')
    .description('create a cluster (like kops create cluster)')
    .argument('[name]', 'cluster name (or --name)')
    .option('--name <name>', 'cluster name')
    .option('--zones <zones>', 'availability zones, comma separated', list)
    .option('--region <region>', 'AWS region (default: from the first zone)')
    .option('--control-plane-count <n>', 'control-plane instances (odd)', int)
    .option('--master-count <n>', 'alias of --control-plane-count', int)
    .option('--control-plane-size <type>', 'control-plane machine type')
    .option('--master-size <type>', 'alias of --control-plane-size')
    .option('--node-count <n>', 'nodes in the "nodes" group', int)
    .option('--node-size <type>', 'node machine type')
    .option('--topology <topology>', 'public or private')
    .option('--networking <cni>', 'cilium, calico or amazon-vpc-cni')
    .option('--bastion', 'add a bastion host')
    .option('--network-cidr <cidr>', 'VPC CIDR block')
    .option('--kubernetes-version <version>', 'Kubernetes version')
    .option('--api-loadbalancer-type <type>', 'public or internal')
    .option('--vpc <id>', 'existing VPC id')
    .option('--subnets <ids>', 'existing private subnets, comma separated: ID or ID:ZONE:CIDR', list)
    .option('--utility-subnets <ids>', 'existing utility (public) subnets, comma separated: ID or ID:ZONE:CIDR', list)
    .option('--yes', 'create it; without --yes only the plan is printed')
    .option('--dry-run', 'print the plan and create nothing (the default without --yes)')
    .action(async (name: string | undefined, _opts, cmd: Command) => {
      const o = cmd.optsWithGlobals() as CreateClusterFlags & { masterCount?: number; masterSize?: string };
      const spec = specFromFlags({
        ...o,
        name: name ?? o.name,
        controlPlaneCount: o.controlPlaneCount ?? o.masterCount,
        controlPlaneSize: o.controlPlaneSize ?? o.masterSize,
      });
      await submit(ctx, cmd, spec);
    });
}

/** Dry run unless `--yes` (and not `--dry-run`); follow the operation when applied. */
async function submit(ctx: Ctx, cmd: Command, spec: Record<string, unknown>): Promise<void> {
  const { io } = ctx;
  const o = cmd.optsWithGlobals() as { yes?: boolean; dryRun?: boolean };
  const client = ctx.client(cmd);
  const name = String(spec.name ?? '');
  if (!o.yes || o.dryRun) {
    const plan: PlanView = await client.createCluster(spec, true);
    const format = globals(cmd, io).output;
    if (format !== 'table') {
      io.stdout.write(formatData(plan, format));
      return;
    }
    io.stdout.write(renderPlan(plan));
    if (plan.summary) println(io.stdout, plan.summary);
    println(io.stdout, `Cluster configuration for "${name}" is valid; nothing has been created yet.`);
    println(io.stdout, 'Run the same command with --yes to create the cluster.');
    return;
  }
  const accepted = await client.createCluster(spec, false);
  await follow(ctx, cmd, accepted);
  if (globals(cmd, io).wait) {
    println(io.stdout, `Cluster "${name}" is ready. Check it with: hopper validate cluster ${name}; get credentials with: hopper export kubeconfig ${name}`);
  }
}

async function readSpec(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let spec: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    spec = parse(text);
  } catch (err) {
    throw new CliError(`${file} is not valid YAML or JSON: ${(err as Error).message}`);
  }
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new CliError(`${file} must hold one cluster spec (a mapping)`);
  return spec as Record<string, unknown>;
}

/**
 * `subnet-0abc` or `subnet-0abc:us-east-1a:10.0.32.0/19`. The API wants a listed subnet's zone
 * and CIDR (it checks them without asking AWS), so the long form lets a user give them.
 */
export function subnet(text: string, type: 'private' | 'utility'): Record<string, string> {
  const [id, zone, cidr] = text.split(':');
  return { id, type, ...(zone ? { zone } : {}), ...(cidr ? { cidr } : {}) };
}

function compact(obj: Record<string, unknown>): Record<string, unknown> | undefined {
  const entries = Object.entries(obj).filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
}
