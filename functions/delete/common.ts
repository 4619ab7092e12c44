/**
 * What the delete-cluster steps share: the deletion set Discover hands to the passes (ids
 * only: Step Functions payloads are small), the rule that decides what may be deleted, and
 * `deleteEach`, which deletes a kind in parallel, treats NotFound as done, forgets each
 * deleted resource from the inventory at once, and turns DependencyViolation into the
 * retryable DependencyPendingError once everything else of the kind has been tried.
 */
import * as z from 'zod';
import { awsErrorCode, isDependencyViolation, isNotFound } from '../../shared/aws/errors';
import { DependencyPendingError } from '../../shared/errors';
import { HOPPER_CLUSTER_TAG, clusterTagKey } from '../../shared/tags';
import type { StepDeps } from '../lib/deps';
import { stepEnvelope } from '../lib/step';

const ids = z.array(z.string()).default([]);

/**
 * The deletion set: what each pass deletes, by kind, and the brought (`shared`) resources
 * that only lose Hopper's tags. Built by Discover; every list holds ids (names for Auto
 * Scaling groups and parameters, ARNs for load balancers, listeners and target groups).
 */
export const deletionSetSchema = z.object({
  autoScalingGroups: ids,
  instances: ids,
  /** The control-plane seats' etcd volumes. */
  volumes: ids,
  loadBalancers: ids,
  listeners: ids,
  targetGroups: ids,
  natGateways: ids,
  addresses: ids,
  internetGateways: ids,
  networkInterfaces: ids,
  subnets: ids,
  routeTables: ids,
  securityGroups: ids,
  vpcs: ids,
  launchTemplates: ids,
  parameters: ids,
  images: ids,
  /** The cluster's host roles (each with its instance profile of the same name), by name. */
  hostRoles: ids,
  /** The cluster's service-account issuers (its IAM OpenID Connect provider and public documents), by host and path. */
  oidcProviders: ids,
  /** EC2 ids of brought resources (or ones another cluster also uses): untag, never delete. */
  shared: ids,
});
export type DeletionSet = z.infer<typeof deletionSetSchema>;
export type DeletionKind = Exclude<keyof DeletionSet, 'shared'>;

export function emptyDeletionSet(): DeletionSet {
  return deletionSetSchema.parse({});
}

/** The inventory types (`shared/store` ResourceRecord.type) of each kind. */
export const INVENTORY_TYPES: Record<DeletionKind, readonly string[]> = {
  // The node steps record `autoscaling-group`; accept the spelled-out form too.
  autoScalingGroups: ['autoscaling-group', 'auto-scaling-group'],
  instances: ['instance'],
  volumes: ['volume'],
  loadBalancers: ['load-balancer'],
  listeners: ['listener'],
  targetGroups: ['target-group'],
  natGateways: ['nat-gateway'],
  addresses: ['elastic-ip'],
  internetGateways: ['internet-gateway'],
  networkInterfaces: ['network-interface'],
  subnets: ['subnet'],
  routeTables: ['route-table'],
  securityGroups: ['security-group'],
  vpcs: ['vpc'],
  launchTemplates: ['launch-template'],
  parameters: ['parameter'],
  images: ['image'],
  hostRoles: ['host-role'],
  oidcProviders: ['oidc-provider'],
};

/** The kind of an inventory type, if it names something in the cloud. */
export function kindOfInventoryType(type: string): DeletionKind | undefined {
  for (const [kind, types] of Object.entries(INVENTORY_TYPES) as [DeletionKind, readonly string[]][]) {
    if (types.includes(type)) return kind;
  }
  return undefined;
}

/** Input of a pass step: the envelope plus the ids it works on. */
export function passInput<T extends z.ZodRawShape>(shape: T) {
  return stepEnvelope.extend(shape);
}

