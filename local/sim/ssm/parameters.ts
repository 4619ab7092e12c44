/**
 * SSM Parameter Store: String, StringList and SecureString parameters per region,
 * kept in `state.ssm.parameters` (JSON-able, so snapshots carry them), plus the public
 * Canonical image parameters answered from the simulator's image catalogue.
 */
import { createHash } from 'node:crypto';
import { SimError } from '../core/errors';
import type { SimState } from '../core/state';
import { ensureCatalogue, ubuntuImageId } from '../ec2/images';
import { AWS_SSM_KEY, findKey } from '../kms';

export interface StoredParameter {
  name: string;
  region: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  keyId?: string;
  version: number;
  lastModified: number;
  description?: string;
}

function store(state: SimState): Record<string, StoredParameter> {
  return ((state.ssm.parameters as Record<string, StoredParameter> | undefined) ??= {}) as Record<string, StoredParameter>;
}

const key = (region: string, name: string) => `${region}|${name.startsWith('/') || !name.includes('/') ? name : `/${name}`}`;

/**
 * What GetParameter shows of a SecureString without decryption: an opaque blob, as KMS
 * ciphertext is (the same for the same key, value and version; nothing to decode it with).
 */
function ciphertext(p: StoredParameter): string {
  const digest = createHash('sha256').update(`${p.keyId ?? AWS_SSM_KEY}\0${p.version}\0${p.value}`).digest();
  return Buffer.concat([Buffer.from([1, 2, 2, 0, 0x78]), digest, digest]).toString('base64');
}

/** The AWS-shaped Parameter; SecureString values stay ciphertext unless decrypted. */
export function shape(state: SimState, p: StoredParameter, decrypt: boolean): Record<string, unknown> {
  const value = p.type === 'SecureString' && !decrypt ? ciphertext(p) : p.value;
  return {
    Name: p.name,
    Type: p.type,
    Value: value,
    Version: p.version,
    LastModifiedDate: p.lastModified / 1000,
    ARN: `arn:aws:ssm:${p.region}:${state.accountId}:parameter${p.name.startsWith('/') ? '' : '/'}${p.name}`,
    DataType: p.name.startsWith('/aws/service/') && p.name.endsWith('ami-id') ? 'aws:ec2:image' : 'text',
  };
}

export function putParameter(state: SimState, region: string, input: Record<string, unknown>): { Version: number; Tier: string } {
  const name = String(input.Name ?? '');
  if (!name) throw new SimError('ValidationException', '1 validation error detected: Value null at \'name\' failed to satisfy constraint: Member must not be null');
  if (name.startsWith('/aws/') || name.startsWith('aws')) throw new SimError('AccessDeniedException', `No access to reserved parameter name: ${name}.`);
  const value = input.Value;
  if (typeof value !== 'string' || value.length === 0) throw new SimError('ValidationException', "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1");
  if (value.length > 4096) throw new SimError('ValidationException', 'Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.');
  const s = store(state);
  const existing = s[key(region, name)];
  if (existing && !input.Overwrite) throw new SimError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
  const type = String(input.Type ?? existing?.type ?? '');
  if (!['String', 'StringList', 'SecureString'].includes(type)) {
    throw new SimError('ValidationException', `1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`);
  }
  const p: StoredParameter = {
    name,
    region,
    type: type as StoredParameter['type'],
    value,
    keyId: type === 'SecureString' ? secureStringKey(state, input.KeyId ?? existing?.keyId) : undefined,
    version: (existing?.version ?? 0) + 1,
    lastModified: state.clock.now(),
    description: input.Description as string | undefined,
  };
  s[key(region, name)] = p;
  return { Version: p.version, Tier: 'Standard' };
}

/**
 * The key a SecureString is encrypted with: the account's `alias/aws/ssm` unless a
 * customer managed key is named (by id or ARN; stored as its ARN), which must exist.
 */
function secureStringKey(state: SimState, keyId: unknown): string {
  if (keyId === undefined || keyId === AWS_SSM_KEY) return AWS_SSM_KEY;
  const key = findKey(state, String(keyId));
  if (!key) throw new SimError('InvalidKeyId', 'The query key ID isn\'t valid.');
  return key.arn;
}

/** A stored parameter, or a public `/aws/service/...` one, or undefined. */
export function findParameter(state: SimState, region: string, name: string): StoredParameter | undefined {
  const bare = name.replace(/:\d+$/, '');
  return store(state)[key(region, bare)] ?? publicParameter(state, region, bare);
}

export function getParameter(state: SimState, region: string, name: string, decrypt: boolean): Record<string, unknown> {
  const p = findParameter(state, region, name);
  if (!p) throw new SimError('ParameterNotFound', '');
  return shape(state, p, decrypt);
}

export function deleteParameter(state: SimState, region: string, name: string): boolean {
  const s = store(state);
  const k = key(region, name);
  if (!s[k]) return false;
  delete s[k];
  return true;
}

/** Parameters under a path (one level, or all below with recursive), sorted by name. */
export function parametersByPath(state: SimState, region: string, path: string, recursive: boolean): StoredParameter[] {
  const prefix = path.endsWith('/') ? path : `${path}/`;
  return Object.values(store(state))
    .filter((p) => p.region === region && p.name.startsWith(prefix) && (recursive || !p.name.slice(prefix.length).includes('/')))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * `/aws/service/canonical/ubuntu/server/<22.04|24.04>/stable/current/<amd64|arm64>/hvm/ebs-gp3/ami-id`:
 * the simulator's Canonical image for that release and architecture in the region.
 */
function publicParameter(state: SimState, region: string, name: string): StoredParameter | undefined {
  const m = /^\/aws\/service\/canonical\/ubuntu\/server\/(22\.04|24\.04)\/stable\/current\/(amd64|arm64)\/hvm\/ebs-gp3\/ami-id$/.exec(name);
  if (!m) return undefined;
  ensureCatalogue(state, region);
  return { name, region, type: 'String', value: ubuntuImageId(region, m[1], m[2] as 'amd64' | 'arm64'), version: 1, lastModified: state.clock.now() };
}
