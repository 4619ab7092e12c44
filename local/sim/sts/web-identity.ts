/**
 * sts:AssumeRoleWithWebIdentity as STS decides it, for a Kubernetes service-account token:
 *
 * 1. the token is a JWT whose issuer is an OpenID Connect provider of the account's IAM, and
 *    whose audience is one of that provider's client IDs;
 * 2. its signature verifies against the keys the issuer publishes — STS reads the issuer's
 *    `/.well-known/openid-configuration` and the `jwks_uri` it names, from the internet (here:
 *    what the simulated S3 lets anyone read, `../s3/public-read.ts`);
 * 3. it has not expired, on the simulated clock;
 * 4. the role's trust policy allows the provider `sts:AssumeRoleWithWebIdentity` under the
 *    token's claims (`<issuer>:sub`, `<issuer>:aud`), through the same evaluator as every IAM
 *    decision here.
 *
 * The credentials last DurationSeconds (one hour by default, within the role's maximum), and
 * the simulator refuses them afterwards (ExpiredToken), so a client must fetch new ones with a
 * fresh token, as the SDKs' web identity provider does.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { SimError } from '../core/errors';
import type { SimState } from '../core/state';
import { assumeRole, iamOf, oidcProviderArn, type SimOidcProvider, type SimRole } from '../iam/principals';
import { renameConditionKeys } from '../iam/kms-context';
import { readPublicObject } from '../s3/public-read';

/** IAM's default MaxSessionDuration (the simulated roles keep the default). */
const MAX_SESSION_SECONDS = 3600;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export interface WebIdentityRequest {
  RoleArn?: string;
  RoleSessionName?: string;
  WebIdentityToken?: string;
  DurationSeconds?: number;
}

const invalidToken = (message: string) => new SimError('InvalidIdentityToken', message, 400);
const notAuthorized = () => new SimError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);

export async function assumeRoleWithWebIdentity(state: SimState, input: WebIdentityRequest) {
  const problems: string[] = [];
  if (!input.RoleSessionName || !SESSION_NAME.test(input.RoleSessionName)) problems.push(`Value '${input.RoleSessionName ?? ''}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`);
  const duration = input.DurationSeconds ?? MAX_SESSION_SECONDS;
  if (duration < 900 || duration > 43200) problems.push(`Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`);
  if (!input.WebIdentityToken || input.WebIdentityToken.length < 4) problems.push("Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4");
  if (problems.length) throw new SimError('ValidationError', `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`, 400);
  if (duration > MAX_SESSION_SECONDS) throw new SimError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.', 400);

  let claims: JWTPayload;
  try {
    claims = decodeJwt(input.WebIdentityToken!);
  } catch {
    throw invalidToken('The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)');
  }
  const issuer = String(claims.iss ?? '');
  const provider = iamOf(state).oidcProviders.get(oidcProviderArn(state, issuer));
  if (!issuer.startsWith('https://') || !provider) throw invalidToken(`No OpenIDConnect provider found in your account for ${issuer}`);
  const audiences = ([] as string[]).concat(claims.aud ?? []);
  const audience = audiences.find((a) => provider.clientIds.includes(a));
  if (!audience) throw invalidToken('Incorrect token audience');

  const keys = await publishedKeys(state, issuer);
  try {
    await jwtVerify(input.WebIdentityToken!, createLocalJWKSet(keys), { issuer, currentDate: new Date(state.clock.now()) });
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      throw new SimError('ExpiredTokenException', `Token expired: current date/time ${new Date(state.clock.now()).toISOString()} must be before the expiration date/time ${new Date(Number(claims.exp) * 1000).toISOString()}`, 400);
    }
    throw invalidToken('Incorrect token signature');
  }

  const role = roleOf(state, input.RoleArn);
  const subject = String(claims.sub ?? '');
  if (!role || !(await trusts(state, role, provider, { sub: subject, aud: audience }))) throw notAuthorized();
  const session = assumeRole(state, role.name, input.RoleSessionName!, duration);
  return {
    Credentials: { AccessKeyId: session.accessKeyId, SecretAccessKey: session.secretAccessKey, SessionToken: session.sessionToken, Expiration: new Date(session.expiresAt!) },
    SubjectFromWebIdentityToken: subject,
    AssumedRoleUser: { AssumedRoleId: `AROA${Buffer.from(role.arn).toString('hex').slice(-16).toUpperCase()}:${session.sessionName}`, Arn: session.arn },
    Provider: provider.arn,
    Audience: audience,
  };
}

/** The issuer's keys, as STS fetches them: the discovery document, then its jwks_uri. */
async function publishedKeys(state: SimState, issuer: string): Promise<JSONWebKeySet> {
  const unreachable = () =>
    new SimError('IDPCommunicationError', "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements", 400);
  const json = async (url: string) => {
    const body = await readPublicObject(state, url);
    if (!body) throw unreachable();
    try {
      return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw unreachable();
    }
  };
  const discovery = await json(`${issuer}/.well-known/openid-configuration`);
  if (discovery.issuer !== issuer || typeof discovery.jwks_uri !== 'string') throw unreachable();
  const jwks = await json(discovery.jwks_uri);
  if (!Array.isArray(jwks.keys)) throw unreachable();
  return jwks as unknown as JSONWebKeySet;
}

function roleOf(state: SimState, arn: string | undefined): SimRole | undefined {
  const role = iamOf(state).roles.get(String(arn ?? '').replace(/^.*:role\/(.*\/)?/, ''));
  return role && role.arn === arn ? role : undefined;
}

/**
 * The trust policy's verdict. The evaluator knows OIDC condition keys only for providers it
 * has heard of (Google, GitHub…): a cluster issuer's `<host/path>:sub` would be dropped as
 * unknown and every condition on it would fail. Those keys are renamed, in the policy and the
 * request alike, to a form it reads (as `../iam/kms-context.ts` does for KMS's).
 */
async function trusts(state: SimState, role: SimRole, provider: SimOidcProvider, claims: Record<string, string>): Promise<boolean> {
  if (!role.assumeRolePolicy) return false;
  const prefix = `${provider.url.replace(/^https:\/\//, '')}:`;
  const rename = (key: string) => (key.toLowerCase().startsWith(prefix.toLowerCase()) ? `aws:RequestTag/oidc:${key.slice(prefix.length).toLowerCase()}` : key);
  const policy = renameConditionKeys(JSON.parse(role.assumeRolePolicy), rename);
  const context = Object.fromEntries(Object.entries(claims).map(([claim, value]) => [rename(`${prefix}${claim}`), value]));
  const result = await runSimulation(
    {
      identityPolicies: [],
      resourcePolicy: policy as Record<string, unknown>,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: { action: 'sts:AssumeRoleWithWebIdentity', principal: provider.arn, resource: { resource: role.arn, accountId: state.accountId }, contextVariables: context },
    } as Parameters<typeof runSimulation>[0],
    {},
  );
  return result.resultType !== 'error' && result.overallResult === 'Allowed';
}
