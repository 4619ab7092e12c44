/**
 * KMS keys, as far as Parameter Store uses them: the deployment's customer managed keys
 * (put by the embedded runtime from the stack's `AWS::KMS::Key` resources) that a
 * SecureString may name as its `KeyId`. Encrypting and decrypting are not modelled as
 * bytes; who may do them is — the IAM checks are `kms:Encrypt`/`kms:Decrypt` on the key
 * with the parameter's ARN as encryption context (`local/sim/iam/requests.ts`). Keys are
 * modelled with the key policy every Hopper key has: it delegates to IAM (the account root
 * statement), so identity policies decide.
 *
 * - `PUT /_sim/kms/keys/<keyId>` `{arn, description?, policy?}` creates or replaces a key.
 * - `GET /_sim/kms` → `{keys: [...]}`.
 */
import { registerPersisted, registerRoute } from '../core/registry';
import type { SimState } from '../core/state';

export interface SimKmsKey {
  keyId: string;
  arn: string;
  description?: string;
  policy?: unknown;
}

/** The account's AWS managed key for Parameter Store: any principal SSM lets read may decrypt with it. */
export const AWS_SSM_KEY = 'alias/aws/ssm';

const registries = new WeakMap<SimState, Map<string, SimKmsKey>>();

function keysOf(state: SimState): Map<string, SimKmsKey> {
  let keys = registries.get(state);
  if (!keys) registries.set(state, (keys = new Map()));
  return keys;
}

/** A customer managed key by id or ARN, or undefined. */
export function findKey(state: SimState, keyIdOrArn: string): SimKmsKey | undefined {
  const keys = keysOf(state);
  return keys.get(keyIdOrArn) ?? [...keys.values()].find((k) => k.arn === keyIdOrArn);
}

registerRoute('PUT', '/_sim/kms/keys/*', (req, { state }) => {
  const keyId = decodeURIComponent(req.path.slice('/_sim/kms/keys/'.length));
  const body = req.json() as { arn?: unknown; description?: unknown; policy?: unknown };
  if (!/^[0-9a-f-]{36}$/.test(keyId) || typeof body.arn !== 'string' || !body.arn.endsWith(`:key/${keyId}`)) {
    return { status: 400, body: { error: 'a key id (UUID) in the path and its ARN (arn:…:key/<id>) in the body' } };
  }
  const key: SimKmsKey = { keyId, arn: body.arn, ...(typeof body.description === 'string' ? { description: body.description } : {}), ...(body.policy ? { policy: body.policy } : {}) };
  keysOf(state).set(keyId, key);
  return { body: key };
});

registerRoute('GET', '/_sim/kms', (_req, { state }) => ({ body: { keys: [...keysOf(state).values()] } }));

registerPersisted('kms', {
  save: (state) => [...keysOf(state).values()],
  load: (state, data) => {
    const keys = keysOf(state);
    keys.clear();
    for (const k of (data as SimKmsKey[] | undefined) ?? []) keys.set(k.keyId, k);
  },
});
