/**
 * PrepareUpgrade: the versions (`from`, the cluster record's running `kubernetesVersion`;
 * `to`, the spec's, stored by the API with the lock), the network the image bake needs
 * (from the inventory), and the control-plane instances in upgrade order: the first one
 * runs `kubeadm upgrade apply`, the others `kubeadm upgrade node`, one at a time.
 */
import { StepFailedError } from '../../shared/errors';
import { kubernetesVersionChangeProblems } from '../../shared/spec/immutable';
import { recordedApiEndpoint } from '../control-plane/render-context';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import type { ZoneSubnets } from '../network/common';
import { controlPlaneInstances, onlineInstances } from '../rolling/common';
import { recordedSubnets } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, table } from '../../shared/aws/iam';

export const prepareUpgradeInput = stepEnvelope;

export interface PrepareUpgradeOutput {
  from: string;
  to: string;
  vpcId: string;
  subnets: ZoneSubnets[];
  /** In upgrade order; `first` runs `kubeadm upgrade apply`. */
  controlPlane: Array<{ instanceId: string; first: boolean }>;
  apiEndpoint: string;
}

export async function prepareUpgrade(input: { cluster: string; operationId: string }, deps: StepDeps): Promise<PrepareUpgradeOutput> {
  const { record, spec } = await loadCluster(deps, input.cluster);
  const to = spec.kubernetesVersion;
  const from = record.kubernetesVersion ?? to;
  // The API refused these already; a spec changed behind its back is refused here too.
  const problems = from === to ? [] : kubernetesVersionChangeProblems(from, to).filter((p) => !p.message.includes('not supported'));
  if (problems.length > 0) throw new StepFailedError(`cannot upgrade ${spec.name}: ${problems.map((p) => p.message).join('; ')}`);
  const { vpcId, subnets } = await recordedSubnets(deps, spec.name, spec.zones);
  if (!vpcId || subnets.length === 0) throw new StepFailedError(`cluster ${spec.name} has no recorded VPC and subnets to bake an image in`);
  const ids = (await controlPlaneInstances(deps, spec.name)).map((i) => i.InstanceId!);
  if (ids.length === 0) throw new StepFailedError(`cluster ${spec.name} has no control-plane instance`);
  // `upgrade apply` runs where SSM answers; the order of the rest does not matter.
  const online = await onlineInstances(deps, ids);
  const first = online[0] ?? ids[0];
  const ordered = [first, ...ids.filter((id) => id !== first)];
  return { from, to, vpcId, subnets, controlPlane: ordered.map((instanceId, i) => ({ instanceId, first: i === 0 })), apiEndpoint: await recordedApiEndpoint(deps, spec.name) };
}

export const step = defineStep({
  name: 'PrepareUpgrade',
  clients: [ec2Client, ssmClient],
  input: prepareUpgradeInput,
  // --- upgrade-cluster ------------------------------------------------------------------------
  //
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ec2:DescribeInstances', 'ssm:DescribeInstanceInformation'),
  ],
  run: prepareUpgrade,
});
export const { handler, run: runStep } = step;
