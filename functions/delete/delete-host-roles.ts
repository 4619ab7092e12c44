/**
 * DeleteHostRoles (pass 8): the cluster's control-plane and node roles and their instance
 * profiles, once no instance runs with them. IAM deletes in an order: the role out of its
 * profile, the profile, the role's policies, the role. Gone already counts as deleted; a
 * role of that name that is not this cluster's (another cluster's tag, or none) is left
 * alone and forgotten.
 */
import {
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import * as z from 'zod';
import { iamClient } from '../../shared/aws/clients/iam';
import { isNotFound } from '../../shared/aws/errors';
import { hostIamArn } from '../../shared/aws/host-roles';
import { allow, ref, table } from '../../shared/aws/iam';
import { HOPPER_CLUSTER_TAG } from '../../shared/tags';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput, type DeleteSummary } from './common';

export const deleteHostRolesInput = passInput({ hostRoles: z.array(z.string()) });

/** Runs `call`, treating "no such entity" as done. */
async function gone(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export async function deleteHostRoles(input: z.infer<typeof deleteHostRolesInput>, deps: StepDeps): Promise<DeleteSummary> {
  const iam = deps.clients.iam;
  return deleteEach(deps, input.cluster, 'hostRoles', input.hostRoles, async (name) => {
    // The profile first (it has the role's name): a crash may have left it without its role.
    await gone(iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: name })));
    await gone(iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name })));
    const role = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
    if (role?.Tags?.find((t) => t.Key === HOPPER_CLUSTER_TAG)?.Value !== input.cluster) return;
    for (const policy of (await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? []) {
      await gone(iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policy })));
    }
    for (const attached of (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies ?? []) {
      await gone(iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: attached.PolicyArn })));
    }
    await iam.send(new DeleteRoleCommand({ RoleName: name }));
  });
}

/** Only roles the host boundary holds, and tagged as a cluster's. */
const hostRole = { StringEquals: { 'iam:PermissionsBoundary': ref('HostPermissionsBoundary') }, StringLike: { 'aws:ResourceTag/hopper:cluster': '?*' } };

export const step = defineStep({
  name: 'DeleteHostRoles',
  clients: [iamClient],
  input: deleteHostRolesInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    allow(['iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'], [hostIamArn('instance-profile')], { StringLike: { 'aws:ResourceTag/hopper:cluster': '?*' } }),
    allow(['iam:GetRole', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies'], [hostIamArn('role')]),
    allow(['iam:DeleteRolePolicy', 'iam:DetachRolePolicy', 'iam:DeleteRole'], [hostIamArn('role')], hostRole),
  ],
  run: deleteHostRoles,
});
export const { handler } = step;
