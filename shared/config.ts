/**
 * Environment read once, at cold start. Nothing here knows which runtime it is in:
 * AWS, the embedded runtime and the tests only set different values.
 */

/** Read a required environment variable, failing at cold start when it is missing. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Missing required environment variable ${name}`);
  }
  return value;
}

/** The DynamoDB table holding every cluster record, lock, inventory entry and operation. */
export function tableName(): string {
  return process.env.HOPPER_TABLE ?? 'hopper';
}

/**
 * How much faster than real time the (simulated) cloud runs. 1 in AWS. Tests set e.g. 200
 * so a 90 s NAT gateway takes under half a second; waits in the state machines scale too.
 */
export function timeScale(): number {
  const raw = process.env.HOPPER_TIME_SCALE;
  const value = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`HOPPER_TIME_SCALE must be a positive number, got ${raw}`);
  }
  return value;
}
