/**
 * An AWS-style error raised by a simulated service. Each protocol renders it in its
 * own shape (EC2 `<Response><Errors>`, Query `<ErrorResponse>`, JSON `__type`).
 */
export class SimError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** HTTP status; 400 for client errors, 503 for throttling, 500 for internal. */
    readonly status: number = 400,
  ) {
    super(message);
    this.name = 'SimError';
  }
}

/** Shorthand for the common "does not exist" errors. */
export function notFound(code: string, id: string, what = 'ID'): SimError {
  return new SimError(code, `The ${what} '${id}' does not exist`);
}
