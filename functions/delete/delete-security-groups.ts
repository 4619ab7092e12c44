/**
 * DeleteSecurityGroups (pass 6): first revoke, in each of the cluster's groups, the rules that
 * reference a group being deleted (control plane ↔ nodes reference each other, and a group
 * referenced by another cannot be deleted), then delete the groups. Interfaces of deleted
 * load balancers may still hold a group for a while: DependencyViolation, retried.
 */
import {
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput, type DeleteSummary } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, table, unscoped } from '../../shared/aws/iam';

export const deleteSecurityGroupsInput = passInput({ securityGroups: z.array(z.string()) });

/** The parts of the permissions that reference one of `groups` (CIDR rules are left: they block nothing). */
function referencing(permissions: IpPermission[] | undefined, groups: Set<string>): IpPermission[] {
  const out: IpPermission[] = [];
  for (const p of permissions ?? []) {
    const pairs = (p.UserIdGroupPairs ?? []).filter((g) => g.GroupId && groups.has(g.GroupId));
    if (pairs.length) out.push({ IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort, UserIdGroupPairs: pairs.map((g) => ({ GroupId: g.GroupId })) });
  }
  return out;
}

export async function deleteSecurityGroups(input: z.infer<typeof deleteSecurityGroupsInput>, deps: StepDeps): Promise<DeleteSummary> {
  const ec2 = deps.clients.ec2;
  if (input.securityGroups.length === 0) return { deleted: 0 };
  const ours = new Set(input.securityGroups);
  const out = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: input.securityGroups }] }));
  for (const g of out.SecurityGroups ?? []) {
    const ingress = referencing(g.IpPermissions, ours);
    const egress = referencing(g.IpPermissionsEgress, ours);
    try {
      if (ingress.length) await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: g.GroupId, IpPermissions: ingress }));
      if (egress.length) await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: g.GroupId, IpPermissions: egress }));
    } catch (err) {
      // Revoked by an earlier attempt, or the group is gone.
      if (!isNotFound(err)) throw err;
    }
  }
  return deleteEach(deps, input.cluster, 'securityGroups', input.securityGroups, (id) => ec2.send(new DeleteSecurityGroupCommand({ GroupId: id })));
}

export const step = defineStep({
  name: 'DeleteSecurityGroups',
  clients: [ec2Client],
  input: deleteSecurityGroupsInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    anywhere('ec2:DescribeSecurityGroups'),
    unscoped(
      'the cloud controller\'s security groups carry only kubernetes.io/cluster/<name>, a tag key IAM cannot match by pattern; discovery picks them by that tag',
      allow(['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress', 'ec2:DeleteSecurityGroup'], [arn('ec2', 'security-group/*')]),
    ),
  ],
  run: deleteSecurityGroups,
});
export const { handler } = step;
