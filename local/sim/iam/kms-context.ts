/**
 * KMS encryption context conditions, made readable to the policy evaluator.
 *
 * @cloud-copilot/iam-simulate (0.1.x) recognises condition keys with a variable part only
 * after a slash (`aws:ResourceTag/${TagKey}`). KMS's encryption context keys put theirs
 * after a colon (`kms:EncryptionContext:${EncryptionContextKey}`): the evaluator drops them
 * from the request as unknown, so every condition on them fails as "missing" and no grant
 * scoped by encryption context could ever allow. KMS checks are therefore evaluated with
 * those keys renamed, in the policies and in the request alike, to a slash form the
 * evaluator reads (`aws:ResourceTag/kms:EncryptionContext:<key>`): same operators, same
 * values, nothing else in a KMS request carries that name (the simulator passes no key
 * tags). Remove this when the evaluator learns colon variables.
 */
const ENCRYPTION_CONTEXT = /^kms:EncryptionContext:/i;
const EVALUABLE_PREFIX = 'aws:ResourceTag/kms:EncryptionContext:';

function evaluableKey(key: string): string {
  return ENCRYPTION_CONTEXT.test(key) ? `${EVALUABLE_PREFIX}${key.replace(ENCRYPTION_CONTEXT, '')}` : key;
}

/** The request's context with encryption context keys renamed. */
export function evaluableContext<T>(context: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(context).map(([k, v]) => [evaluableKey(k), v]));
}

/** A policy document (or one statement) with the encryption context keys of its conditions renamed. */
export function evaluablePolicy<T>(policy: T): T {
  return renameConditionKeys(policy, evaluableKey);
}

/**
 * A policy document (or one statement) with every condition key renamed by `rename`, operators
 * and values as they were: how keys the evaluator cannot read are made readable (here for KMS,
 * in `../sts/web-identity.ts` for an OpenID Connect issuer's claims).
 */
export function renameConditionKeys<T>(policy: T, rename: (key: string) => string): T {
  if (Array.isArray(policy)) return policy.map((p) => renameConditionKeys(p, rename)) as T;
  if (policy === null || typeof policy !== 'object') return policy;
  return Object.fromEntries(
    Object.entries(policy as Record<string, unknown>).map(([k, v]) => {
      if (k !== 'Condition' || v === null || typeof v !== 'object') return [k, renameConditionKeys(v, rename)];
      const operators = Object.entries(v as Record<string, Record<string, unknown>>).map(([op, keys]) => [op, Object.fromEntries(Object.entries(keys).map(([key, value]) => [rename(key), value]))]);
      return [k, Object.fromEntries(operators)];
    }),
  ) as T;
}
