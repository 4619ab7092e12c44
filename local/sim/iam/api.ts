/**
 * IAM on the query protocol (Version 2010-05-08): what a workflow does to give a cluster's
 * hosts their own roles — roles with inline and attached policies and a permissions
 * boundary, instance profiles holding them — and takes away when the cluster goes.
 *
 * As IAM: names are unique in the account whatever their path; a role with policies, or in
 * a profile, cannot be deleted (DeleteConflict); a profile holds one role (LimitExceeded);
 * attaching a policy the account does not hold is NoSuchEntity; a document that is not a
 * policy is MalformedPolicyDocument. A new profile, or one just given its role, reaches EC2
 * only after PROFILE_PROPAGATION_SECONDS (see `instanceProfileProblem`).
 */
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { Tags } from '../core/types';
import { oidcProviderHandlers } from './oidc-providers';
import {
  PROFILE_PROPAGATION_SECONDS,
  iamOf,
  instanceProfileArn,
  roleArn,
  type PolicyDocument,
  type SimInstanceProfile,
  type SimRole,
} from './principals';

const NAME = /^[\w+=,.@-]{1,64}$/;
const PATH = /^\/([\x21-\x7E]+\/)?$/;

type TagList = { Key?: string; Value?: string }[] | undefined;

function noSuchEntity(what: string, name: string): SimError {
  return new SimError('NoSuchEntity', `The ${what} with name ${name} cannot be found.`, 404);
}

function validName(what: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new SimError('ValidationError', `1 validation error detected: Value '${String(name)}' at '${what}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`);
  }
  return name;
}

function validPath(path: unknown): string {
  if (path === undefined) return '/';
  if (typeof path !== 'string' || path.length > 512 || !PATH.test(path)) {
    throw new SimError('ValidationError', `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`);
  }
  return path;
}

function parseDocument(text: unknown, what: string): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(String(text ?? ''));
  } catch {
    throw new SimError('MalformedPolicyDocument', `${what}: syntax errors in policy.`);
  }
  const statement = (doc as { Statement?: unknown } | null)?.Statement;
  if (!doc || typeof doc !== 'object' || statement === undefined) throw new SimError('MalformedPolicyDocument', `${what}: the policy has no Statement.`);
  return doc as PolicyDocument;
}

function tagsOf(list: TagList): Tags {
  const tags: Tags = {};
  for (const t of list ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return tags;
}

function tagList(tags: Tags) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function mustRole(state: SimState, name: unknown): SimRole {
  const role = iamOf(state).roles.get(String(name));
  if (!role) throw noSuchEntity('role', String(name));
  return role;
}

function mustProfile(state: SimState, name: unknown): SimInstanceProfile {
  const profile = iamOf(state).instanceProfiles.get(String(name));
  if (!profile) throw noSuchEntity('Instance Profile', String(name));
  return profile;
}

function roleView(role: SimRole) {
  return {
    Path: role.path,
    RoleName: role.name,
    RoleId: `AROA${Buffer.from(role.arn).toString('hex').slice(-16).toUpperCase()}`,
    Arn: role.arn,
    CreateDate: new Date(role.createdAt),
    ...(role.assumeRolePolicy ? { AssumeRolePolicyDocument: encodeURIComponent(role.assumeRolePolicy) } : {}),
    ...(role.permissionsBoundary ? { PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: role.permissionsBoundary } } : {}),
    Tags: tagList(role.tags),
  };
}

function profileView(state: SimState, profile: SimInstanceProfile) {
  const iam = iamOf(state);
  return {
    Path: profile.path,
    InstanceProfileName: profile.name,
    InstanceProfileId: `AIPA${Buffer.from(profile.arn).toString('hex').slice(-16).toUpperCase()}`,
    Arn: profile.arn,
    CreateDate: new Date(profile.createdAt),
    Roles: profile.roles.flatMap((r) => {
      const role = iam.roles.get(r);
      return role ? [roleView(role)] : [];
    }),
    Tags: tagList(profile.tags),
  };
}

function changed(state: SimState): void {
  iamOf(state).generation += 1;
}

