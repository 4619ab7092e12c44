/**
 * What every command needs: the Io, the global options (`--endpoint`, `--no-wait`, `-o`) and
 * the follow-the-operation ending shared by all mutations.
 */
import type { Command } from 'commander';
import type { AcceptedView, OperationView } from '../shared/api/types';
import { DEFAULT_ENDPOINT, HopperClient } from './client';
import { CliError } from './errors';
import { println, type Io } from './io';
import { formatDuration, followOperation } from './render/progress';
import { outputFormat, type OutputFormat } from './render/output';

export interface Ctx {
  io: Io;
  /** Built once per run from `--endpoint`/HOPPER_ENDPOINT. */
  client(cmd: Command): HopperClient;
}

/** Global options, read from any command (they may be given before or after the subcommand). */
export function globals(cmd: Command, io: Io): { endpoint: string; wait: boolean; output: OutputFormat } {
  const o = cmd.optsWithGlobals() as { endpoint?: string; wait?: boolean; output?: string };
  return {
    endpoint: o.endpoint ?? io.env.HOPPER_ENDPOINT ?? DEFAULT_ENDPOINT,
    wait: o.wait !== false,
    output: outputFormat(o.output),
  };
}

export function makeCtx(io: Io): Ctx {
  let client: HopperClient | undefined;
  return {
    io,
    client(cmd) {
      client ??= new HopperClient({ endpoint: globals(cmd, io).endpoint, env: io.env });
      return client;
    },
  };
}

/** The operation-poll interval: about a second, HOPPER_POLL_MS for tests. */
export function pollMs(io: Io, fallback = 1000): number {
  const n = Number(io.env.HOPPER_POLL_MS);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** A cluster name from the positional argument or `--name` (kops accepts both). */
export function clusterName(arg: string | undefined, cmd: Command): string {
  const name = arg ?? (cmd.optsWithGlobals() as { name?: string }).name;
  if (!name) throw new CliError('a cluster name is required: pass NAME or --name NAME');
  return name;
}

/**
 * After a 202: announce the operation, then (unless `--no-wait`) follow it to the end. Throws
 * a CliError naming the failed step when the operation did not succeed.
 */
export async function follow(ctx: Ctx, cmd: Command, accepted: AcceptedView): Promise<void> {
  const { io } = ctx;
  const op = accepted.operation;
  println(io.stdout, `Operation ${op.id} (${op.type}) started for cluster ${op.cluster}`);
  if (!globals(cmd, io).wait) {
    println(io.stdout, `Not waiting (--no-wait). Watch it with: hopper get operations ${op.cluster}`);
    return;
  }
  const final = await followOperation(ctx.client(cmd), op, io, { pollMs: pollMs(io), tty: io.stdout.isTTY === true });
  finish(io, final);
}

/** Report how an operation ended; throws unless it Succeeded. */
export function finish(io: Io, op: OperationView): void {
  const took = op.endedAt ? ` in ${formatDuration(Date.parse(op.endedAt) - Date.parse(op.startedAt))}` : '';
  if (op.status === 'Succeeded') {
    println(io.stdout, `Operation ${op.id} (${op.type}) succeeded${took}`);
    return;
  }
  const failedStep = op.error?.step ?? op.steps.find((s) => s.status === 'Failed')?.name ?? op.currentStep;
  const lines: string[] = [];
  if (failedStep) lines.push(`  step:    ${failedStep}`);
  if (op.error) lines.push(`  error:   ${op.error.code}: ${op.error.message}`);
  if (op.executionArn) lines.push(`  execution: ${op.executionArn}`);
  throw new CliError(`operation ${op.id} (${op.type}) ${op.status}${failedStep ? ` at step ${failedStep}` : ''}${took}`, 1, lines);
}