/**
 * What to do with a resource, from its tags and how the inventory recorded it:
 * - `delete`: tagged `owned` for this cluster (or recorded owned and untagged) and used by
 *   no other cluster;
 * - `untag`: brought (`shared` tag or recorded shared), or owned but also tagged for another
 *   cluster (that cluster uses it: we only step back);
 * - `skip`: nothing says it is ours — in particular a resource tagged for another cluster only.
 */
export type Verdict = 'delete' | 'untag' | 'skip';

export function verdict(cluster: string, tags: Record<string, string>, recorded?: 'owned' | 'shared'): Verdict {
  const ours = tags[clusterTagKey(cluster)];
  const otherCluster = Object.keys(tags).some((k) => k.startsWith('kubernetes.io/cluster/') && k !== clusterTagKey(cluster));
  const hopperOwner = tags[HOPPER_CLUSTER_TAG];
  const otherHopper = hopperOwner !== undefined && hopperOwner !== cluster;
  if (ours === 'shared' || recorded === 'shared') return 'untag';
  if (ours === 'owned') return otherCluster ? 'untag' : 'delete';
  if (ours !== undefined) return 'untag'; // a value we did not write: leave the resource alone
  if (recorded === 'owned' && !otherCluster && !otherHopper) return 'delete';
  return 'skip';
}

/** The tag keys Hopper put on a resource of this cluster (never another cluster's). */
export function hopperTagKeys(cluster: string, tags: Record<string, string>): string[] {
  const ours = tags[HOPPER_CLUSTER_TAG] === cluster;
  return Object.keys(tags).filter((k) => k === clusterTagKey(cluster) || (ours && k.startsWith('hopper:')));
}

/** Forget a resource under every inventory type of its kind. */
export async function forget(deps: StepDeps, cluster: string, kind: DeletionKind, id: string): Promise<void> {
  for (const type of INVENTORY_TYPES[kind]) await deps.store.forgetResource(cluster, type, id);
}

/** Run `fn` over `items`, at most `limit` at a time. */
export async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** How many deletes of one kind run at once: enough to be quick, few enough not to be throttled. */
export const PARALLEL_DELETES = 4;

export interface DeleteSummary {
  deleted: number;
  /** Ids still waiting on a dependency (only when the step did not throw). */
  pending?: string[];
}

/**
 * Delete each id of a kind: NotFound counts as deleted; each deleted id is forgotten from the
 * inventory at once. Every id is tried before an error leaves: DependencyViolation on any
 * of them becomes DependencyPendingError (retryable), any other error is rethrown as is
 * (the step wrapper classifies throttling as transient, the rest as terminal).
 */
export async function deleteEach(
  deps: StepDeps,
  cluster: string,
  kind: DeletionKind,
  idList: readonly string[],
  remove: (id: string) => Promise<unknown>,
  options: { forget?: boolean; isPending?: (err: unknown) => boolean } = {},
): Promise<DeleteSummary> {
  const pending: string[] = [];
  const failures: unknown[] = [];
  let deleted = 0;
  await inParallel(idList, PARALLEL_DELETES, async (id) => {
    try {
      await remove(id);
    } catch (err) {
      if (isDependencyViolation(err) || options.isPending?.(err)) {
        pending.push(`${id} (${awsErrorCode(err)})`);
        return;
      }
      if (!isNotFound(err)) {
        failures.push(err);
        return;
      }
    }
    // Asynchronous deletes (NAT gateways) are forgotten by their check step, once gone.
    if (options.forget !== false) await forget(deps, cluster, kind, id);
    deleted += 1;
  });
  if (failures.length) throw failures[0];
  if (pending.length) throw new DependencyPendingError(`${kind}: still in use: ${pending.join(', ')}`);
  return { deleted };
}

/** Split a list into chunks (AWS caps ids per call: 20 ARNs for ELB tags, 200 filter values for EC2…). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The cluster's Parameter Store path: `/hopper/<cluster>/` (as the control-plane steps write it). */
export function clusterParameterPath(deps: Pick<StepDeps, 'parameterPrefix'>, cluster: string): string {
  return `${deps.parameterPrefix.replace(/\/+$/, '')}/${cluster}/`;
}
