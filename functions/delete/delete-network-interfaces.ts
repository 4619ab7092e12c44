/**
 * DeleteNetworkInterfaces (pass 5): the detached network interfaces the CNI (or a crashed
 * instance) left behind, which would block the subnets. In scope: the interfaces in the set
 * and the detached ones in the subnets being deleted, unless tagged for another cluster.
 * Interfaces AWS manages for a load balancer or NAT gateway go with their owner; an
 * interface still attached (its instance is terminating) is waited for.
 */
import { DeleteNetworkInterfaceCommand, DescribeNetworkInterfacesCommand, type Filter, type NetworkInterface } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { DependencyPendingError } from '../../shared/errors';
import { tagRecord } from '../../shared/tags';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { chunks, deleteEach, passInput, verdict, type DeleteSummary } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, table, unscoped } from '../../shared/aws/iam';

export const deleteNetworkInterfacesInput = passInput({ networkInterfaces: z.array(z.string()), subnets: z.array(z.string()) });

async function describe(deps: StepDeps, filters: Filter[]): Promise<NetworkInterface[]> {
  const out: NetworkInterface[] = [];
  let token: string | undefined;
  do {
    const page = await deps.clients.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: filters, NextToken: token }));
    out.push(...(page.NetworkInterfaces ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

export async function deleteNetworkInterfaces(input: z.infer<typeof deleteNetworkInterfacesInput>, deps: StepDeps): Promise<DeleteSummary> {
  const found = new Map<string, NetworkInterface>();
  const listed = new Set(input.networkInterfaces);
  for (const part of chunks(input.networkInterfaces, 200)) for (const n of await describe(deps, [{ Name: 'network-interface-id', Values: part }])) found.set(n.NetworkInterfaceId!, n);
  for (const part of chunks(input.subnets, 200)) for (const n of await describe(deps, [{ Name: 'subnet-id', Values: part }])) found.set(n.NetworkInterfaceId!, n);
  const deletable: string[] = [];
  const attached: string[] = [];
  for (const [id, n] of found) {
    if (n.RequesterManaged) continue;
    const tags = tagRecord(n.TagSet);
    // In our subnet but tagged for another cluster only: not ours to remove.
    if (!listed.has(id) && verdict(input.cluster, tags, 'owned') !== 'delete') continue;
    if (n.Status === 'available') deletable.push(id);
    else attached.push(`${id} (${n.Status}, ${n.Attachment?.InstanceId ?? 'no instance'})`);
  }
  // Listed but gone: deleteEach forgets them on NotFound.
  for (const id of listed) if (!found.has(id)) deletable.push(id);
  const summary = await deleteEach(deps, input.cluster, 'networkInterfaces', deletable, (id) =>
    deps.clients.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id })),
  );
  if (attached.length) throw new DependencyPendingError(`network interfaces still attached: ${attached.join(', ')}`);
  return summary;
}

export const step = defineStep({
  name: 'DeleteNetworkInterfaces',
  clients: [ec2Client],
  input: deleteNetworkInterfacesInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    anywhere('ec2:DescribeNetworkInterfaces'),
    unscoped("the CNI's leftover interfaces are untagged or carry only the CNI's tag; discovery finds them in the cluster's subnets", allow(['ec2:DeleteNetworkInterface'], [arn('ec2', 'network-interface/*')])),
  ],
  run: deleteNetworkInterfaces,
});
export const { handler } = step;
