/**
 * IAM in the simulator: every call to EC2, Auto Scaling, ELBv2, SSM, S3 and IAM itself is
 * authorized for the principal that signed it (see `principals.ts` for who that is,
 * `requests.ts` for what each call is checked on, `evaluate.ts` for the evaluation and the
 * errors), and IAM's own API (`api.ts`, `oidc-providers.ts`) creates the roles, profiles and
 * OpenID Connect providers a workflow needs.
 *
 * Routes (what a deployment does to IAM, and what tests inspect):
 * - `PUT /_sim/iam/policies/<name>` `{document}` creates or replaces a customer managed
 *   policy → `{arn}`;
 * - `PUT /_sim/iam/roles/<name>` `{policies: [{name, document}], managedPolicyArns?, instanceProfiles?, permissionsBoundary?}`
 *   creates or replaces a role → `{arn}` (its managed policies must exist);
 * - `POST /_sim/iam/roles/<name>/sessions` `{sessionName?}` → temporary credentials
 *   `{accessKeyId, secretAccessKey, sessionToken, arn}` (sts:AssumeRole);
 * - `GET /_sim/iam/callers/<accessKeyId>` → `{arn}` of whoever signs with that key (404 unknown).
 * - `POST /_sim/iam/authorize` `{accessKeyId, action, resource, context?, resourcePolicy?}` →
 *   `{allowed: true, principal}` or `{allowed: false, code, message}`: the judgement for a
 *   service outside the simulator (the embedded runtime's EventBridge and its bus policies);
 * - `GET /_sim/iam` → the roles, instance profiles, OpenID Connect providers, session count and
 *   the recent denials.
 */
import * as iamSdk from '@aws-sdk/client-iam';
import { registerAuthorizer, registerPersisted, registerQueryService, registerRoute } from '../core/registry';
import { iamHandlers } from './api';
import { authorizeCall, authorizeExternal } from './evaluate';
import { assumeRole, callerOf, exportIam, iamOf, importIam, putManagedPolicy, putRole, unknownPolicies, type SimRole } from './principals';

registerAuthorizer(authorizeCall);
registerPersisted('iam', { save: exportIam, load: importIam });

registerQueryService({
  name: 'iam',
  version: '2010-05-08',
  signingName: 'iam',
  xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/',
  settings: { ec2: false },
  schemas: iamSdk as unknown as Record<string, unknown>,
  handlers: iamHandlers,
});

const POLICY_PATH = /^\/_sim\/iam\/policies\/([\w+=,.@-]{1,128})$/;

registerRoute('PUT', '/_sim/iam/policies/*', (req, { state }) => {
  const m = POLICY_PATH.exec(req.path);
  if (!m) return { status: 404, body: { error: `no route PUT ${req.path}` } };
  const { document } = req.json() as { document?: { Statement?: unknown } };
  if (!document || document.Statement === undefined) return { status: 400, body: { error: 'document must have a Statement' } };
  return { body: { arn: putManagedPolicy(state, m[1], document as { Statement: unknown }).arn } };
});

const ROLE_PATH = /^\/_sim\/iam\/roles\/([\w+=,.@-]{1,64})(\/sessions)?$/;

registerRoute('PUT', '/_sim/iam/roles/*', (req, { state }) => {
  const m = ROLE_PATH.exec(req.path);
  if (!m || m[2]) return { status: 404, body: { error: `no route PUT ${req.path}` } };
  const body = req.json() as { policies?: SimRole['policies']; managedPolicyArns?: string[]; instanceProfiles?: string[]; permissionsBoundary?: string };
  const problems = validateRole(body);
  const unknown = problems.length ? [] : unknownPolicies(state, [...(body.managedPolicyArns ?? []), ...(body.permissionsBoundary ? [body.permissionsBoundary] : [])]);
  if (unknown.length) problems.push(`no managed policy ${unknown.join(', ')} in the account (AWS-managed policies are not modelled: state what the role needs)`);
  if (problems.length) return { status: 400, body: { error: problems.join('; ') } };
  const role = putRole(state, m[1], body);
  return { body: { arn: role.arn } };
});

registerRoute('POST', '/_sim/iam/roles/*', (req, { state }) => {
  const m = ROLE_PATH.exec(req.path);
  if (!m || !m[2]) return { status: 404, body: { error: `no route POST ${req.path}` } };
  if (!iamOf(state).roles.has(m[1])) return { status: 404, body: { error: `no role ${m[1]}` } };
  const { sessionName } = req.json() as { sessionName?: string };
  const session = assumeRole(state, m[1], sessionName ?? m[1]);
  return { body: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken, arn: session.arn } };
});

registerRoute('POST', '/_sim/iam/authorize', async (req, { state }) => {
  const body = req.json() as { accessKeyId?: string; action?: unknown; resource?: unknown; context?: Record<string, string | string[]>; resourcePolicy?: unknown };
  if (typeof body.action !== 'string' || typeof body.resource !== 'string') return { status: 400, body: { error: 'action and resource must be strings' } };
  return { body: await authorizeExternal(state, { ...body, action: body.action, resource: body.resource }) };
});

// Who signs with an access key: the embedded API Gateway's `aws_iam` authorizer asks, to name the caller.
registerRoute('GET', '/_sim/iam/callers/*', (req, { state }) => {
  const caller = callerOf(state, decodeURIComponent(req.path.slice('/_sim/iam/callers/'.length)));
  if (caller.kind === 'unknown') return { status: 404, body: { error: 'The security token included in the request is invalid.' } };
  if (caller.kind === 'expired') return { status: 404, body: { error: 'The security token included in the request is expired' } };
  return { body: { arn: caller.arn } };
});

registerRoute('GET', '/_sim/iam', (_req, { state }) => {
  const iam = iamOf(state);
  return {
    body: {
      roles: [...iam.roles.values()],
      policies: [...iam.policies.values()],
      instanceProfiles: Object.fromEntries([...iam.instanceProfiles.values()].map((p) => [p.name, p.roles[0] ?? null])),
      oidcProviders: [...iam.oidcProviders.values()],
      sessions: iam.sessions.size,
      denials: iam.denials,
    },
  };
});

function validateRole(body: { policies?: unknown; managedPolicyArns?: unknown; instanceProfiles?: unknown }): string[] {
  const problems: string[] = [];
  if (body.policies !== undefined && !Array.isArray(body.policies)) problems.push('policies must be a list of {name, document}');
  for (const [i, p] of (Array.isArray(body.policies) ? body.policies : []).entries()) {
    const policy = p as { name?: unknown; document?: { Statement?: unknown } };
    if (typeof policy?.name !== 'string') problems.push(`policies[${i}].name must be a string`);
    if (!policy?.document || policy.document.Statement === undefined) problems.push(`policies[${i}].document must have a Statement`);
  }
  for (const key of ['managedPolicyArns', 'instanceProfiles'] as const) {
    const v = body[key];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) problems.push(`${key} must be a list of strings`);
  }
  return problems;
}
