/**
 * The VPC CNI's aws-node on a simulated node: before it can give pods addresses it creates
 * a network interface in the node's subnet with the node's security groups, tagged at
 * creation (`node.k8s.amazonaws.com/instance_id`, and `cluster.k8s.amazonaws.com/name` when
 * its CLUSTER_NAME is set), attaches it to the instance and assigns it secondary addresses —
 * all with the instance's role, as on AWS. The simulator authorizes exactly those calls
 * against that role; a refusal keeps the node NotReady with aws-node's error, as a node
 * whose role lacks the CNI's permissions stays on AWS. (The interfaces themselves are not
 * materialised: nothing in Hopper reads them while the node lives.)
 */
import type { SimState } from '../core/state';
import { firstDenial } from '../iam/evaluate';
import { roleOfProfile } from '../iam/principals';
import type { AuthzCheck } from '../iam/requests';

const NEW_ENI = 'eni-0aws0node0pending';

function tagged(prefix: 'aws:ResourceTag' | 'aws:RequestTag', tags: Record<string, string>, ec2 = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    out[`${prefix}/${k}`] = v;
    if (ec2 && prefix === 'aws:ResourceTag') out[`ec2:ResourceTag/${k}`] = v;
  }
  return out;
}

/** The calls aws-node makes with the node's role to give it its first extra interface. */
export function awsNodeChecks(state: SimState, instanceId: string, clusterName: string | undefined): AuthzCheck[] {
  const instance = state.instances.get(instanceId);
  if (!instance) return [];
  const region = instance.availabilityZone.replace(/[a-z]$/, '');
  const arn = (type: string, id: string) => `arn:aws:ec2:${region}:${state.accountId}:${type}/${id}`;
  const eniTags: Record<string, string> = { 'node.k8s.amazonaws.com/instance_id': instanceId, ...(clusterName ? { 'cluster.k8s.amazonaws.com/name': clusterName } : {}) };
  const creating = { ...tagged('aws:RequestTag', eniTags), 'aws:TagKeys': Object.keys(eniTags) } as Record<string, string | string[]>;
  const subnet = state.subnets.get(instance.subnetId);
  const create: AuthzCheck[] = [
    { action: 'ec2:CreateNetworkInterface', resource: arn('network-interface', '*'), context: creating },
    { action: 'ec2:CreateNetworkInterface', resource: arn('subnet', instance.subnetId), context: { ...tagged('aws:ResourceTag', subnet?.tags ?? {}, true), ...creating } },
    ...instance.securityGroupIds.map((id) => ({ action: 'ec2:CreateNetworkInterface', resource: arn('security-group', id), context: { ...tagged('aws:ResourceTag', state.securityGroups.get(id)?.tags ?? {}, true), ...creating } })),
    { action: 'ec2:CreateTags', resource: arn('network-interface', NEW_ENI), context: { ...creating, 'ec2:CreateAction': 'CreateNetworkInterface' } },
  ];
  const eni = tagged('aws:ResourceTag', eniTags, true);
  return [
    ...create,
    { action: 'ec2:AttachNetworkInterface', resource: arn('instance', instanceId), context: tagged('aws:ResourceTag', instance.tags, true) },
    { action: 'ec2:AttachNetworkInterface', resource: arn('network-interface', NEW_ENI), context: eni },
    { action: 'ec2:ModifyNetworkInterfaceAttribute', resource: arn('network-interface', NEW_ENI), context: eni },
    { action: 'ec2:AssignPrivateIpAddresses', resource: arn('network-interface', NEW_ENI), context: eni },
  ];
}

/** aws-node's error on this instance (as it logs it), or undefined when it can set the node's networking up. */
export async function awsNodeError(state: SimState, instanceId: string, clusterName: string | undefined): Promise<string | undefined> {
  const instance = state.instances.get(instanceId);
  const profile = instance?.iamInstanceProfile?.arn ?? instance?.iamInstanceProfile?.name;
  const role = profile ? roleOfProfile(state, profile) : undefined;
  if (!role) return 'failed to create ENI: NoCredentialProviders: no valid providers in chain';
  const denial = await firstDenial(state, role, instanceId, awsNodeChecks(state, instanceId, clusterName));
  return denial && `failed to create and attach an ENI: ${denial}`;
}
