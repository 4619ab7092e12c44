/**
 * IAM evaluation of a simulated call: each of its checks (`requests.ts`) goes through a
 * real policy evaluator (@cloud-copilot/iam-simulate: Allow/Deny, resource ARNs, condition
 * operators and keys) against the caller's identity policies; the first one not allowed
 * fails the call the way the service fails it.
 */
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { SimError } from '../core/errors';
import type { SimContext } from '../core/registry';
import { evaluableContext, evaluablePolicy } from './kms-context';
import { authorizationChecks, type AuthzCheck } from './requests';
import { callerOf, iamOf, recordDenial, roleOfProfile, type IamRegistry, type SimRole } from './principals';

/** `BoundaryDenied`: identity policies allow it, the role's permissions boundary does not. */
type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied' | 'BoundaryDenied';

/** Decisions by IAM generation, role, principal and check (with any resource policy): a workflow repeats the same calls. */
const cache = new Map<string, Decision>();
const CACHE_LIMIT = 20_000;
const UNKNOWN_RESOURCE_TYPE = new Set(['no.resource.types', 'multiple.resource.types']);

/** What a principal is evaluated with: its identity policies and its boundary (none for the administrator). */
function policiesOf(iam: IamRegistry, role: SimRole | undefined) {
  if (!role) return { identityPolicies: [{ name: 'administrator', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }] };
  const managed = (arn: string) => {
    const policy = iam.policies.get(arn);
    return policy ? [{ name: policy.name, policy: policy.document }] : [];
  };
  return {
    // Inline and attached policies; a managed policy since deleted grants nothing.
    identityPolicies: [...role.policies.map((p) => ({ name: p.name, policy: p.document })), ...role.managedPolicyArns.flatMap(managed)],
    // A boundary caps them: what it does not allow is denied, whatever they allow.
    ...(role.permissionsBoundary ? { permissionBoundaryPolicies: managed(role.permissionsBoundary) } : {}),
  };
}

type Simulation = Parameters<typeof runSimulation>[0];

async function evaluate(given: Simulation, check: AuthzCheck): Promise<Decision> {
  const simulation = check.action.startsWith('kms:') ? kmsEvaluable(given) : given;
  const result = await runSimulation(simulation, {});
  let decision: Decision;
  if (result.resultType !== 'error') decision = result.overallResult as Decision;
  else if (UNKNOWN_RESOURCE_TYPE.has(String(result.errors.message))) {
    // The reference data has no resource type for this ARN, though AWS has: it merges
    // ELB v1 and v2 under one prefix (v2's AddTags on a target group), and its patterns
    // need an account where AWS names its own SSM parameters and documents without one
    // (`arn:aws:ssm:us-east-1::parameter/aws/service/…`). The same evaluation, without
    // that validation.
    decision = runUnsafeSimulation(simulation, {}) as Decision;
  } else {
    // A policy or check the evaluator cannot read: a bug in a definition or a model, not a denial.
    throw new SimError('InternalError', `IAM evaluation of ${check.action} on ${check.resource} failed: ${JSON.stringify(result.errors)}`, 500);
  }
  if (decision === 'ImplicitlyDenied' && simulation.permissionBoundaryPolicies) {
    // Which policy said no, for the message: allowed without the boundary means the boundary did.
    const { permissionBoundaryPolicies: _boundary, ...unbounded } = simulation;
    const without = await runSimulation(unbounded, {});
    const allowed = without.resultType === 'error' ? runUnsafeSimulation(unbounded, {}) : without.overallResult;
    if (allowed === 'Allowed') decision = 'BoundaryDenied';
  }
  return decision;
}

/** A KMS simulation with its encryption context conditions in a form the evaluator reads (./kms-context.ts). */
function kmsEvaluable(simulation: Simulation): Simulation {
  return {
    ...simulation,
    identityPolicies: simulation.identityPolicies.map((p) => ({ ...p, policy: evaluablePolicy(p.policy) })),
    ...(simulation.permissionBoundaryPolicies ? { permissionBoundaryPolicies: simulation.permissionBoundaryPolicies.map((p) => ({ ...p, policy: evaluablePolicy(p.policy) })) } : {}),
    ...(simulation.resourcePolicy ? { resourcePolicy: evaluablePolicy(simulation.resourcePolicy) } : {}),
    request: { ...simulation.request, contextVariables: evaluableContext(simulation.request.contextVariables) },
  };
}

/** `role` undefined: the administrator. */
async function decide(iam: IamRegistry, role: SimRole | undefined, principal: string, account: string, check: AuthzCheck): Promise<Decision> {
  const key = JSON.stringify([iam.generation, role?.name ?? null, principal, check]);
  const hit = cache.get(key);
  if (hit) return hit;
  const decision = await evaluate(
    {
      ...policiesOf(iam, role),
      ...(check.resourcePolicy ? { resourcePolicy: check.resourcePolicy } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: { action: check.action, principal, resource: { resource: check.resource, accountId: account }, contextVariables: check.context },
    },
    check,
  );
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, decision);
  return decision;
}

export type ExternalDecision = { allowed: true; principal: string } | { allowed: false; code: string; message: string };

/**
 * A call to a service the simulator does not serve itself (the embedded runtime's
 * EventBridge asks through `POST /_sim/iam/authorize`): the caller's identity policies and
 * boundary, and the resource's own policy (an event bus policy), as AWS evaluates a call
 * within one account — allowed by either, unless either denies. The administrator is
 * allowed everything its identity allows, but a resource policy's explicit deny still holds.
 */
