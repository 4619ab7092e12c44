/**
 * The simulated account's IAM: roles with their policies, the customer managed policies
 * they attach (and the permissions boundaries they are held to), the instance profiles that
 * hold them, and the temporary credentials issued for role sessions (what STS AssumeRole
 * gives a Lambda function or a host through IMDS).
 *
 * Who a request is, by the access key it was signed with:
 * - a key issued here (`ASIA…`) → that role session, evaluated against the role's policies;
 *   an `ASIA…` key not issued here (or issued by a simulator since restarted) is refused,
 *   as AWS refuses an unknown or expired session;
 * - any other key → the account's administrator, allowed everything. That is the user, the
 *   tests and the tools that drive the simulator with made-up keys (`test`, `x`), as the
 *   root credentials of LocalStack's default account are.
 *
 * Kept beside the state (not in its resources): a `reset` of the simulated resources does
 * not undeploy the roles, as deleting EC2 resources leaves IAM alone. A snapshot keeps
 * roles, policies, profiles and OIDC providers (`exportIam`/`importIam`); sessions are issued again.
 */
import { randomBytes } from 'node:crypto';
import type { SimState } from '../core/state';
import type { Tags } from '../core/types';
import { DEFAULT_LATENCIES } from '../../../shared/latency-model';

/** An IAM policy document (`Version`, `Statement`). */
export type PolicyDocument = { Version?: string; Statement: unknown[] | unknown };

export interface SimRole {
  name: string;
  /** `/` or `/a/b/`: part of the ARN (`role/a/b/<name>`), not of the name. */
  path: string;
  arn: string;
  /** Inline policies by name. */
  policies: { name: string; document: PolicyDocument }[];
  /** Managed policies attached (ARNs of the account's customer managed policies). */
  managedPolicyArns: string[];
  /** The managed policy that caps what the role's policies can grant, if any. */
  permissionsBoundary?: string;
  /** The trust policy (JSON), when created through the IAM API. */
  assumeRolePolicy?: string;
  tags: Tags;
  createdAt: number;
}

export interface SimManagedPolicy {
  name: string;
  path: string;
  arn: string;
  document: PolicyDocument;
}

export interface SimInstanceProfile {
  name: string;
  path: string;
  arn: string;
  /** Role names (IAM allows one). */
  roles: string[];
  tags: Tags;
  createdAt: number;
  /**
   * When EC2 first accepts the profile (simulated ms). IAM is eventually consistent: a
   * profile just created, or just given its role, is "invalid" to RunInstances for a few
   * seconds, and every tool that creates one retries its launch.
   */
  usableAt: number;
}

export interface SimSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  role: string;
  sessionName: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`, as error messages name the caller. */
  arn: string;
  /**
   * When the credentials stop working (simulated ms): a web identity session's
   * DurationSeconds. Instance profile sessions have none here (IMDS refreshes them).
   */
  expiresAt?: number;
}

/**
 * An IAM OpenID Connect identity provider: whose tokens STS takes in
 * AssumeRoleWithWebIdentity (a cluster's service-account issuer, for roles of pods).
 */
export interface SimOidcProvider {
  /** `https://host/path`, as created. */
  url: string;
  arn: string;
  clientIds: string[];
  thumbprints: string[];
  tags: Tags;
  createdAt: number;
}

/** A denial, kept for `GET /_sim/iam` (newest last, the last 200). */
export interface SimDenial {
  at: string;
  principal: string;
  action: string;
  resource: string;
  reason: 'implicit' | 'explicit';
}

export interface IamRegistry {
  roles: Map<string, SimRole>;
  /** Customer managed policies by ARN. */
  policies: Map<string, SimManagedPolicy>;
  instanceProfiles: Map<string, SimInstanceProfile>;
  /** OpenID Connect providers by ARN. */
  oidcProviders: Map<string, SimOidcProvider>;
  sessions: Map<string, SimSession>;
  denials: SimDenial[];
  /** Bumped on every change of a role or policy: evaluation caches key on it. */
  generation: number;
}

