/**
 * Where the CLI reads and writes. `run()` takes one of these so tests can drive the CLI in
 * process and capture what it prints, instead of spawning a child per case.
 */

/** The part of a writable stream the CLI uses. `isTTY` picks the live renderer over plain lines. */
export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
}

/** The real process: what `bin/hopper.mjs` uses. */
export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Write a line (adds the newline). */
export function println(out: Output, line = ''): void {
  out.write(`${line}\n`);
}
