/**
 * Hopper's error contract.
 *
 * Step functions throw these; the state machines' `Retry` and `Catch` match on `name`
 * (Step Functions reports a Lambda error by its `errorType`, which is the error's name).
 * Retryable errors mean "not ready yet, ask again later" (kops' TryAgainLaterError);
 * terminal errors mean retrying cannot help.
 */
export class HopperError extends Error {
  /** Whether the state machine may retry the step that threw it. */
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A resource the step waits on is not ready yet (instance pending, image creating…). */
export class NotReadyError extends HopperError {
  override readonly retryable = true;
}

/** AWS asked us to slow down, or failed transiently (5xx). Retried with backoff. */
export class TransientAwsError extends HopperError {
  override readonly retryable = true;
}

/**
 * AWS answered NotFound for an id it just handed out (EC2's eventual consistency: a new VPC,
 * subnet or route table is not visible to every API at once). Retried soon and often, without
 * the long jittered backoff meant for throttling; a NotFound that persists fails the step.
 */
export class NotYetVisibleError extends HopperError {
  override readonly retryable = true;
}

/** A delete hit a dependency that is still going away (DependencyViolation). */
export class DependencyPendingError extends HopperError {
  override readonly retryable = true;
}

/** A step met a state it cannot fix by retrying (a command failed, a resource is someone else's…). */
export class StepFailedError extends HopperError {}

/**
 * The step's operation no longer holds the cluster (it ended, or another took over): the
 * step refused before its side effect and changed nothing. Terminal.
 */
export class SupersededError extends HopperError {}

/**
 * A stored cluster record does not parse (written by hand, by an older Hopper, cut short):
 * reported for that cluster only, never for every reader. Terminal; the API answers 500
 * with the message (it is not the caller's mistake, and retrying will not help).
 */
export class UnreadableRecordError extends HopperError {}

/** Input that breaks the rules: a 400 at the API, every problem listed in `details`. */
export class ValidationError extends HopperError {
  constructor(
    message: string,
    readonly details: ReadonlyArray<{ path: string; message: string }>,
  ) {
    super(message);
  }
}

/** What the request needs did not answer in time (a control plane over SSM): a 503, worth retrying. */
export class ServiceUnavailableError extends HopperError {}

/** A named thing does not exist: a 404 at the API. */
export class NotFoundError extends HopperError {}

/** A conflicting state: the name is taken, or another operation holds the cluster. A 409. */
export class ConflictError extends HopperError {
  constructor(
    message: string,
    readonly details: ReadonlyArray<Record<string, unknown>> = [],
  ) {
    super(message);
  }
}

/** Valid input asking for an impossible change (a CIDR edit, a skipped minor version). A 422. */
export class UnprocessableError extends HopperError {
  constructor(
    message: string,
    readonly details: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(message);
  }
}

/** Another writer changed the record since we read it (optimistic locking). */
export class VersionConflictError extends HopperError {
  override readonly retryable = true;
}