/** How long IAM takes to show EC2 a new instance profile (simulated seconds; the latency model's `instanceProfile.visible`). */
export const PROFILE_PROPAGATION_SECONDS = DEFAULT_LATENCIES['instanceProfile.visible'].typical;

const registries = new WeakMap<SimState, IamRegistry>();

export function iamOf(state: SimState): IamRegistry {
  let registry = registries.get(state);
  if (!registry) {
    registry = { roles: new Map(), policies: new Map(), instanceProfiles: new Map(), oidcProviders: new Map(), sessions: new Map(), denials: [], generation: 0 };
    registries.set(state, registry);
  }
  return registry;
}

export function roleArn(state: SimState, name: string, path = '/'): string {
  return `arn:aws:iam::${state.accountId}:role${path}${name}`;
}

export function policyArn(state: SimState, name: string, path = '/'): string {
  return `arn:aws:iam::${state.accountId}:policy${path}${name}`;
}

/** `https://host/path` → `arn:aws:iam::<account>:oidc-provider/host/path`. */
export function oidcProviderArn(state: SimState, url: string): string {
  return `arn:aws:iam::${state.accountId}:oidc-provider/${url.replace(/^https:\/\//, '').replace(/\/+$/, '')}`;
}

export function instanceProfileArn(state: SimState, name: string, path = '/'): string {
  return `arn:aws:iam::${state.accountId}:instance-profile${path}${name}`;
}

/** Every managed policy ARN the account does not hold: AWS refuses to attach them (NoSuchEntity). */
export function unknownPolicies(state: SimState, arns: readonly string[]): string[] {
  const iam = iamOf(state);
  return arns.filter((a) => !iam.policies.has(a));
}

/**
 * Creates or replaces a role (policies, managed policy ARNs) and the instance profiles that
 * hold it, as a deployment does: its profiles are usable at once (CloudFormation waits for
 * them before it reports the stack complete).
 */
export function putRole(
  state: SimState,
  name: string,
  spec: { policies?: SimRole['policies']; managedPolicyArns?: string[]; instanceProfiles?: string[]; permissionsBoundary?: string },
): SimRole {
  const iam = iamOf(state);
  const role: SimRole = {
    name,
    path: '/',
    arn: roleArn(state, name),
    policies: spec.policies ?? [],
    managedPolicyArns: spec.managedPolicyArns ?? [],
    ...(spec.permissionsBoundary ? { permissionsBoundary: spec.permissionsBoundary } : {}),
    tags: {},
    createdAt: state.clock.now(),
  };
  iam.roles.set(name, role);
  for (const profile of spec.instanceProfiles ?? []) {
    iam.instanceProfiles.set(profile, { name: profile, path: '/', arn: instanceProfileArn(state, profile), roles: [name], tags: {}, createdAt: state.clock.now(), usableAt: state.clock.now() });
  }
  iam.generation += 1;
  return role;
}

/** Creates or replaces a customer managed policy. */
export function putManagedPolicy(state: SimState, name: string, document: PolicyDocument, path = '/'): SimManagedPolicy {
  const iam = iamOf(state);
  const policy: SimManagedPolicy = { name, path, arn: policyArn(state, name, path), document };
  iam.policies.set(policy.arn, policy);
  iam.generation += 1;
  return policy;
}

/** The profile a launch names, by name or ARN. */
export function profileOf(state: SimState, ref: string): SimInstanceProfile | undefined {
  const iam = iamOf(state);
  if (!ref.startsWith('arn:')) return iam.instanceProfiles.get(ref);
  return [...iam.instanceProfiles.values()].find((p) => p.arn === ref);
}

/** The role an instance profile holds, if IAM knows both. */
export function roleOfProfile(state: SimState, ref: string): SimRole | undefined {
  const profile = profileOf(state, ref);
  return profile?.roles[0] ? iamOf(state).roles.get(profile.roles[0]) : undefined;
}

