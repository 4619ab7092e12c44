/** Errors the CLI turns into a message and an exit code, never a stack trace. */

/** A problem to report to the user with a given exit code (1 unless said otherwise). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
    /** Extra lines printed under the message, e.g. every validation problem. */
    readonly lines: string[] = [],
  ) {
    super(message);
  }
}

/** An error reply from the API: `{"error": {"code", "message", "details"}}` and its HTTP status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
  }
}

/** The endpoint did not answer at all (refused, unknown host, reset). */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
  constructor(
    readonly endpoint: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach Hopper at ${endpoint}: is \`npm start\` running?`, options);
  }
}

/**
 * One line per API error detail. Details are `{path, message}` objects by contract, but the
 * CLI prints anything else too rather than hide a problem the server took the trouble to list.
 */
export function detailLines(details: unknown[]): string[] {
  return details.map((d) => {
    if (typeof d === 'string') return `  - ${d}`;
    if (d && typeof d === 'object') {
      const { path, message } = d as { path?: unknown; message?: unknown };
      if (typeof message === 'string') {
        const where = Array.isArray(path) ? path.join('.') : typeof path === 'string' ? path : '';
        return where ? `  - ${where}: ${message}` : `  - ${message}`;
      }
    }
    return `  - ${JSON.stringify(d)}`;
  });
}
