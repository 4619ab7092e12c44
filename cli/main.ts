/**
 * The `hopper` program: a kops-like CLI over Hopper's REST API. `run()` is the whole CLI as a
 * function of argv and an Io, returning the exit code; nothing here calls process.exit, so
 * tests drive it in process.
 */
import { Command, CommanderError, Option } from 'commander';
import { registerCreate } from './commands/create';
import { registerDelete } from './commands/delete';
import { registerDescribe } from './commands/describe';
import { registerEdit } from './commands/edit';
import { registerExport } from './commands/export';
import { registerGet } from './commands/get';
import { registerRenew } from './commands/renew';
import { registerRestore } from './commands/restore';
import { registerRollingUpdate } from './commands/rolling-update';
import { registerUpdate } from './commands/update';
import { registerUpgrade } from './commands/upgrade';
import { registerValidate } from './commands/validate';
import { makeCtx, type Ctx } from './context';
import { ApiError, CliError, detailLines, UnreachableError } from './errors';
import { println, processIo, type Io } from './io';

/** Build the commander tree. Global options are recognised before or after the subcommand. */
export function buildProgram(ctx: Ctx): Command {
  const program = new Command('hopper')
    .description('Build and run self-managed Kubernetes clusters on AWS through Hopper')
    .option('--endpoint <url>', 'Hopper API endpoint (env HOPPER_ENDPOINT, default http://127.0.0.1:3000)')
    .option('--no-wait', 'return once a change is accepted instead of following it')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'yaml', 'json']))
    // Before any subcommand exists: subcommands copy these settings when created.
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.stdout.write(s), writeErr: (s) => ctx.io.stderr.write(s) })
    .showSuggestionAfterError();
  registerCreate(program, ctx);
  registerGet(program, ctx);
  registerDescribe(program, ctx);
  registerEdit(program, ctx);
  registerUpdate(program, ctx);
  registerRollingUpdate(program, ctx);
  registerUpgrade(program, ctx);
  registerRenew(program, ctx);
  registerRestore(program, ctx);
  registerValidate(program, ctx);
  registerDelete(program, ctx);
  registerExport(program, ctx);
  return program;
}

/** Run the CLI on `argv` (without `node hopper`); resolves with the exit code. */
export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  const program = buildProgram(makeCtx(io));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err, io);
  }
}

/** Print an error the way a user needs it (message and every detail, no stack) and pick the exit code. */
export function reportError(err: unknown, io: Io): number {
  // Commander has already printed usage errors and help through configureOutput.
  if (err instanceof CommanderError) return err.exitCode;
  if (err instanceof ApiError) {
    println(io.stderr, `Error: ${err.message} (${err.code}, HTTP ${err.status})`);
    for (const line of detailLines(err.details)) println(io.stderr, line);
    return 1;
  }
  if (err instanceof CliError) {
    println(io.stderr, `Error: ${err.message}`);
    for (const line of err.lines) println(io.stderr, line);
    return err.exitCode;
  }
  if (err instanceof UnreachableError) {
    // fetch wraps the socket error: TypeError('fetch failed') → Error{code: 'ECONNREFUSED'}.
    const cause = (err.cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
    const why = cause?.code ?? cause?.message;
    println(io.stderr, `Error: ${err.message}${why ? ` (${why})` : ''}`);
    return 1;
  }
  println(io.stderr, `Error: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
}
