/** The cluster's instances that are not terminated yet: the given ids plus whatever carries the `owned` tag now. */
import { DescribeInstancesCommand, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { clusterTagKey } from '../../shared/tags';
import type { StepDeps } from '../lib/deps';
import { chunks } from './common';

const NOT_TERMINATED = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

async function describe(deps: StepDeps, filters: Filter[]): Promise<Instance[]> {
  const out: Instance[] = [];
  let token: string | undefined;
  do {
    const page = await deps.clients.ec2.send(new DescribeInstancesCommand({ Filters: filters, NextToken: token }));
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

/**
 * Live instances of the cluster. Filters, not InstanceIds: a missing id in InstanceIds fails
 * the whole call, a filter just leaves it out. The tag scan catches instances an Auto
 * Scaling group launched after Discover ran.
 */
export async function liveInstances(deps: StepDeps, cluster: string, ids: readonly string[]): Promise<Instance[]> {
  const state = { Name: 'instance-state-name', Values: NOT_TERMINATED };
  const found = new Map<string, Instance>();
  for (const part of chunks(ids, 200)) {
    for (const i of await describe(deps, [{ Name: 'instance-id', Values: part }, state])) found.set(i.InstanceId!, i);
  }
  for (const i of await describe(deps, [{ Name: `tag:${clusterTagKey(cluster)}`, Values: ['owned'] }, state])) found.set(i.InstanceId!, i);
  return [...found.values()];
}
