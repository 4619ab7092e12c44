/**
 * EnsureAutoScalingGroup (per instance group): the Auto Scaling group `<group>.<cluster>`
 * over the private subnets of the group's zones, launching the group's launch template at
 * an explicit version, sized min/max with min desired, tagged for the cluster and for the
 * cluster-autoscaler (tags propagate to the instances). An existing group of the cluster
 * is adopted (its sizes are left alone: the autoscaler may have moved them), and pointed at
 * the given launch template version.
 */
import * as z from 'zod';
import { defineStep, stepEnvelope } from '../lib/step';
import { subnetsSchema } from '../network/common';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import {allow, anywhere, arn, awsArn, creating, ofCluster, table } from '../../shared/aws/iam';
import { passHostRole } from '../../shared/aws/host-roles';
import { ensureAutoScalingGroup } from './auto-scaling-groups';

export const ensureAutoScalingGroupInput = stepEnvelope.extend({
  group: z.string().min(1),
  subnets: subnetsSchema,
  launchTemplate: z.object({ launchTemplateId: z.string().min(1), version: z.coerce.number().int().positive() }),
});

export const step = defineStep({
  name: 'EnsureAutoScalingGroup',
  describeActivity: (i) => `Auto Scaling group for ${i.group}`,
  clients: [autoscalingClient],
  input: ensureAutoScalingGroupInput,
  creates: ['AutoscalingGroup'],
  // Creating a group from a launch template checks that the caller may launch from it
  // (RunInstances with the template, tags at launch, the instance profile's role).
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeSubnets'),
    creating(['autoscaling:CreateAutoScalingGroup', 'autoscaling:CreateOrUpdateTags'], [arn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*')]),
    ofCluster(['autoscaling:UpdateAutoScalingGroup', 'autoscaling:CreateOrUpdateTags'], [arn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*')]),
    // The group launches from the cluster's template: RunInstances on it, the rest tagged at launch.
    ofCluster(['ec2:RunInstances'], [arn('ec2', 'launch-template/*')]),
    creating(['ec2:RunInstances'], [awsArn('ec2', 'image/*'), arn('ec2', 'instance/*'), arn('ec2', 'volume/*'), arn('ec2', 'network-interface/*'), arn('ec2', 'subnet/*'), arn('ec2', 'security-group/*')]),
    allow(['ec2:CreateTags'], [arn('ec2', 'instance/*'), arn('ec2', 'volume/*')], { StringEquals: { 'ec2:CreateAction': 'RunInstances' } }),
    passHostRole(),
    // The first group of an account creates Auto Scaling's service-linked role.
    allow(['iam:CreateServiceLinkedRole'], [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling' }], { StringEquals: { 'iam:AWSServiceName': 'autoscaling.amazonaws.com' } }),
  ],
  run: ensureAutoScalingGroup,
});
export const { handler } = step;
