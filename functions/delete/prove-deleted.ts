/**
 * ProveDeleted (delete-cluster, after every pass): a delete is Succeeded only when a fresh
 * scan — the same inventory UNION tag scan as Discover (./discovery.ts), so every kind Hopper
 * creates and the load balancers, security groups and network interfaces the cluster made
 * itself — finds nothing left. Otherwise the workflow waits and runs the passes again on
 * what is left; after the last round the operation fails, listing each resource and why it
 * is still there (a network interface holding a subnet or security group, say).
 */
import { DescribeNetworkInterfacesCommand, type NetworkInterface } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import type { DeletionSet } from './common';
import { DISCOVERY_CLIENTS, DISCOVERY_PERMISSIONS, discoverInput, discoverResources } from './discovery';

/** A kind of resource in the deletion set, brought ones (`shared`) included. */
type SetKind = keyof DeletionSet;

/** Rounds of passes before a delete gives up (the first is the delete's own). */
export const MAX_ROUNDS = 3;

const input = discoverInput.extend({ round: z.number().int().min(0) });

export interface Leftover {
  kind: string;
  id: string;
  why: string;
}

export type ProofOutput = { done: true; round: number } | { done: false; round: number; left: Leftover[] };

/** How a kind reads in a message. */
const LABELS: Partial<Record<SetKind, string>> = {
  autoScalingGroups: 'Auto Scaling group',
  instances: 'instance',
  loadBalancers: 'load balancer',
  listeners: 'listener',
  targetGroups: 'target group',
  natGateways: 'NAT gateway',
  addresses: 'Elastic IP',
  internetGateways: 'internet gateway',
  networkInterfaces: 'network interface',
  subnets: 'subnet',
  routeTables: 'route table',
  securityGroups: 'security group',
  vpcs: 'VPC',
  launchTemplates: 'launch template',
  parameters: 'parameter',
  images: 'image',
  hostRoles: 'host role',
  oidcProviders: 'service-account issuer',
  shared: 'brought resource still tagged',
};

export async function proveDeleted(event: z.input<typeof input>, deps: StepDeps): Promise<ProofOutput> {
  const { round, ...rest } = input.parse(event);
  const { skipped: _skipped, ...set } = await discoverResources(rest, deps);
  const kinds = (Object.keys(set) as SetKind[]).filter((k) => set[k].length > 0);
  if (kinds.length === 0) return { done: true, round: round + 1 };
  const interfaces = await blockingInterfaces(deps, set.subnets, set.securityGroups);
  const left: Leftover[] = kinds.flatMap((kind) => set[kind].map((id) => ({ kind: LABELS[kind] ?? kind, id, why: why(kind, id, interfaces, set.vpcs.length ? kinds : []) })));
  if (round + 1 < MAX_ROUNDS) return { done: false, round: round + 1, left };
  throw new StepFailedError(
    // One per line: `hopper delete cluster` prints the message as it is.
    `the delete left ${left.length} resource(s) after ${MAX_ROUNDS} rounds:\n${left.map((l) => `  - ${l.kind} ${l.id} (${l.why})`).join('\n')}`,
  );
}

/** Network interfaces in the given subnets or security groups: what keeps them from going. */
async function blockingInterfaces(deps: StepDeps, subnets: string[], groups: string[]): Promise<NetworkInterface[]> {
  const found: NetworkInterface[] = [];
  for (const [name, values] of [['subnet-id', subnets], ['group-id', groups]] as const) {
    if (values.length === 0) continue;
    const out = await deps.clients.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: name, Values: values }] }));
    found.push(...(out.NetworkInterfaces ?? []));
  }
  return [...new Map(found.map((n) => [n.NetworkInterfaceId, n])).values()];
}

function why(kind: SetKind, id: string, interfaces: NetworkInterface[], vpcContents: SetKind[]): string {
  const users = interfaces.filter((n) => (kind === 'subnets' ? n.SubnetId === id : kind === 'securityGroups' && (n.Groups ?? []).some((g) => g.GroupId === id)));
  if (users.length > 0) {
    return `in use by ${users.map((n) => `network interface ${n.NetworkInterfaceId}${n.Description ? ` "${n.Description}"` : ''}`).join(', ')}`;
  }
  if (kind === 'vpcs') {
    const inside = vpcContents.filter((k) => k !== 'vpcs').map((k) => LABELS[k] ?? k);
    return inside.length ? `still holds: ${inside.join(', ')}` : 'still exists';
  }
  if (kind === 'instances') return 'not terminated yet';
  if (kind === 'shared') return 'its Hopper tags could not be removed';
  return 'still exists';
}

export const step = defineStep({
  name: 'ProveDeleted',
  clients: DISCOVERY_CLIENTS,
  input,
  permissions: DISCOVERY_PERMISSIONS,
  run: proveDeleted,
});
export const { handler } = step;
