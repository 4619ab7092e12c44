/**
 * PrepareRepair: what the repair of one instance does, decided from the cloud as it is now
 * (the request says which instance and why; a rerun decides again): drain it if it still
 * runs and answers, terminate it through its group unless it is already going, and the
 * Node object to delete afterwards. Only node-group instances are repaired here; a
 * control-plane instance is refused (its seat holds an etcd member).
 */
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import { HOPPER_CLUSTER_TAG, HOPPER_GROUP_TAG, HOPPER_ROLE_TAG, tagRecord } from '../../shared/tags';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { anywhere, table } from '../../shared/aws/iam';
import { NODE_ROLE } from '../nodes/common';
import { describeInstances } from '../lib/ec2';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { describeTrouble, REPAIR_PLANS, TROUBLES } from './policy';

export const repairRequestSchema = z.object({
  instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/),
  trouble: z.enum(TROUBLES),
  eventId: z.string().optional(),
});
export type RepairRequest = z.infer<typeof repairRequestSchema>;

export interface Repair {
  instanceId: string;
  trouble: RepairRequest['trouble'];
  group: string;
  /** The Node object's name ('' when it cannot be known any more). */
  node: string;
  /** The instance's state when planned. */
  state: string;
  drain: boolean;
  drainTimeoutSeconds: number;
  terminate: boolean;
}

export async function prepareRepair(input: { cluster: string; operationId: string }, deps: StepDeps): Promise<Repair> {
  const op = await deps.store.getOperation(input.operationId);
  const request = repairRequestSchema.parse((op?.input as { request?: unknown } | undefined)?.request);
  const instance = (await describeInstances(deps, [{ Name: 'instance-id', Values: [request.instanceId] }]))[0];
  const tags = tagRecord(instance?.Tags);
  if (instance && tags[HOPPER_CLUSTER_TAG] !== input.cluster) throw new StepFailedError(`instance ${request.instanceId} is not one of cluster ${input.cluster}'s`);
  if (instance && tags[HOPPER_ROLE_TAG] !== NODE_ROLE) {
    throw new StepFailedError(`instance ${request.instanceId} is a ${tags[HOPPER_ROLE_TAG] ?? 'untagged'} instance, not a node: node repair replaces node-group instances only`);
  }
  const state = instance?.State?.Name ?? 'terminated';
  const going = state !== 'running' && state !== 'pending';
  const plan = REPAIR_PLANS[request.trouble];
  const node = (instance?.PrivateDnsName ?? '').toLowerCase();
  return {
    instanceId: request.instanceId,
    trouble: request.trouble,
    group: tags[HOPPER_GROUP_TAG] ?? '',
    node,
    state,
    drain: plan.drain && !going && node !== '',
    drainTimeoutSeconds: plan.drainTimeoutSeconds,
    terminate: plan.terminate && !going,
  };
}

export const step = defineStep({
  name: 'PrepareRepair',
  describeActivity: () => 'looking at the instance in trouble',
  describeStage: (r: Repair) => ({
    detail: { instanceId: r.instanceId, trouble: r.trouble, group: r.group, node: r.node, state: r.state, drain: r.drain, terminate: r.terminate, why: describeTrouble(r.trouble) },
  }),
  clients: [ec2Client],
  input: stepEnvelope.extend({}),
  permissions: [table('GetItem', 'PutItem', 'UpdateItem', 'Query'), anywhere('ec2:DescribeInstances')],
  run: prepareRepair,
});
export const { handler } = step;
