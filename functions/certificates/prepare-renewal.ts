/**
 * PrepareRenewal: the control-plane instances whose certificates the renewal renews, in seat
 * order (one after the other: the others keep serving while one restarts its static pods), and
 * the API endpoint the scripts are rendered for.
 */
import { StepFailedError } from '../../shared/errors';
import { roleFilters } from '../../shared/tags';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { anywhere, table } from '../../shared/aws/iam';
import { CONTROL_PLANE_ROLE, recordedApiEndpoint } from '../control-plane/render-context';
import { inSeatOrder } from '../control-plane/seats';
import { describeInstances } from '../lib/ec2';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';

export interface Renewal {
  controlPlane: { instanceId: string }[];
  apiEndpoint: string;
}

export async function prepareRenewal(input: { cluster: string }, deps: StepDeps): Promise<Renewal> {
  const found = await describeInstances(deps, [...roleFilters(input.cluster, CONTROL_PLANE_ROLE), { Name: 'instance-state-name', Values: ['running'] }]);
  const instances = inSeatOrder(found);
  if (instances.length === 0) throw new StepFailedError(`cluster ${input.cluster} has no running control-plane instance whose certificates could be renewed`);
  return { controlPlane: instances.map((i) => ({ instanceId: i.InstanceId! })), apiEndpoint: await recordedApiEndpoint(deps, input.cluster) };
}

export const step = defineStep({
  name: 'PrepareRenewal',
  describeActivity: () => 'finding the control-plane instances',
  clients: [ec2Client],
  input: stepEnvelope.extend({}),
  permissions: [table('GetItem', 'PutItem', 'UpdateItem', 'Query'), anywhere('ec2:DescribeInstances')],
  run: (input: { cluster: string }, deps: StepDeps) => prepareRenewal(input, deps),
});
export const { handler } = step;
