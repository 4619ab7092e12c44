/**
 * instanceHealthSweep (every 5 minutes): asks EC2 how every live cluster's instances are
 * (DescribeInstanceStatus) and acts on what the events alone could miss — failed status
 * checks (no event announces them) and scheduled retirements whose AWS Health event was lost
 * or whose repair was skipped while the cluster was busy. A node-group or control-plane
 * instance gets a repair (functions/repair/start-repair.ts: at most one started per cluster and
 * sweep, never beside another operation, never past the group's repair budget); a bastion, or a
 * control plane of fewer than three, in trouble degrades the cluster, saying why.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterRecord } from '../../shared/store';
import { clusterTagKey, HOPPER_GROUP_TAG, HOPPER_ROLE_TAG, tagRecord } from '../../shared/tags';
import { allow, anywhere, getAtt, ref, stopExecutions, tableIndex } from '../../shared/aws/iam';
import { describeInstances } from '../lib/ec2';
import { defineFunction } from '../lib/function';
import { NODE_ROLE } from '../nodes/common';
import { CONTROL_PLANE_ROLE } from '../control-plane/render-context';
import { describeTrouble } from '../repair/policy';
import { startRepair, troubledInstances, type RepairDecision } from '../repair/start-repair';
import { degradeGroup } from './degrade-group';
import { eventDeps, type EventDeps } from './deps';
import { eachCluster } from './each-cluster';

const logger = new Logger({ serviceName: 'hopper-health-sweep' });

/** Clusters whose machines are looked after (a create or delete in progress is left alone). */
const LOOKED_AFTER = new Set(['Ready', 'Degraded', 'Updating']);

export type SweepFinding =
  | RepairDecision
  | { action: 'degraded'; cluster: string; instanceId: string; trouble: string; group: string }
  | { action: 'failed'; cluster: string; reason: string };

async function sweepCluster(deps: EventDeps, record: ClusterRecord): Promise<SweepFinding[]> {
  const instances = await describeInstances(deps, [
    { Name: `tag:${clusterTagKey(record.name)}`, Values: ['owned'] },
    { Name: 'instance-state-name', Values: ['running'] },
  ]);
  const troubled = await troubledInstances(deps, instances.map((i) => i.InstanceId!).filter(Boolean));
  const findings: SweepFinding[] = [];
  let repairing = false;
  for (const inst of instances) {
    const trouble = troubled.get(inst.InstanceId!);
    if (!trouble) continue;
    const tags = tagRecord(inst.Tags);
    const group = tags[HOPPER_GROUP_TAG] ?? tags[HOPPER_ROLE_TAG] ?? 'unknown';
    const role = tags[HOPPER_ROLE_TAG];
    let why = `replace it (hopper update cluster recreates the ${group})`;
    if (role === NODE_ROLE || role === CONTROL_PLANE_ROLE) {
      // One repair per cluster at a time: the next sweep takes the next instance.
      if (repairing) continue;
      const decision = await startRepair(deps, record, { instanceId: inst.InstanceId!, trouble, group, owner: 'sweep', controlPlane: role === CONTROL_PLANE_ROLE });
      if (decision.action !== 'unrepairable') {
        repairing = decision.action === 'started';
        findings.push(decision);
        continue;
      }
      why = `${decision.reason}; it cannot be replaced without an outage`;
    }
    const message = `instance ${inst.InstanceId} of ${group} has ${describeTrouble(trouble)}: ${why}`;
    if (record.instanceGroups?.[group]?.reason !== message) {
      await deps.store.putEvent(record.name, { type: 'InstanceTrouble', message, detail: { group, trouble } });
      await degradeGroup(deps, record.name, group, message);
    }
    findings.push({ action: 'degraded', cluster: record.name, instanceId: inst.InstanceId!, trouble, group });
  }
  return findings;
}

/** Every live cluster, one at a time (a failure for one is logged and does not stop the rest). */
export async function instanceHealthSweep(deps: EventDeps): Promise<{ findings: SweepFinding[] }> {
  const findings = await eachCluster<SweepFinding>(
    deps,
    logger,
    'health sweep',
    async (record) => (LOOKED_AFTER.has(record.status) ? sweepCluster(deps, record) : []),
    (record, reason) => ({ action: 'failed', cluster: record.name, reason }),
  );
  if (findings.length) logger.info('health sweep', { findings });
  return { findings };
}

export const lambda = defineFunction({
  timeout: 120,
  environment: { REPAIR_NODE_STATE_MACHINE_ARN: ref('RepairNodeStateMachine'), ROLLING_UPDATE_STATE_MACHINE_ARN: ref('RollingUpdateStateMachine') },
  events: [{ schedule: 'rate(5 minutes)' }],
  permissions: [
    allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [getAtt('HopperTable'), tableIndex()]),
    anywhere('ec2:DescribeInstances', 'ec2:DescribeInstanceStatus'),
    allow(['states:StartExecution'], [ref('RepairNodeStateMachine'), ref('RollingUpdateStateMachine')]),
    stopExecutions(),
  ],
});

export const handler = middy().handler(() => instanceHealthSweep(eventDeps()));
