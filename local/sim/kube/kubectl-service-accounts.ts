/**
 * kubectl's service-account commands on a simulated host: `create serviceaccount NAME`,
 * `create token NAME [--audience A]... [--duration D]` (a TokenRequest), and `get --raw` of
 * the issuer discovery paths (`/.well-known/openid-configuration`, `/openid/v1/jwks`) — what
 * a control plane publishes for IAM, and what a test uses to give a pod its token.
 */
import { randomUUID } from 'node:crypto';
import type { ShimResult } from '../hosts/protocol';
import { fail, ok } from '../hosts/protocol';
import { type KubeCluster, KubeError } from './cluster';
import { flag, parseGoDuration } from './host';
import { discoveryDocument, issueToken, keySet } from './service-accounts';

export const SERVICE_ACCOUNT_NAMES = new Set(['serviceaccount', 'serviceaccounts', 'sa']);
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const namespaceOf = (args: string[]) => flag(args, '-n', '--namespace') ?? 'default';

/** The uid of `namespace/name`, if the ServiceAccount exists (`default` always does). */
export function serviceAccountUid(cluster: KubeCluster, namespace: string, name: string): string | undefined {
  const key = `${namespace}/${name}`;
  if (name === 'default' && !cluster.serviceAccounts.has(key)) cluster.serviceAccounts.set(key, randomUUID());
  return cluster.serviceAccounts.get(key);
}

export function createServiceAccount(cluster: KubeCluster, name: string | undefined, args: string[]): ShimResult {
  if (!name || !NAME.test(name)) return fail(`error: ServiceAccount "${name ?? ''}" is invalid: metadata.name: Invalid value: "${name ?? ''}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`);
  const namespace = namespaceOf(args);
  if (serviceAccountUid(cluster, namespace, name)) return fail(`Error from server (AlreadyExists): serviceaccounts "${name}" already exists`);
  cluster.serviceAccounts.set(`${namespace}/${name}`, randomUUID());
  return ok(`serviceaccount/${name} created\n`);
}

/** `kubectl create token NAME`: prints the token (kubectl's own output: the token and a newline). */
export async function createToken(cluster: KubeCluster, name: string | undefined, args: string[]): Promise<ShimResult> {
  if (!name) return fail('error: exactly one argument (service account name) is required');
  const namespace = namespaceOf(args);
  const uid = serviceAccountUid(cluster, namespace, name);
  if (!uid) return fail(`error: failed to create token: serviceaccounts "${name}" not found`);
  const signer = cluster.serviceAccountSigner;
  if (!signer) throw new KubeError('error: failed to create token: the server could not find the requested resource');
  const audiences = args.flatMap((a, i) => (a === '--audience' ? [args[i + 1] ?? ''] : a.startsWith('--audience=') ? [a.slice('--audience='.length)] : []));
  const duration = flag(args, '--duration');
  const seconds = duration === undefined ? undefined : parseGoDuration(duration);
  if (duration !== undefined && seconds === undefined) return fail(`error: invalid argument "${duration}" for "--duration" flag: time: invalid duration "${duration}"`);
  const { token } = await issueToken(signer, cluster.serviceAccountIssuer, { namespace, name, uid, audiences, ...(seconds !== undefined ? { expirationSeconds: seconds } : {}) }, cluster.now());
  return ok(`${token}\n`);
}

/** `kubectl get --raw PATH` for the issuer discovery paths; undefined for paths this does not serve. */
export function rawIssuerDocument(cluster: KubeCluster, path: string): Record<string, unknown> | undefined {
  if (path === '/.well-known/openid-configuration') return discoveryDocument(cluster.serviceAccountIssuer, cluster.endpoint);
  if (path === '/openid/v1/jwks' && cluster.serviceAccountSigner) return keySet(cluster.serviceAccountSigner);
  return undefined;
}
