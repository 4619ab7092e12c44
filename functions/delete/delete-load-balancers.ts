/**
 * DeleteLoadBalancers (pass 2): listeners, then load balancers (Hopper's API load balancer
 * and those the cloud controller manager made for Services), then target groups — a target
 * group is in use (ResourceInUse → retried) until the load balancer forwarding to it is gone.
 */
import { DeleteListenerCommand, DeleteLoadBalancerCommand, DeleteTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput } from './common';
import { elbv2Client } from '../../shared/aws/clients/elbv2';
import { allow, arn, table, unscoped } from '../../shared/aws/iam';

export const deleteLoadBalancersInput = passInput({
  loadBalancers: z.array(z.string()),
  listeners: z.array(z.string()),
  targetGroups: z.array(z.string()),
});

export async function deleteLoadBalancers(input: z.infer<typeof deleteLoadBalancersInput>, deps: StepDeps): Promise<{ deleted: number }> {
  const elb = deps.clients.elbv2;
  const a = await deleteEach(deps, input.cluster, 'listeners', input.listeners, (arn) => elb.send(new DeleteListenerCommand({ ListenerArn: arn })));
  const b = await deleteEach(deps, input.cluster, 'loadBalancers', input.loadBalancers, (arn) =>
    elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn })),
  );
  const c = await deleteEach(deps, input.cluster, 'targetGroups', input.targetGroups, (arn) =>
    elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn })),
  );
  return { deleted: a.deleted + b.deleted + c.deleted };
}

export const step = defineStep({
  name: 'DeleteLoadBalancers',
  clients: [elbv2Client],
  input: deleteLoadBalancersInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    unscoped(
      'the cloud controller\'s load balancers carry only kubernetes.io/cluster/<name>, a tag key IAM cannot match by pattern; discovery picks them by that tag',
      allow(['elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:DeleteTargetGroup'], [arn('elasticloadbalancing', 'loadbalancer/*'), arn('elasticloadbalancing', 'listener/*'), arn('elasticloadbalancing', 'targetgroup/*')]),
    ),
  ],
  run: deleteLoadBalancers,
});
export const { handler } = step;
