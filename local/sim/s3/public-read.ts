/**
 * What anyone on the internet can read from the simulated S3: an object whose bucket policy
 * allows `s3:GetObject` to every principal (and whose public access block does not restrict
 * public buckets). STS reads a web identity provider's discovery document and keys this way
 * (`../sts`): an issuer published to a private bucket is one AWS cannot reach.
 *
 * The policy goes through the same evaluator as every other IAM decision: an outside
 * account's principal, allowed everything by its own policies, asks over TLS — so only what
 * the bucket policy grants to everyone passes, and its denies (TLS-only) still hold.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { SimState } from '../core/state';
import { currentVersion, s3Store } from './store';

/** Someone in an account that is not the simulator's. */
const OUTSIDER = 'arn:aws:iam::999999999999:root';

/** `https://<bucket>.s3.<region>.amazonaws.com/<key>`, `https://<bucket>.s3.amazonaws.com/<key>` or path style → bucket and key. */
export function s3Location(url: string): { bucket: string; key: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:') return undefined;
  const key = decodeURIComponent(u.pathname.replace(/^\//, ''));
  const virtual = /^(.+)\.s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com$/.exec(u.hostname);
  if (virtual) return { bucket: virtual[1], key };
  if (/^s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$/.test(u.hostname)) {
    const [bucket, ...rest] = key.split('/');
    return bucket ? { bucket, key: rest.join('/') } : undefined;
  }
  return undefined;
}

/** The object's bytes at `url` if an anonymous reader gets them, else undefined. */
export async function readPublicObject(state: SimState, url: string): Promise<Buffer | undefined> {
  const where = s3Location(url);
  if (!where) return undefined;
  const bucket = s3Store(state).buckets[where.bucket];
  const object = bucket && currentVersion(bucket, where.key);
  if (!bucket || !object?.body || !bucket.policy || bucket.publicAccessBlock?.RestrictPublicBuckets) return undefined;
  const result = await runSimulation(
    {
      identityPolicies: [{ name: 'outsider', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
      resourcePolicy: JSON.parse(bucket.policy) as unknown as Record<string, unknown>,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: 's3:GetObject',
        principal: OUTSIDER,
        resource: { resource: `arn:aws:s3:::${where.bucket}/${where.key}`, accountId: state.accountId },
        contextVariables: { 'aws:SecureTransport': 'true' },
      },
    } as Parameters<typeof runSimulation>[0],
    {},
  );
  const allowed = result.resultType !== 'error' && result.overallResult === 'Allowed';
  return allowed ? Buffer.from(object.body, 'base64') : undefined;
}
