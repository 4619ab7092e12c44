/** Kubernetes' `Status` failures: what the API server answers when it refuses a request. */

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message: string; field?: string }[] },
  ) {
    super(message);
  }

  status(): Record<string, unknown> {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, ...(this.details ? { details: this.details } : {}), code: this.code };
  }
}

/** `configmaps "x" not found`; `what` is the resource (`configmaps`, `deployments.apps`). */
export const notFound = (what: string, name: string) => new ApiError(404, 'NotFound', `${what} "${name}" not found`, { name, kind: what.split('.')[0] });
export const alreadyExists = (what: string, name: string) => new ApiError(409, 'AlreadyExists', `${what} "${name}" already exists`, { name, kind: what.split('.')[0] });
export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);
export const invalid = (kind: string, name: string, causes: { field: string; message: string }[]) =>
  new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, { name, kind, causes: causes.map((c) => ({ reason: 'FieldValueInvalid', ...c })) });
