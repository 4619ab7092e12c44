/**
 * PrepareRenewal: the control-plane instances whose certificates the renewal renews, in seat
 * order (one after the other: the others keep serving while one restarts its static pods), and
 * the API endpoint the scripts are rendered for.
 */
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import { HOPPER_ROLE_TAG, roleFilters, tagRecord } from '../../shared/tags';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { anywhere, table } from '../../shared/aws/iam';
import { CONTROL_PLANE_ROLE, recordedApiEndpoint } from '../control-plane/render-context';
import { SEAT_TAG } from '../control-plane/seats';
import { describeInstances } from '../lib/ec2';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';

export interface Renewal {
  controlPlane: { instanceId: string }[];
  apiEndpoint: string;
}

export async function prepareRenewal(input: { cluster: string }, deps: StepDeps): Promise<Renewal> {
  const found = await describeInstances(deps, [...roleFilters(input.cluster, CONTROL_PLANE_ROLE), { Name: 'instance-state-name', Values: ['running'] }]);
  const instances = found
    .filter((i) => tagRecord(i.Tags)[HOPPER_ROLE_TAG] === CONTROL_PLANE_ROLE)
    .sort((a, b) => Number(tagRecord(a.Tags)[SEAT_TAG] ?? 0) - Number(tagRecord(b.Tags)[SEAT_TAG] ?? 0));
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

export const renewalSchema = z.object({ controlPlane: z.array(z.object({ instanceId: z.string().min(1) })).min(1), apiEndpoint: z.string().min(1) });
