/**
 * EnsureInternetGateway: the VPC's internet gateway, attached. The one tagged for the
 * cluster is adopted; a gateway already attached to a brought VPC is used as it is (tagged
 * `shared`); otherwise one is created, recorded, then attached.
 */
import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  DescribeInternetGatewaysCommand,
  type InternetGateway,
} from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import { StepFailedError } from '../../shared/errors';
import { roleFilters } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ROLES, ownershipOf, resourceName, tagShared, tagSpec, tagsFor } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, clusterTagKeysOnly, creating, ofCluster, table, unscoped } from '../../shared/aws/iam';
import { onceVisible } from '../lib/once-visible';

export const ensureInternetGatewayInput = stepEnvelope.extend({ vpcId: z.string() });

export async function ensureInternetGateway(
  input: { cluster: string; vpcId: string },
  deps: StepDeps,
): Promise<{ internetGatewayId: string }> {
  const { spec } = await loadCluster(deps, input.cluster);
  const ec2 = deps.clients.ec2;
  const name = resourceName(spec.name, ROLES.internetGateway);

  const tagged = await ec2.send(new DescribeInternetGatewaysCommand({ Filters: roleFilters(spec.name, ROLES.internetGateway) }));
  let gateway: InternetGateway | undefined = tagged.InternetGateways?.[0];
  if (!gateway) {
    // A VPC has at most one gateway: one attached already (a brought VPC's) is the one to use.
    const attached = await ec2.send(
      new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [input.vpcId] }] }),
    );
    const existing = attached.InternetGateways?.[0];
    if (existing) {
      const id = existing.InternetGatewayId!;
      await tagShared(deps, spec.name, id, existing.Tags);
      // Not tagged with our role, so not ours: adopted as `shared`, never deleted with the cluster.
      await deps.store.recordResource(spec.name, { type: 'internet-gateway', id, ownership: 'shared' });
      return { internetGatewayId: id };
    }
    const created = await ec2.send(
      new CreateInternetGatewayCommand({ TagSpecifications: tagSpec('internet-gateway', tagsFor(spec, ROLES.internetGateway, name)) }),
    );
    gateway = created.InternetGateway!;
  }
  const id = gateway.InternetGatewayId!;
  await deps.store.recordResource(spec.name, { type: 'internet-gateway', id, ownership: ownershipOf(spec.name, gateway.Tags), name });

  const attachedTo = gateway.Attachments?.map((a) => a.VpcId) ?? [];
  if (attachedTo.includes(input.vpcId)) return { internetGatewayId: id };
  if (attachedTo.length) {
    throw new StepFailedError(`The internet gateway ${id} of cluster ${spec.name} is attached to ${attachedTo.join(', ')}, not ${input.vpcId}`);
  }
  try {
    await onceVisible(() => ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: id, VpcId: input.vpcId })));
  } catch (err) {
    // Attached by a run whose answer was lost: fine. Another gateway on the VPC: AWS says so.
    if (awsErrorCode(err) !== 'Resource.AlreadyAssociated' || !(await isAttached(deps, id, input.vpcId))) throw err;
  }
  return { internetGatewayId: id };
}

async function isAttached(deps: StepDeps, id: string, vpcId: string): Promise<boolean> {
  const out = await deps.clients.ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] }));
  return (out.InternetGateways?.[0]?.Attachments ?? []).some((a) => a.VpcId === vpcId);
}

export const step = defineStep({
  name: 'EnsureInternetGateway',
  clients: [ec2Client],
  input: ensureInternetGatewayInput,
  creates: ['InternetGateway'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('ec2:DescribeInternetGateways'),
    creating(['ec2:CreateInternetGateway'], [arn('ec2', 'internet-gateway/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'internet-gateway/*')], { StringEquals: { 'ec2:CreateAction': 'CreateInternetGateway' } }),
    // A brought gateway is only marked as the cluster's.
    clusterTagKeysOnly(['ec2:CreateTags'], [arn('ec2', 'internet-gateway/*')]),
    ofCluster(['ec2:AttachInternetGateway'], [arn('ec2', 'internet-gateway/*')]),
    unscoped('the VPC may be a brought one, which carries no Hopper tag; the gateway attached is the cluster\'s, by tag', allow(['ec2:AttachInternetGateway'], [arn('ec2', 'vpc/*')])),
  ],
  run: ensureInternetGateway,
});
export const { handler } = step;
