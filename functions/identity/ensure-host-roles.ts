/**
 * EnsureHostRoles: the cluster's own control-plane and node roles, each in an instance
 * profile of the same name (shared/aws/host-roles.ts says what they hold and why per
 * cluster). Created under Hopper's IAM path with the stack's permissions boundary, tagged
 * for the cluster; each name is recorded in the inventory before it is created, so a crash
 * in between still leaves the delete a name to remove.
 *
 * Idempotent and converging: a rerun finds what exists and creates nothing new; the inline
 * policies are put every time (an update or upgrade brings a newer Hopper's policies to old
 * clusters) and any other inline policy is removed. A role of that name that is not this
 * cluster's (tagged for another, or not Hopper's) fails the step rather than being adopted.
 *
 * EC2 sees a new profile a few seconds after IAM makes it: the launches that follow retry
 * on it (functions/lib/step.ts, NotYetVisibleError).
 */
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  type Role,
} from '@aws-sdk/client-iam';
import { isAlreadyExists } from '../../shared/aws/errors';
import { iamClient } from '../../shared/aws/clients/iam';
import { HOST_KINDS, HOST_ROLE_PATH, HOST_TRUST_POLICY, hostIamArn, hostRoleName, hostRolePolicies, partitionOf, type HostKind } from '../../shared/aws/host-roles';
import { CLUSTER_TAG_KEYS, allow, ref, table } from '../../shared/aws/iam';
import { requiredEnv } from '../../shared/config';
import { StepFailedError } from '../../shared/errors';
import { HOPPER_CLUSTER_TAG, clusterTagKey } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';

/** The inventory type of a host role (its profile has the same name). */
export const HOST_ROLE_INVENTORY_TYPE = 'host-role';

export type EnsureHostRolesOutput = Record<'controlPlane' | 'node', string>;

export async function ensureHostRoles(input: { cluster: string }, deps: StepDeps): Promise<EnsureHostRolesOutput> {
  const { spec, record } = await loadCluster(deps, input.cluster);
  const uid = record.uid;
  const issuerBucket = process.env.HOPPER_ISSUER_BUCKET;
  const boundary = requiredEnv('HOST_PERMISSIONS_BOUNDARY');
  const agentPolicy = requiredEnv('HOST_AGENT_POLICY');
  const scope = { partition: partitionOf(spec.region), parameterPrefix: deps.parameterPrefix, parameterKeyArn: requiredEnv('HOPPER_PARAMETER_KEY'), networking: spec.networking, backupsBucket: process.env.HOPPER_BACKUPS_BUCKET, ...(issuerBucket ? { issuer: { bucket: issuerBucket, prefix: uid } } : {}) };
  const names = {} as EnsureHostRolesOutput;
  for (const kind of HOST_KINDS) {
    const name = hostRoleName(spec.name, kind);
    await deps.store.recordResource(spec.name, { type: HOST_ROLE_INVENTORY_TYPE, id: name, ownership: 'owned', attrs: { kind } });
    await ensureRole(deps, spec.name, kind, name, boundary);
    await putPolicies(deps, name, hostRolePolicies(spec.name, kind, scope));
    await deps.clients.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: agentPolicy }));
    await ensureProfile(deps, spec.name, name);
    names[kind === 'control-plane' ? 'controlPlane' : 'node'] = name;
  }
  return names;
}

function tags(cluster: string) {
  return [
    { Key: HOPPER_CLUSTER_TAG, Value: cluster },
    { Key: clusterTagKey(cluster), Value: 'owned' },
  ];
}

