/**
 * DescribeInstanceStatus: each instance's state, its scheduled events and its two status
 * checks (instance reachability, system reachability), as a health sweep reads them. Without
 * `IncludeAllInstances` only running instances are listed, as on AWS. A failed check (see
 * disruptions.ts) or an impaired zone makes the status `impaired` with `ImpairedSince`.
 */
import type { DescribeInstanceStatusRequest, DescribeInstanceStatusResult, InstanceStatus, InstanceStatusSummary } from '@aws-sdk/client-ec2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { SimInstance } from '../core/types';
import { applyFilters, paginate } from './common';
import { CODES } from './instances';

function summary(inst: SimInstance, failedSince: number | undefined): InstanceStatusSummary {
  if (inst.state !== 'running') return { Status: 'not-applicable', Details: [] };
  if (failedSince === undefined) return { Status: 'ok', Details: [{ Name: 'reachability', Status: 'passed' }] };
  return { Status: 'impaired', Details: [{ Name: 'reachability', Status: 'failed', ImpairedSince: new Date(failedSince) }] };
}

function instanceCheckFailedSince(state: SimState, inst: SimInstance): number | undefined {
  if (inst.failedChecks?.instance !== undefined) return inst.failedChecks.instance;
  // An impaired zone: the instance stopped answering when the zone did (or when it launched, if later).
  return state.faults.state.impairedZones.includes(inst.availabilityZone) ? Date.parse(inst.launchTime) : undefined;
}

export function toInstanceStatus(state: SimState, inst: SimInstance): InstanceStatus {
  return {
    InstanceId: inst.id,
    AvailabilityZone: inst.availabilityZone,
    InstanceState: { Code: CODES[inst.state], Name: inst.state },
    Events: (inst.scheduledEvents ?? []).map((e) => ({
      InstanceEventId: e.id,
      Code: e.code,
      Description: e.description,
      NotBefore: new Date(e.notBefore),
      ...(e.notAfter ? { NotAfter: new Date(e.notAfter) } : {}),
    })),
    InstanceStatus: summary(inst, instanceCheckFailedSince(state, inst)),
    SystemStatus: summary(inst, inst.failedChecks?.system),
  };
}

const describeInstanceStatus: QueryHandler = (input: DescribeInstanceStatusRequest, ctx: SimContext): DescribeInstanceStatusResult => {
  const { state } = ctx;
  let items = [...state.instances.values()].filter((i) => i.region === ctx.region && state.visible(i));
  if (input.InstanceIds?.length) {
    const missing = input.InstanceIds.filter((id) => !items.some((i) => i.id === id));
    if (missing.length) throw new SimError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
    items = items.filter((i) => input.InstanceIds!.includes(i.id));
  }
  if (!input.IncludeAllInstances) items = items.filter((i) => i.state === 'running');
  const statuses = new Map(items.map((i) => [i.id, toInstanceStatus(state, i)]));
  items = applyFilters(items, input.Filters, {
    'availability-zone': (i) => i.availabilityZone,
    'instance-state-name': (i) => i.state,
    'instance-state-code': (i) => CODES[i.state],
    'event.code': (i) => (i.scheduledEvents ?? []).map((e) => e.code),
    'event.description': (i) => (i.scheduledEvents ?? []).map((e) => e.description),
    'instance-status.status': (i) => statuses.get(i.id)?.InstanceStatus?.Status,
    'instance-status.reachability': (i) => statuses.get(i.id)?.InstanceStatus?.Details?.[0]?.Status,
    'system-status.status': (i) => statuses.get(i.id)?.SystemStatus?.Status,
    'system-status.reachability': (i) => statuses.get(i.id)?.SystemStatus?.Details?.[0]?.Status,
  });
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  return { InstanceStatuses: page.map((i) => statuses.get(i.id)!), NextToken: nextToken };
};

export const instanceStatusHandlers = { DescribeInstanceStatus: describeInstanceStatus };