/**
 * Why EC2 refuses to launch with `profile` (name or ARN), if it does: IAM does not know
 * it, or knows it too recently (see `SimInstanceProfile.usableAt`), or it holds no role.
 */
export function instanceProfileProblem(state: SimState, profile: { Name?: string; Arn?: string } | undefined): string | undefined {
  if (!profile?.Name && !profile?.Arn) return undefined;
  const found = profileOf(state, profile.Arn ?? profile.Name ?? '');
  if (found && found.usableAt <= state.clock.now() && found.roles.length > 0) return undefined;
  return profile.Arn
    ? `Value (${profile.Arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`
    : `Value (${profile.Name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`;
}

/** Temporary credentials for a session of `role` (what sts:AssumeRole returns), for `durationSeconds` if given. */
export function assumeRole(state: SimState, roleName: string, sessionName: string, durationSeconds?: number): SimSession {
  const iam = iamOf(state);
  const role = iam.roles.get(roleName);
  if (!role) throw new Error(`no role ${roleName}`);
  const session: SimSession = {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(48).toString('base64'),
    role: roleName,
    sessionName,
    arn: `arn:aws:sts::${state.accountId}:assumed-role/${roleName}/${sessionName}`,
    ...(durationSeconds ? { expiresAt: state.clock.now() + durationSeconds * 1000 } : {}),
  };
  iam.sessions.set(session.accessKeyId, session);
  return session;
}

export type Caller =
  | { kind: 'administrator'; arn: string }
  | { kind: 'session'; arn: string; session: SimSession; role: SimRole }
  | { kind: 'unknown'; accessKeyId: string }
  | { kind: 'expired'; accessKeyId: string; arn: string };

/** Who signed with `accessKeyId` (see the module comment). */
export function callerOf(state: SimState, accessKeyId: string | undefined): Caller {
  if (!accessKeyId || !accessKeyId.startsWith('ASIA')) return { kind: 'administrator', arn: `arn:aws:iam::${state.accountId}:root` };
  const iam = iamOf(state);
  const session = iam.sessions.get(accessKeyId);
  const role = session && iam.roles.get(session.role);
  if (!session || !role) return { kind: 'unknown', accessKeyId };
  if (session.expiresAt !== undefined && session.expiresAt <= state.clock.now()) return { kind: 'expired', accessKeyId, arn: session.arn };
  return { kind: 'session', arn: session.arn, session, role };
}

export function recordDenial(state: SimState, denial: Omit<SimDenial, 'at'>): void {
  const iam = iamOf(state);
  iam.denials.push({ at: new Date(state.clock.now()).toISOString(), ...denial });
  if (iam.denials.length > 200) iam.denials.splice(0, iam.denials.length - 200);
}

/** What a snapshot keeps of IAM: roles, managed policies and instance profiles. */
export function exportIam(state: SimState): unknown {
  const iam = iamOf(state);
  return { roles: [...iam.roles.values()], policies: [...iam.policies.values()], instanceProfiles: [...iam.instanceProfiles.values()], oidcProviders: [...iam.oidcProviders.values()] };
}

export function importIam(state: SimState, data: unknown): void {
  const saved = (data ?? {}) as { roles?: SimRole[]; policies?: SimManagedPolicy[]; instanceProfiles?: SimInstanceProfile[]; oidcProviders?: SimOidcProvider[] };
  const iam = iamOf(state);
  for (const r of saved.roles ?? []) iam.roles.set(r.name, r);
  for (const p of saved.policies ?? []) iam.policies.set(p.arn, p);
  for (const p of saved.instanceProfiles ?? []) iam.instanceProfiles.set(p.name, p);
  for (const p of saved.oidcProviders ?? []) iam.oidcProviders.set(p.arn, p);
  iam.generation += 1;
}
