/**
 * A cluster's service-account tokens, as kube-apiserver makes them: `kubeadm init` writes
 * the signing key (`pki/sa.key`, `sa.pub`); the API server signs TokenRequests with it
 * (RS256 JWTs: `iss` its first `--service-account-issuer`, `sub`
 * `system:serviceaccount:<ns>:<name>`, the audiences asked for, at least ten minutes), and
 * serves its OpenID discovery document (`/.well-known/openid-configuration`, naming
 * `--service-account-jwks-uri`) and keys (`/openid/v1/jwks`) — what IAM needs to trust its
 * tokens (roles for service accounts). Real JWTs (jose): STS verifies them as AWS would.
 */
import { createHash } from 'node:crypto';
import { SignJWT, exportJWK, exportPKCS8, exportSPKI, importPKCS8, type CryptoKey as JoseKey, type JWK } from 'jose';
import { KubeError } from './cluster';
import { rsaKeyPair } from './key-pool';

/** kube-apiserver's issuer when none is given (kubeadm sets this one). */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** The API server's shortest token (`expirationSeconds` below this is refused). */
const MIN_EXPIRATION_SECONDS = 600;
const DEFAULT_EXPIRATION_SECONDS = 3600;

export interface ServiceAccountSigner {
  privateKey: JoseKey;
  keyPem: string;
  publicPem: string;
  jwk: JWK;
  /** The key ID kube-apiserver derives: the base64url SHA-256 of the public key's DER. */
  kid: string;
}

/** The API server's token settings (`--service-account-issuer`, repeated; `--service-account-jwks-uri`). */
export interface ServiceAccountIssuer {
  issuers: string[];
  jwksUri?: string;
}

async function signerOf(privateKey: JoseKey, publicKey: JoseKey): Promise<ServiceAccountSigner> {
  const publicPem = await exportSPKI(publicKey);
  const der = Buffer.from(publicPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const kid = createHash('sha256').update(der).digest('base64url');
  return { privateKey, keyPem: await exportPKCS8(privateKey), publicPem, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' }, kid };
}

/** A new signing key, as kubeadm's `certs sa` phase makes it. */
export async function newServiceAccountSigner(): Promise<ServiceAccountSigner> {
  const pair = await rsaKeyPair();
  return signerOf(pair.privateKey, pair.publicKey);
}

/** The signer for a `sa.key` put back on a control plane (a restore): the same key, so the same kid. */
export async function serviceAccountSignerFromPem(keyPem: string): Promise<ServiceAccountSigner> {
  const privateKey = await importPKCS8(keyPem, 'RS256', { extractable: true });
  const { createPublicKey } = await import('node:crypto');
  const publicKey = createPublicKey(keyPem) as unknown as JoseKey;
  return { ...(await signerOf(privateKey, publicKey)), keyPem };
}

/** `apiServer.extraArgs` of a ClusterConfiguration: v1beta4's list of {name, value}, or v1beta3's map. */
export function issuerFromConfig(apiServer: { extraArgs?: unknown } | undefined): ServiceAccountIssuer {
  const raw = apiServer?.extraArgs;
  const pairs: [string, string][] = Array.isArray(raw)
    ? raw.map((a: { name?: unknown; value?: unknown }) => [String(a?.name ?? ''), String(a?.value ?? '')])
    : Object.entries((raw ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
  const issuers = pairs.filter(([k]) => k === 'service-account-issuer').map(([, v]) => v);
  const jwksUri = pairs.find(([k]) => k === 'service-account-jwks-uri')?.[1];
  return { issuers: issuers.length ? issuers : [DEFAULT_ISSUER], ...(jwksUri ? { jwksUri } : {}) };
}

/** `/.well-known/openid-configuration`, as kube-apiserver serves it. */
export function discoveryDocument(issuer: ServiceAccountIssuer, endpoint: string): Record<string, unknown> {
  return {
    issuer: issuer.issuers[0],
    jwks_uri: issuer.jwksUri ?? `https://${endpoint}/openid/v1/jwks`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  };
}

/** `/openid/v1/jwks`. */
export function keySet(signer: ServiceAccountSigner): { keys: JWK[] } {
  return { keys: [signer.jwk] };
}

export interface TokenRequest {
  namespace: string;
  name: string;
  uid: string;
  audiences: string[];
  expirationSeconds?: number;
}

/** A TokenRequest's token and when it expires (simulated ms). */
export async function issueToken(signer: ServiceAccountSigner, issuer: ServiceAccountIssuer, req: TokenRequest, nowMs: number): Promise<{ token: string; expiresAt: number }> {
  const seconds = req.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (seconds < MIN_EXPIRATION_SECONDS) throw new KubeError(`error: failed to create token: TokenRequest.authentication.k8s.io "${req.name}" is invalid: spec.expirationSeconds: Invalid value: ${seconds}: may not specify a duration less than 10 minutes`);
  const now = Math.floor(nowMs / 1000);
  const audiences = req.audiences.length ? req.audiences : [issuer.issuers[0]];
  const token = await new SignJWT({ 'kubernetes.io': { namespace: req.namespace, serviceaccount: { name: req.name, uid: req.uid } } })
    .setProtectedHeader({ alg: 'RS256', kid: signer.kid })
    .setIssuer(issuer.issuers[0])
    .setSubject(`system:serviceaccount:${req.namespace}:${req.name}`)
    .setAudience(audiences)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + seconds)
    .sign(signer.privateKey);
  return { token, expiresAt: (now + seconds) * 1000 };
}