const createRole: QueryHandler = (input: { RoleName?: string; Path?: string; AssumeRolePolicyDocument?: string; PermissionsBoundary?: string; Tags?: TagList }, ctx: SimContext) => {
  const name = validName('roleName', input.RoleName);
  const path = validPath(input.Path);
  const iam = iamOf(ctx.state);
  if (iam.roles.has(name)) throw new SimError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
  parseDocument(input.AssumeRolePolicyDocument, 'AssumeRolePolicyDocument');
  if (input.PermissionsBoundary && !iam.policies.has(input.PermissionsBoundary)) {
    throw new SimError('NoSuchEntity', `Scope ARN: ${input.PermissionsBoundary} does not exist or is not attachable.`, 404);
  }
  const role: SimRole = {
    name,
    path,
    arn: roleArn(ctx.state, name, path),
    policies: [],
    managedPolicyArns: [],
    ...(input.PermissionsBoundary ? { permissionsBoundary: input.PermissionsBoundary } : {}),
    assumeRolePolicy: input.AssumeRolePolicyDocument,
    tags: tagsOf(input.Tags),
    createdAt: ctx.state.clock.now(),
  };
  iam.roles.set(name, role);
  changed(ctx.state);
  return { Role: roleView(role) };
};

const putRolePolicy: QueryHandler = (input: { RoleName?: string; PolicyName?: string; PolicyDocument?: string }, ctx: SimContext) => {
  const role = mustRole(ctx.state, input.RoleName);
  const policyName = validName('policyName', input.PolicyName);
  const document = parseDocument(input.PolicyDocument, 'PolicyDocument');
  role.policies = [...role.policies.filter((p) => p.name !== policyName), { name: policyName, document }];
  changed(ctx.state);
  return {};
};

const deleteRolePolicy: QueryHandler = (input: { RoleName?: string; PolicyName?: string }, ctx: SimContext) => {
  const role = mustRole(ctx.state, input.RoleName);
  if (!role.policies.some((p) => p.name === input.PolicyName)) throw noSuchEntity('role policy', String(input.PolicyName));
  role.policies = role.policies.filter((p) => p.name !== input.PolicyName);
  changed(ctx.state);
  return {};
};