export async function authorizeExternal(
  state: SimContext['state'],
  input: { accessKeyId?: string; action: string; resource: string; context?: Record<string, string | string[]>; resourcePolicy?: unknown },
): Promise<ExternalDecision> {
  const caller = callerOf(state, input.accessKeyId);
  if (caller.kind === 'unknown') return { allowed: false, code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  if (caller.kind === 'expired') return { allowed: false, code: 'ExpiredTokenException', message: 'The security token included in the request is expired' };
  const role = caller.kind === 'session' ? caller.role : undefined;
  const check: AuthzCheck = {
    action: input.action,
    resource: input.resource,
    context: { ...(input.context ?? {}), 'aws:PrincipalArn': role?.arn ?? caller.arn },
    ...(input.resourcePolicy ? { resourcePolicy: input.resourcePolicy } : {}),
  };
  // Cached as a service call's decision is: DynamoDB asks for every request a function makes.
  const decision = await decide(iamOf(state), role, caller.arn, state.accountId, check);
  if (decision === 'Allowed') return { allowed: true, principal: caller.arn };
  recordDenial(state, { principal: caller.arn, action: check.action, resource: check.resource, reason: decision === 'ExplicitlyDenied' ? 'explicit' : 'implicit' });
  const why = decision === 'ExplicitlyDenied' ? 'with an explicit deny in a resource-based policy' : `because no identity-based policy allows the ${check.action} action`;
  return { allowed: false, code: 'AccessDeniedException', message: `User: ${caller.arn} is not authorized to perform: ${check.action} on resource: ${check.resource} ${why}` };
}

/** The service's own shape of "access denied" (code, HTTP status, message). */
function denied(ctx: SimContext, principal: string, check: AuthzCheck, decision: Decision): SimError {
  const why =
    decision === 'ExplicitlyDenied'
      ? `with an explicit deny in an identity-based policy`
      : decision === 'BoundaryDenied'
        ? `because no permissions boundary allows the ${check.action} action`
        : `because no identity-based policy allows the ${check.action} action`;
  const message = `User: ${principal} is not authorized to perform: ${check.action} on resource: ${check.resource} ${why}`;
  switch (ctx.service) {
    case 'ec2': {
      // EC2 hides the detail in an encoded message (sts:DecodeAuthorizationMessage); the
      // simulator's is base64 JSON of the same facts.
      const encoded = Buffer.from(
        JSON.stringify({ allowed: false, explicitDeny: decision === 'ExplicitlyDenied', context: { principal: { arn: principal }, action: check.action, resource: check.resource, conditions: check.context } }),
      ).toString('base64');
      return new SimError('UnauthorizedOperation', `You are not authorized to perform this operation. ${message}. Encoded authorization failure message: ${encoded}`, 403);
    }
    case 'ssm':
      return new SimError('AccessDeniedException', message, 400);
    default:
      return new SimError('AccessDenied', message, 403);
  }
}

/**
 * Calls a process makes with a role's credentials from outside any service handler (the
 * VPC CNI's aws-node on a simulated node, with its instance's role): the message of the
 * first one the role may not make, as EC2 words it, or undefined when all are allowed.
 */
export async function firstDenial(state: SimContext['state'], role: SimRole, session: string, checks: AuthzCheck[]): Promise<string | undefined> {
  const principal = `arn:aws:sts::${state.accountId}:assumed-role/${role.name}/${session}`;
  for (const check of checks) {
    const decision = await decide(iamOf(state), role, principal, state.accountId, check);
    if (decision === 'Allowed') continue;
    recordDenial(state, { principal, action: check.action, resource: check.resource, reason: decision === 'ExplicitlyDenied' ? 'explicit' : 'implicit' });
    const err = denied({ service: 'ec2' } as SimContext, principal, check, decision);
    return `${err.code}: ${err.message}`;
  }
  return undefined;
}

/** The authorizer the simulator runs for every service call (registered by `./index.ts`). */
export async function authorizeCall(ctx: SimContext, input: unknown): Promise<void> {
  const caller = callerOf(ctx.state, ctx.accessKeyId);
  if (caller.kind === 'administrator') return;
  if (caller.kind === 'unknown') {
    const code = ctx.service === 'ec2' ? 'AuthFailure' : ctx.service === 'ssm' ? 'UnrecognizedClientException' : 'InvalidClientTokenId';
    throw new SimError(code, 'The security token included in the request is invalid.', ctx.service === 'ssm' ? 400 : 403);
  }
  if (caller.kind === 'expired') {
    // A web identity session past its DurationSeconds: the SDK's credential provider must fetch new ones.
    const code = ctx.service === 'ssm' ? 'ExpiredTokenException' : ctx.service === 'ec2' ? 'RequestExpired' : 'ExpiredToken';
    throw new SimError(code, 'The security token included in the request is expired', ctx.service === 'ssm' ? 400 : 403);
  }
  const iam = iamOf(ctx.state);
  const checks = authorizationChecks(ctx, input, { roleOfProfile: (profile) => roleOfProfile(ctx.state, profile)?.arn });
  for (const check of checks) {
    const decision = await decide(iam, caller.role, caller.arn, ctx.state.accountId, check);
    if (decision !== 'Allowed') {
      recordDenial(ctx.state, { principal: caller.arn, action: check.action, resource: check.resource, reason: decision === 'ExplicitlyDenied' ? 'explicit' : 'implicit' });
      throw denied(ctx, caller.arn, check, decision);
    }
  }
}
