/**
 * AWS error codes in one place (after CAPA's awserrors): predicates that steps use to
 * treat NotFound on delete as done, adopt what already exists, and retry what is pending.
 */

/** The code of an SDK v3 error: `name` for service exceptions, `Code` on some XML errors. */
export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; Code?: unknown; code?: unknown };
  for (const c of [e.Code, e.code, e.name]) if (typeof c === 'string') return c;
  return undefined;
}

/** `InvalidVpcID.NotFound`, `InvalidInstanceID.NotFound`, `ParameterNotFound`, `LoadBalancerNotFound`… */
export function isNotFound(err: unknown): boolean {
  const code = awsErrorCode(err) ?? '';
  return (
    code.endsWith('.NotFound') ||
    code.endsWith('NotFound') ||
    code.endsWith('NotFoundException') ||
    code === 'InvalidAMIID.Unavailable' ||
    code === 'NoSuchEntity' ||
    (code === 'ValidationError' && /not found|does not exist/i.test(String((err as Error).message)))
  );
}

/**
 * EC2 refused an instance profile it does not know: right after IAM made it (or gave it its
 * role), IAM's eventual consistency — the documented remedy is to launch again shortly.
 */
export function isInstanceProfileNotVisible(err: unknown): boolean {
  return awsErrorCode(err) === 'InvalidParameterValue' && /Invalid IAM Instance Profile/i.test(String((err as Error).message));
}

/** The thing exists already (`InvalidPermission.Duplicate`, `AlreadyExists`, `ParameterAlreadyExists`…). */
export function isAlreadyExists(err: unknown): boolean {
  const code = awsErrorCode(err) ?? '';
  return code.endsWith('.Duplicate') || code.includes('AlreadyExists') || code === 'DuplicateLoadBalancerName' || code === 'DuplicateTargetGroupName';
}

/** Something still depends on it; try again once that has gone. */
export function isDependencyViolation(err: unknown): boolean {
  const code = awsErrorCode(err) ?? '';
  return code === 'DependencyViolation' || code === 'ResourceInUse' || code === 'ResourceInUseFault' || code === 'ScalingActivityInProgress';
}

/** AWS asked us to slow down. */
export function isThrottling(err: unknown): boolean {
  const code = awsErrorCode(err) ?? '';
  return code === 'RequestLimitExceeded' || code === 'Throttling' || code === 'ThrottlingException' || code === 'TooManyRequestsException';
}

/** A zone without capacity for the machine type. */
export function isCapacityError(err: unknown): boolean {
  const code = awsErrorCode(err) ?? '';
  return code === 'InsufficientInstanceCapacity' || code === 'Unsupported';
}
