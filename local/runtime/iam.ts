/**
 * The IAM half of a deployment, done to the cloud simulator: every role the packaged
 * stack would create — one per function (serverless-iam-roles-per-function, from each
 * function's `iamRoleStatements`), the managed policies and the instance roles and profiles of
 * `resources.Resources` — with its policies resolved to local ARNs, and for each function
 * the temporary credentials of its role's session, which the Lambda runtime puts in that
 * function's environment (local/runtime/invocation-env.ts). The simulator then evaluates
 * every call a function makes against exactly what AWS would.
 */
import { localIntrinsics, type ServerlessConfig } from './serverless-config';

export interface RoleSpec {
  name: string;
  policies: { name: string; document: { Version: string; Statement: unknown[] } }[];
  managedPolicyArns: string[];
  instanceProfiles: string[];
}

/** A customer managed policy of the stack (`AWS::IAM::ManagedPolicy`). */
export interface ManagedPolicySpec {
  name: string;
  document: { Version: string; Statement: unknown[] };
}

/** The stack's customer managed policies, with their documents resolved to local ARNs. */
export function stackPolicies(config: ServerlessConfig): ManagedPolicySpec[] {
  return Object.entries(config.resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy')
    .map(([id, r]) => {
      const props = r.Properties ?? {};
      const doc = props.PolicyDocument as { Statement: unknown[] };
      return {
        name: typeof props.ManagedPolicyName === 'string' ? props.ManagedPolicyName : id,
        document: { Version: '2012-10-17', Statement: resolveDeep(doc.Statement, config, `policy ${id}`) as unknown[] },
      };
    });
}

/** The stack's own event buses (`AWS::Events::EventBus`) by name, with their resource policies resolved. */
export function stackEventBuses(config: ServerlessConfig): Record<string, { logicalId: string; policy?: unknown }> {
  const buses: Record<string, { logicalId: string; policy?: unknown }> = {};
  for (const [id, r] of Object.entries(config.resources)) {
    if (r.Type !== 'AWS::Events::EventBus') continue;
    const props = r.Properties ?? {};
    const name = typeof props.Name === 'string' ? props.Name : id;
    buses[name] = { logicalId: id, ...(props.Policy === undefined ? {} : { policy: resolveDeep(props.Policy, config, `event bus ${id}`) }) };
  }
  return buses;
}

/** Asks the simulator at `cloud` to judge a call to a service it does not serve (`POST /_sim/iam/authorize`). */
export function simulatorJudge(cloud: string) {
  return async (request: { accessKeyId?: string; action: string; resource: string; context: Record<string, string>; resourcePolicy?: unknown }) =>
    (await call(cloud, 'POST', '/_sim/iam/authorize', request)) as { allowed: boolean; code?: string; message?: string };
}

/**
 * Asks the simulator at `cloud` who signs with an access key (the API's `aws_iam` authorizer
 * names the caller). A key's owner never changes, so each is asked once; a key nobody
 * issued is asked again (the simulator may issue it later).
 */
export function simulatorCallers(cloud: string) {
  const known = new Map<string, string>();
  const ask = async (key: string): Promise<Response> => {
    const url = `${cloud}/_sim/iam/callers/${encodeURIComponent(key)}`;
    // A pooled connection the simulator has just closed fails once; a fresh one does not.
    return fetch(url).catch(() => fetch(url));
  };
  return async (accessKeyId: string | undefined): Promise<string | undefined> => {
    const key = accessKeyId ?? '-';
    const hit = known.get(key);
    if (hit) return hit;
    const res = await ask(key);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`the simulator could not name the caller: ${res.status}`);
    const arn = ((await res.json()) as { arn: string }).arn;
    if (known.size > 10_000) known.clear();
    known.set(key, arn);
    return arn;
  };
}

/** The AWS credentials variables of a session, as Lambda sets them. */
export type CredentialVariables = Record<'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY' | 'AWS_SESSION_TOKEN', string>;

const INTRINSICS = ['Ref', 'Fn::GetAtt', 'Fn::Sub', 'Fn::Join'];

/** Resolves every intrinsic in `value` to its local value; throws naming what it cannot. */
export function resolveDeep(value: unknown, config: ServerlessConfig, where: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveDeep(v, config, where));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && INTRINSICS.includes(entries[0][0])) {
    const local = localIntrinsics(value as Record<string, unknown>, config);
    if (local === undefined || /\$\{[^}]+\}/.test(local)) throw new Error(`${where}: no local value for ${JSON.stringify(value)}`);
    return local;
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveDeep(v, config, where)]));
}

/**
 * A function's role name (IAM allows 64 characters): its own, or the stack role it shares
 * with functions of the same grants (`role:`, workflows/function-roles.ts).
 */
export function functionRoleName(config: ServerlessConfig, fn: string): string {
  const shared = mergeFunctionSections(config.raw.functions)[fn]?.role;
  if (typeof shared === 'string') return stackRoleName(config, shared);
  return `${config.service}-${config.stage}-${fn}`.slice(0, 64);
}

/** A role resource's name: its RoleName, else its logical id. */
function stackRoleName(config: ServerlessConfig, id: string): string {
  const stated = config.resources[id]?.Properties?.RoleName;
  return typeof stated === 'string' ? stated : id;
}

