/**
 * The simulated account's IAM: roles with their policies, the instance profiles that hold
 * them, and the temporary credentials issued for role sessions (what STS AssumeRole gives a
 * Lambda function or a host through IMDS).
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
 * not undeploy the roles, as deleting EC2 resources leaves IAM alone.
 */
import { randomBytes } from 'node:crypto';
import type { SimState } from '../core/state';

/** An IAM policy document (`Version`, `Statement`). */
export type PolicyDocument = { Version?: string; Statement: unknown[] | unknown };

export interface SimRole {
  name: string;
  arn: string;
  /** Inline policies by name. */
  policies: { name: string; document: PolicyDocument }[];
  /**
   * Managed policies attached (ARNs). Their documents are not modelled yet: they grant
   * nothing here, so what a role needs must be in its own policies to pass.
   */
  managedPolicyArns: string[];
}

export interface SimSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  role: string;
  sessionName: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`, as error messages name the caller. */
  arn: string;
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
  /** Instance profile name → role name. */
  instanceProfiles: Map<string, string>;
  sessions: Map<string, SimSession>;
  denials: SimDenial[];
  /** Bumped on every change of a role: evaluation caches key on it. */
  generation: number;
}

const registries = new WeakMap<SimState, IamRegistry>();

export function iamOf(state: SimState): IamRegistry {
  let registry = registries.get(state);
  if (!registry) {
    registry = { roles: new Map(), instanceProfiles: new Map(), sessions: new Map(), denials: [], generation: 0 };
    registries.set(state, registry);
  }
  return registry;
}

/** Creates or replaces a role (policies, managed policy ARNs) and the instance profiles that hold it. */
export function putRole(
  state: SimState,
  name: string,
  spec: { policies?: SimRole['policies']; managedPolicyArns?: string[]; instanceProfiles?: string[] },
): SimRole {
  const iam = iamOf(state);
  const role: SimRole = {
    name,
    arn: `arn:aws:iam::${state.accountId}:role/${name}`,
    policies: spec.policies ?? [],
    managedPolicyArns: spec.managedPolicyArns ?? [],
  };
  iam.roles.set(name, role);
  for (const profile of spec.instanceProfiles ?? []) iam.instanceProfiles.set(profile, name);
  iam.generation += 1;
  return role;
}

/** Temporary credentials for a session of `role` (what sts:AssumeRole returns). */
export function assumeRole(state: SimState, roleName: string, sessionName: string): SimSession {
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
  };
  iam.sessions.set(session.accessKeyId, session);
  return session;
}

export type Caller = { kind: 'administrator'; arn: string } | { kind: 'session'; arn: string; session: SimSession; role: SimRole } | { kind: 'unknown'; accessKeyId: string };

/** Who signed with `accessKeyId` (see the module comment). */
export function callerOf(state: SimState, accessKeyId: string | undefined): Caller {
  if (!accessKeyId || !accessKeyId.startsWith('ASIA')) return { kind: 'administrator', arn: `arn:aws:iam::${state.accountId}:root` };
  const iam = iamOf(state);
  const session = iam.sessions.get(accessKeyId);
  const role = session && iam.roles.get(session.role);
  if (!session || !role) return { kind: 'unknown', accessKeyId };
  return { kind: 'session', arn: session.arn, session, role };
}

export function recordDenial(state: SimState, denial: Omit<SimDenial, 'at'>): void {
  const iam = iamOf(state);
  iam.denials.push({ at: new Date(state.clock.now()).toISOString(), ...denial });
  if (iam.denials.length > 200) iam.denials.splice(0, iam.denials.length - 200);
}
