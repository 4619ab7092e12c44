/** Step Functions helpers the steps that start and watch nested executions share. */

/** An execution's input or output (JSON), or undefined when there is none or it is not JSON. */
export function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** "error: message": a Lambda error's cause is JSON with errorMessage; say only that. */
export function describeFailure(error: string | undefined, cause: string | undefined): string {
  const parsed = parseJson(cause) as { errorMessage?: unknown } | undefined;
  const message = typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : cause;
  return [error, message].filter((s) => s !== undefined && s !== '').join(': ') || 'no error recorded';
}

/** An execution's ARN from its state machine's ARN and its name. */
export function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