const attachRolePolicy: QueryHandler = (input: { RoleName?: string; PolicyArn?: string }, ctx: SimContext) => {
  const role = mustRole(ctx.state, input.RoleName);
  const arn = String(input.PolicyArn ?? '');
  if (!iamOf(ctx.state).policies.has(arn)) throw new SimError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`, 404);
  if (!role.managedPolicyArns.includes(arn)) role.managedPolicyArns = [...role.managedPolicyArns, arn];
  changed(ctx.state);
  return {};
};

const detachRolePolicy: QueryHandler = (input: { RoleName?: string; PolicyArn?: string }, ctx: SimContext) => {
  const role = mustRole(ctx.state, input.RoleName);
  if (!role.managedPolicyArns.includes(String(input.PolicyArn))) throw new SimError('NoSuchEntity', `Policy ${String(input.PolicyArn)} was not found.`, 404);
  role.managedPolicyArns = role.managedPolicyArns.filter((a) => a !== input.PolicyArn);
  changed(ctx.state);
  return {};
};

const deleteRole: QueryHandler = (input: { RoleName?: string }, ctx: SimContext) => {
  const role = mustRole(ctx.state, input.RoleName);
  const iam = iamOf(ctx.state);
  if (role.policies.length || role.managedPolicyArns.length) {
    throw new SimError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
  }
  if ([...iam.instanceProfiles.values()].some((p) => p.roles.includes(role.name))) {
    throw new SimError('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', 409);
  }
  iam.roles.delete(role.name);
  changed(ctx.state);
  return {};
};

const createInstanceProfile: QueryHandler = (input: { InstanceProfileName?: string; Path?: string; Tags?: TagList }, ctx: SimContext) => {
  const name = validName('instanceProfileName', input.InstanceProfileName);
  const path = validPath(input.Path);
  const iam = iamOf(ctx.state);
  if (iam.instanceProfiles.has(name)) throw new SimError('EntityAlreadyExists', `Instance Profile ${name} already exists.`, 409);
  const now = ctx.state.clock.now();
  const profile: SimInstanceProfile = {
    name,
    path,
    arn: instanceProfileArn(ctx.state, name, path),
    roles: [],
    tags: tagsOf(input.Tags),
    createdAt: now,
    usableAt: now + PROFILE_PROPAGATION_SECONDS * 1000,
  };
  iam.instanceProfiles.set(name, profile);
  return { InstanceProfile: profileView(ctx.state, profile) };
};

const addRoleToInstanceProfile: QueryHandler = (input: { InstanceProfileName?: string; RoleName?: string }, ctx: SimContext) => {
  const profile = mustProfile(ctx.state, input.InstanceProfileName);
  const role = mustRole(ctx.state, input.RoleName);
  if (profile.roles.length > 0) throw new SimError('LimitExceeded', 'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1', 409);
  profile.roles = [role.name];
  profile.usableAt = Math.max(profile.usableAt, ctx.state.clock.now() + PROFILE_PROPAGATION_SECONDS * 1000);
  return {};
};

const removeRoleFromInstanceProfile: QueryHandler = (input: { InstanceProfileName?: string; RoleName?: string }, ctx: SimContext) => {
  const profile = mustProfile(ctx.state, input.InstanceProfileName);
  if (!profile.roles.includes(String(input.RoleName))) throw noSuchEntity('role', String(input.RoleName));
  profile.roles = profile.roles.filter((r) => r !== input.RoleName);
  return {};
};

const deleteInstanceProfile: QueryHandler = (input: { InstanceProfileName?: string }, ctx: SimContext) => {
  const profile = mustProfile(ctx.state, input.InstanceProfileName);
  if (profile.roles.length) throw new SimError('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', 409);
  iamOf(ctx.state).instanceProfiles.delete(profile.name);
  return {};
};

export const iamHandlers: Record<string, QueryHandler> = {
  ...oidcProviderHandlers,
  CreateRole: createRole,
  GetRole: (input: { RoleName?: string }, ctx: SimContext) => ({ Role: roleView(mustRole(ctx.state, input.RoleName)) }),
  DeleteRole: deleteRole,
  PutRolePolicy: putRolePolicy,
  GetRolePolicy: (input: { RoleName?: string; PolicyName?: string }, ctx: SimContext) => {
    const role = mustRole(ctx.state, input.RoleName);
    const policy = role.policies.find((p) => p.name === input.PolicyName);
    if (!policy) throw noSuchEntity('role policy', String(input.PolicyName));
    return { RoleName: role.name, PolicyName: policy.name, PolicyDocument: encodeURIComponent(JSON.stringify(policy.document)) };
  },
  DeleteRolePolicy: deleteRolePolicy,
  ListRolePolicies: (input: { RoleName?: string }, ctx: SimContext) => ({ PolicyNames: mustRole(ctx.state, input.RoleName).policies.map((p) => p.name), IsTruncated: false }),
  AttachRolePolicy: attachRolePolicy,
  DetachRolePolicy: detachRolePolicy,
  ListAttachedRolePolicies: (input: { RoleName?: string }, ctx: SimContext) => ({
    AttachedPolicies: mustRole(ctx.state, input.RoleName).managedPolicyArns.map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').pop() })),
    IsTruncated: false,
  }),
  CreateInstanceProfile: createInstanceProfile,
  GetInstanceProfile: (input: { InstanceProfileName?: string }, ctx: SimContext) => ({ InstanceProfile: profileView(ctx.state, mustProfile(ctx.state, input.InstanceProfileName)) }),
  AddRoleToInstanceProfile: addRoleToInstanceProfile,
  RemoveRoleFromInstanceProfile: removeRoleFromInstanceProfile,
  DeleteInstanceProfile: deleteInstanceProfile,
  ListInstanceProfilesForRole: (input: { RoleName?: string }, ctx: SimContext) => {
    const role = mustRole(ctx.state, input.RoleName);
    const profiles = [...iamOf(ctx.state).instanceProfiles.values()].filter((p) => p.roles.includes(role.name));
    return { InstanceProfiles: profiles.map((p) => profileView(ctx.state, p)), IsTruncated: false };
  },
};