async function ensureRole(deps: StepDeps, cluster: string, kind: HostKind, name: string, boundary: string): Promise<void> {
  const iam = deps.clients.iam;
  let role: Role | undefined;
  try {
    role = (
      await iam.send(
        new CreateRoleCommand({
          RoleName: name,
          Path: HOST_ROLE_PATH,
          AssumeRolePolicyDocument: JSON.stringify(HOST_TRUST_POLICY),
          PermissionsBoundary: boundary,
          Description: `Hopper cluster ${cluster}: ${kind} instances`,
          Tags: tags(cluster),
        }),
      )
    ).Role;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    role = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
  }
  const owner = role?.Tags?.find((t) => t.Key === HOPPER_CLUSTER_TAG)?.Value;
  if (owner !== cluster || role?.Path !== HOST_ROLE_PATH) {
    throw new StepFailedError(`The IAM role ${name} exists and is not cluster ${cluster}'s (${owner ? `tagged for ${owner}` : 'not tagged by Hopper'}): rename or remove it`);
  }
}

async function putPolicies(deps: StepDeps, role: string, policies: ReturnType<typeof hostRolePolicies>): Promise<void> {
  const iam = deps.clients.iam;
  for (const p of policies) {
    await iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: p.name, PolicyDocument: JSON.stringify(p.document) }));
  }
  const wanted = new Set(policies.map((p) => p.name));
  const existing = (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
  for (const name of existing) if (!wanted.has(name)) await iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: name }));
}

async function ensureProfile(deps: StepDeps, cluster: string, name: string): Promise<void> {
  const iam = deps.clients.iam;
  try {
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Path: HOST_ROLE_PATH, Tags: tags(cluster) }));
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const profile = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile;
  const held = (profile?.Roles ?? []).map((r) => r.RoleName);
  if (held.includes(name)) return;
  if (held.length) throw new StepFailedError(`The instance profile ${name} holds the role ${held.join(', ')}, not ${name}: remove it from the profile`);
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
}

/** Changing a host role's policies is allowed only on roles held by the host boundary. */
const bounded = { StringEquals: { 'iam:PermissionsBoundary': ref('HostPermissionsBoundary') } };

export const step = defineStep({
  name: 'EnsureHostRoles',
  clients: [iamClient],
  input: stepEnvelope,
  creates: ['IAMRole', 'InstanceProfile'],
  environment: { HOST_PERMISSIONS_BOUNDARY: ref('HostPermissionsBoundary'), HOST_AGENT_POLICY: ref('HostAgentPolicy') },
  permissions: [
    table('GetItem', 'UpdateItem'),
    // Creating a role needs the request to name the boundary and to tag it as a cluster's.
    allow(['iam:CreateRole'], [hostIamArn('role')], { ...bounded, StringLike: { 'aws:RequestTag/hopper:cluster': '?*' } }),
    // Tagging at creation (TagRole takes no iam:PermissionsBoundary): the cluster's tag keys only.
    allow(['iam:TagRole'], [hostIamArn('role')], { StringLike: { 'aws:RequestTag/hopper:cluster': '?*' }, 'ForAllValues:StringLike': { 'aws:TagKeys': CLUSTER_TAG_KEYS } }),
    allow(['iam:PutRolePolicy', 'iam:DeleteRolePolicy'], [hostIamArn('role')], bounded),
    allow(['iam:AttachRolePolicy'], [hostIamArn('role')], { StringEquals: { ...bounded.StringEquals, 'iam:PolicyARN': ref('HostAgentPolicy') } }),
    allow(['iam:GetRole', 'iam:ListRolePolicies', 'iam:GetInstanceProfile'], [hostIamArn('role'), hostIamArn('instance-profile')]),
    allow(['iam:CreateInstanceProfile', 'iam:TagInstanceProfile'], [hostIamArn('instance-profile')], {
      StringLike: { 'aws:RequestTag/hopper:cluster': '?*' },
      'ForAllValues:StringLike': { 'aws:TagKeys': CLUSTER_TAG_KEYS },
    }),
    allow(['iam:AddRoleToInstanceProfile'], [hostIamArn('instance-profile')], { StringLike: { 'aws:ResourceTag/hopper:cluster': '?*' } }),
    // Putting a role in a profile passes it (to no service named): only a cluster's host roles.
    allow(['iam:PassRole'], [hostIamArn('role')], { StringLike: { 'aws:ResourceTag/hopper:cluster': '?*' } }),
  ],
  run: ensureHostRoles,
});
export const { handler } = step;
