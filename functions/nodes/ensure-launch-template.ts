/**
 * EnsureLaunchTemplate (per instance group): the launch template `<group>.<cluster>` its
 * Auto Scaling group launches from — the baked image, the group's machine type, the node
 * user data that joins the cluster, IMDSv2 required, an encrypted gp3 root volume, the
 * nodes' security group and instance profile, spot options when asked. An existing template
 * is adopted; when its latest version differs from what the spec renders, a new version is
 * added (with a ClientToken derived from the data, so a retry adds it once).
 */
import * as z from 'zod';
import { defineStep, stepEnvelope } from '../lib/step';
import { securityGroupsSchema } from '../network/common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import {allow, anywhere, arn, creating, ofCluster, table } from '../../shared/aws/iam';
import { passHostRole } from '../../shared/aws/host-roles';
import { ensureLaunchTemplate } from './launch-templates';

export const ensureLaunchTemplateInput = stepEnvelope.extend({
  group: z.string().min(1),
  imageId: z.string().min(1),
  securityGroups: securityGroupsSchema,
});

export const step = defineStep({
  name: 'EnsureLaunchTemplate',
  describeActivity: (i) => `launch template for group ${i.group}`,
  clients: [ec2Client],
  input: ensureLaunchTemplateInput,
  creates: ['LaunchTemplate'],
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeImages'),
    creating(['ec2:CreateLaunchTemplate'], [arn('ec2', 'launch-template/*')]),
    ofCluster(['ec2:CreateLaunchTemplateVersion'], [arn('ec2', 'launch-template/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'launch-template/*')], { StringEquals: { 'ec2:CreateAction': 'CreateLaunchTemplate' } }),
    passHostRole(),
  ],
  run: ensureLaunchTemplate,
});
export const { handler } = step;