/** Every role of the stack: the functions' and the resources' (instance roles, with their profiles). */
export function stackRoles(config: ServerlessConfig): RoleSpec[] {
  const roles: RoleSpec[] = [];
  const rawFunctions = mergeFunctionSections(config.raw.functions);
  for (const name of Object.keys(config.functions)) {
    // A shared role is a resource of the stack: created below.
    if (typeof rawFunctions[name]?.role === 'string') continue;
    const statements = (rawFunctions[name]?.iamRoleStatements ?? []) as unknown[];
    roles.push({
      name: functionRoleName(config, name),
      policies: statements.length
        ? [{ name: 'function', document: { Version: '2012-10-17', Statement: resolveDeep(statements, config, `function ${name}`) as unknown[] } }]
        : [],
      managedPolicyArns: [],
      instanceProfiles: [],
    });
  }
  const profiles = Object.entries(config.resources).filter(([, r]) => r.Type === 'AWS::IAM::InstanceProfile');
  for (const [id, resource] of Object.entries(config.resources)) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const props = resource.Properties ?? {};
    const name = stackRoleName(config, id);
    const policies = ((props.Policies ?? []) as { PolicyName: string; PolicyDocument: { Statement: unknown[] } }[]).map((p) => ({
      name: p.PolicyName,
      document: { Version: '2012-10-17', Statement: resolveDeep(p.PolicyDocument.Statement, config, `role ${id}`) as unknown[] },
    }));
    roles.push({
      name,
      policies,
      managedPolicyArns: resolveDeep(props.ManagedPolicyArns ?? [], config, `role ${id}`) as string[],
      instanceProfiles: profiles
        .filter(([, p]) => ((p.Properties?.Roles ?? []) as { Ref?: string }[]).some((r) => r.Ref === id))
        .map(([pid, p]) => (typeof p.Properties?.InstanceProfileName === 'string' ? p.Properties.InstanceProfileName : pid)),
    });
  }
  return roles;
}

/**
 * Creates every role of the stack in the simulator at `cloud`, and a session for each
 * function's role: its credentials, by function name.
 */
export async function deployIam(cloud: string, config: ServerlessConfig): Promise<Map<string, CredentialVariables>> {
  await deployKeys(cloud, stackKeys(config));
  await deployPolicies(cloud, stackPolicies(config));
  await deployRoles(cloud, stackRoles(config));
  const credentials = new Map<string, CredentialVariables>();
  for (const fn of Object.keys(config.functions)) {
    const role = functionRoleName(config, fn);
    const s = (await call(cloud, 'POST', `/_sim/iam/roles/${encodeURIComponent(role)}/sessions`, { sessionName: fn })) as {
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken: string;
    };
    credentials.set(fn, { AWS_ACCESS_KEY_ID: s.accessKeyId, AWS_SECRET_ACCESS_KEY: s.secretAccessKey, AWS_SESSION_TOKEN: s.sessionToken });
  }
  return credentials;
}

/** A customer managed KMS key of the stack (`AWS::KMS::Key`), with its local id and ARN. */
export interface KmsKeySpec {
  keyId: string;
  arn: string;
  description?: string;
  policy?: unknown;
}

/** The stack's KMS keys (the SecureStrings' key), resolved to local ids and ARNs. */
export function stackKeys(config: ServerlessConfig): KmsKeySpec[] {
  return Object.entries(config.resources)
    .filter(([, r]) => r.Type === 'AWS::KMS::Key')
    .map(([id, r]) => ({
      keyId: localIntrinsics({ Ref: id }, config)!,
      arn: localIntrinsics({ 'Fn::GetAtt': [id, 'Arn'] }, config)!,
      ...(typeof r.Properties?.Description === 'string' ? { description: r.Properties.Description } : {}),
      policy: resolveDeep(r.Properties?.KeyPolicy, config, `key ${id}`),
    }));
}

/** Creates (or replaces) each KMS key in the simulator at `cloud` (before parameters are written with it). */
export async function deployKeys(cloud: string, keys: readonly KmsKeySpec[]): Promise<void> {
  for (const key of keys) await call(cloud, 'PUT', `/_sim/kms/keys/${key.keyId}`, key);
}

/** Creates (or replaces) each managed policy in the simulator at `cloud` (before the roles that attach them). */
export async function deployPolicies(cloud: string, policies: readonly ManagedPolicySpec[]): Promise<void> {
  for (const policy of policies) await call(cloud, 'PUT', `/_sim/iam/policies/${encodeURIComponent(policy.name)}`, { document: policy.document });
}

/** Creates (or replaces) each role in the simulator at `cloud`. */
export async function deployRoles(cloud: string, roles: readonly RoleSpec[]): Promise<void> {
  for (const role of roles) {
    const { name, ...spec } = role;
    await call(cloud, 'PUT', `/_sim/iam/roles/${encodeURIComponent(name)}`, spec);
  }
}

async function call(cloud: string, method: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${cloud}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`IAM deployment: ${method} ${path} → ${res.status} ${text}`);
  return JSON.parse(text) as unknown;
}

/** `functions:` is a map or a list of maps (Hopper's `${file()}` parts). */
function mergeFunctionSections(functions: unknown): Record<string, Record<string, unknown>> {
  const parts = Array.isArray(functions) ? functions : [functions];
  return Object.assign({}, ...parts.filter((p) => p !== null && typeof p === 'object'));
}

