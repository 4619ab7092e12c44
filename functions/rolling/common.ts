/**
 * What the rolling-update steps share: the options (kops' defaults), and the rollout as the
 * cloud has it now — which control-plane seats and which node instances still run an old
 * launch template version or image.
 *
 * Nothing about progress is kept in the state machine: every batch is planned again from the
 * cloud, so a rolling update that was interrupted and started again continues with what is
 * left. Instances already replaced run the group's launch template version and are not in
 * the plan; an instance detached for a surge but not yet terminated carries the
 * `hopper:rolling-update` tag and is taken first.
 */
import { everySeatHasVolume } from '../control-plane/etcd-volumes';
import { DescribeAutoScalingGroupsCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplateVersionsCommand, type Instance } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import type { ClusterSpec } from '../../shared/spec';
import { clusterTagKey, HOPPER_GROUP_TAG, HOPPER_ROLE_TAG, roleFilters, tagRecord } from '../../shared/tags';
import { SEAT_TAG } from '../control-plane/seats';
import { CONTROL_PLANE_ROLE, recordedApiEndpoint } from '../control-plane/render-context';
import { findAvailableImage, imageKey } from '../image/common';
import type { StepDeps } from '../lib/deps';
import { describeInstances } from '../lib/ec2';
import { groupResourceName, NODE_ROLE } from '../nodes/common';

/** Tag put on an instance before it is detached for a surge: the operation that detached it. */
export const ROLLING_TAG = 'hopper:rolling-update';

/** Options of a rolling update, as the API takes them (shared/api/routes.ts), with kops' defaults filled in. */
export const rollingOptionsSchema = z.object({
  instanceGroups: z.array(z.string()).optional(),
  force: z.boolean().default(false),
  /** Node instances replaced ahead of time by detaching them (the group launches a replacement). */
  maxSurge: z.number().int().min(0).default(1),
  /** Node instances that may be missing at once (terminated before their replacement is Ready). */
  maxUnavailable: z.number().int().min(0).default(0),
  drainTimeoutSeconds: z.number().int().positive().default(300),
  forceDrain: z.boolean().default(false),
  failOnValidationError: z.boolean().default(true),
  /** The control-plane image, when the caller knows it (the upgrade). */
  controlPlaneImageId: z.string().optional(),
  /** With `force`: only these instances (a repair replacing one control-plane seat). */
  instances: z.array(z.string()).optional(),
});
export type RollingOptions = z.infer<typeof rollingOptionsSchema>;

/** Instance states that still count as a machine of the cluster. */
const LIVE = ['pending', 'running'];

export interface SeatState {
  seat: number;
  zone?: string;
  instanceId?: string;
  imageId?: string;
  subnetId?: string;
  /** Why the seat is replaced (`image ami-1 → ami-2`, `forced`, `no instance`), or undefined when up to date. */
  reason?: string;
}

export interface GroupRollout {
  name: string;
  autoScalingGroupName: string;
  exists: boolean;
  desired: number;
  launchTemplate?: { id: string; version: string; imageId?: string };
  /** In the group, on an old version or image: to be replaced. */
  outdated: Array<{ instanceId: string; reason: string }>;
  /** Detached by an earlier batch, still running: to be drained and terminated. */
  detached: string[];
  upToDate: number;
}

export interface Rollout {
  controlPlane: {
    seats: SeatState[];
    targetImageId?: string;
    /** Why the control plane cannot be rolled (a single instance, no load balancer), when it cannot. */
    blocked?: string;
  };
  groups: GroupRollout[];
  /** What validateCluster needs: the live control-plane instances and the API endpoint. */
  validation: { instanceIds: string[]; first: string; others: string[]; apiEndpoint: string };
}

/** Shared with the other steps (functions/lib/ec2.ts); re-exported for the rolling steps. */
export { describeInstances };

/** The cluster's live control-plane instances, oldest first. */
export async function controlPlaneInstances(deps: StepDeps, cluster: string): Promise<Instance[]> {
  const found = await describeInstances(deps, [...roleFilters(cluster, CONTROL_PLANE_ROLE), { Name: 'instance-state-name', Values: LIVE }]);
  return found.sort((a, b) => (a.LaunchTime?.getTime() ?? 0) - (b.LaunchTime?.getTime() ?? 0));
}

/** The live control-plane instances other than `instanceId`: who still holds etcd's quorum while it is replaced. */
export async function otherControlPlanes(deps: StepDeps, cluster: string, instanceId: string): Promise<Instance[]> {
  return (await controlPlaneInstances(deps, cluster)).filter((i) => i.InstanceId !== instanceId);
}

/** The image control-plane instances should run: given, the spec's, or the one baked for the spec's version. */
export async function controlPlaneTargetImage(deps: StepDeps, spec: ClusterSpec, given?: string): Promise<string | undefined> {
  if (given) return given;
  if (spec.image.id) return spec.image.id;
  const key = imageKey({ kubernetesVersion: spec.kubernetesVersion, architecture: spec.architecture, region: spec.region, assets: spec.assets });
  return (await findAvailableImage(deps, key))?.ImageId;
}

/**
 * Whether `force` replaces an instance: one of those the operation found when it first
 * planned (recorded on its Plan step, so a resumed run keeps the same set). Launch times
 * are not compared: the replacement's clock and the operation's need not agree.
 */
function isForced(instance: Instance | undefined, forced: ReadonlySet<string> | undefined): boolean {
  if (!forced) return true;
  return instance?.InstanceId !== undefined && forced.has(instance.InstanceId);
}

/**
 * The rollout as the cloud has it now. With `force`, `forced` names the instances to
 * replace whatever their version (the replacements are not in it); absent, every instance.
 */
export async function observeRollout(deps: StepDeps, spec: ClusterSpec, options: RollingOptions, forced?: ReadonlySet<string>): Promise<Rollout> {
  const wanted = (name: string) => options.instanceGroups === undefined || options.instanceGroups.length === 0 || options.instanceGroups.includes(name);

  // Control plane: one seat per zone entry; the newest live instance of a seat is its occupant.
  const cp = await controlPlaneInstances(deps, spec.name);
  const targetImageId = await controlPlaneTargetImage(deps, spec, options.controlPlaneImageId);
  const bySeat = new Map<number, Instance>();
  for (const inst of cp) {
    const seat = Number(tagRecord(inst.Tags)[SEAT_TAG]);
    if (Number.isInteger(seat)) bySeat.set(seat, inst);
  }
  const seats: SeatState[] = [];
  if (wanted('control-plane')) {
    for (const [seat, zone] of spec.controlPlane.zones.entries()) {
      const inst = bySeat.get(seat);
      let reason: string | undefined;
      if (!inst) reason = 'no instance';
      else if (targetImageId && inst.ImageId !== targetImageId) reason = `image ${inst.ImageId} → ${targetImageId}`;
      else if (options.force && isForced(inst, forced)) reason = 'forced';
      seats.push({ seat, zone, instanceId: inst?.InstanceId, imageId: inst?.ImageId, subnetId: inst?.SubnetId, reason });
    }
  }
  let apiEndpoint = '';
  try {
    apiEndpoint = await recordedApiEndpoint(deps, spec.name);
  } catch {
    // No recorded endpoint: nothing was ever launched; validation cannot run either.
  }
  let blocked: string | undefined;
  // With each seat's etcd data on its own volume, any seat can be replaced: the replacement
  // takes the volume (and, without a load balancer, the seat's address), and a single control
  // plane's API is down only while that happens. A cluster made before etcd volumes keeps its
  // data on the instances, and keeps the old limits.
  if (seats.some((s) => s.reason) && !(await everySeatHasVolume(deps, spec.name, spec.controlPlane.count))) {
    if (spec.controlPlane.count < 3) blocked = `the control plane has ${spec.controlPlane.count} instance(s); replacing one would take etcd and the API down (3 or more are needed)`;
    else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(apiEndpoint)) blocked = `the API endpoint ${apiEndpoint} is an instance's own address (no load balancer); that instance cannot be replaced`;
  }

  // Node groups: their Auto Scaling groups and launch template versions.
  const names = spec.instanceGroups.filter((g) => wanted(g.name)).map((g) => groupResourceName(spec.name, g.name));
  const asgs = new Map<string, AutoScalingGroup>();
  if (names.length > 0) {
    let nextToken: string | undefined;
    do {
      const page = await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names, NextToken: nextToken }));
      for (const g of page.AutoScalingGroups ?? []) if (g.AutoScalingGroupName) asgs.set(g.AutoScalingGroupName, g);
      nextToken = page.NextToken;
    } while (nextToken);
  }
  const nodes = await describeInstances(deps, [...roleFilters(spec.name, NODE_ROLE), { Name: 'instance-state-name', Values: LIVE }]);
  const nodeById = new Map(nodes.map((i) => [i.InstanceId!, i]));
  const groups: GroupRollout[] = [];
  for (const g of spec.instanceGroups.filter((x) => wanted(x.name))) {
    const asgName = groupResourceName(spec.name, g.name);
    const asg = asgs.get(asgName);
    const lt = asg?.LaunchTemplate;
    let launchTemplate: GroupRollout['launchTemplate'];
    if (lt?.LaunchTemplateId) {
      const version = await resolveVersion(deps, lt.LaunchTemplateId, lt.Version ?? '$Default');
      launchTemplate = { id: lt.LaunchTemplateId, version: version.number, imageId: version.imageId };
    }
    const members = (asg?.Instances ?? []).filter((i) => !(i.LifecycleState ?? '').startsWith('Terminat') && !(i.LifecycleState ?? '').startsWith('Detach'));
    const outdated: GroupRollout['outdated'] = [];
    let upToDate = 0;
    for (const m of members) {
      const inst = nodeById.get(m.InstanceId!);
      let reason: string | undefined;
      if (launchTemplate && m.LaunchTemplate?.Version !== undefined && m.LaunchTemplate.Version !== launchTemplate.version) {
        reason = `launch template version ${m.LaunchTemplate.Version} → ${launchTemplate.version}`;
      } else if (launchTemplate?.imageId && inst?.ImageId && inst.ImageId !== launchTemplate.imageId) {
        reason = `image ${inst.ImageId} → ${launchTemplate.imageId}`;
      } else if (options.force && isForced(inst, forced)) {
        reason = 'forced';
      }
      if (reason) outdated.push({ instanceId: m.InstanceId!, reason });
      else upToDate += 1;
    }
    const memberIds = new Set(members.map((m) => m.InstanceId));
    const detached = nodes
      .filter((i) => {
        const tags = tagRecord(i.Tags);
        return tags[HOPPER_GROUP_TAG] === g.name && tags[ROLLING_TAG] !== undefined && !tags['aws:autoscaling:groupName'] && !memberIds.has(i.InstanceId);
      })
      .map((i) => i.InstanceId!);
    groups.push({ name: g.name, autoScalingGroupName: asgName, exists: asg !== undefined, desired: asg?.DesiredCapacity ?? g.min, launchTemplate, outdated, detached, upToDate });
  }

  const ids = cp.map((i) => i.InstanceId!);
  return {
    controlPlane: { seats, targetImageId, blocked },
    groups,
    validation: { instanceIds: ids, first: ids[0] ?? '', others: ids.slice(1), apiEndpoint },
  };
}

/** `$Latest`/`$Default`/a number → the version number and its image. */
async function resolveVersion(deps: StepDeps, launchTemplateId: string, version: string): Promise<{ number: string; imageId?: string }> {
  const out = await deps.clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, Versions: [version] }));
  const v = out.LaunchTemplateVersions?.[0];
  return { number: String(v?.VersionNumber ?? version), imageId: v?.LaunchTemplateData?.ImageId };
}

/** How many instances the rollout would still replace. */
export function remaining(rollout: Rollout): number {
  const cp = rollout.controlPlane.blocked ? 0 : rollout.controlPlane.seats.filter((s) => s.reason).length;
  return cp + rollout.groups.reduce((n, g) => n + g.outdated.length + g.detached.length, 0);
}

/** A readable summary of the rollout: the plan the API and the operation show. */
export function planView(rollout: Rollout) {
  return {
    controlPlane: {
      replace: rollout.controlPlane.seats.filter((s) => s.reason).map((s) => ({ seat: s.seat, instanceId: s.instanceId ?? null, reason: s.reason })),
      ...(rollout.controlPlane.blocked ? { skipped: rollout.controlPlane.blocked } : {}),
    },
    instanceGroups: rollout.groups.map((g) => ({
      name: g.name,
      desired: g.desired,
      upToDate: g.upToDate,
      replace: [...g.detached.map((id) => ({ instanceId: id, reason: 'detached by an earlier batch' })), ...g.outdated],
    })),
    remaining: remaining(rollout),
  };
}

/** Control-plane instances whose SSM agent is Online, in the order given. */
export async function onlineInstances(deps: StepDeps, instanceIds: string[]): Promise<string[]> {
  if (instanceIds.length === 0) return [];
  const out = await deps.clients.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: instanceIds.slice(0, 50) }] }));
  const online = new Set((out.InstanceInformationList ?? []).filter((i) => i.PingStatus === 'Online').map((i) => i.InstanceId));
  return instanceIds.filter((id) => online.has(id));
}

/**
 * A control-plane instance to run kubectl on, other than `exclude` (the node being drained
 * may be a control-plane node itself).
 */
export async function kubectlRunner(deps: StepDeps, cluster: string, exclude?: string): Promise<string> {
  const all = (await controlPlaneInstances(deps, cluster)).map((i) => i.InstanceId!);
  const ids = all.filter((id) => id !== exclude);
  const online = await onlineInstances(deps, ids);
  // The only control plane, itself being replaced, runs kubectl for its own drain.
  const chosen = online[0] ?? ids[0] ?? (exclude && all.includes(exclude) ? exclude : undefined);
  if (!chosen) throw new Error(`cluster ${cluster} has no control-plane instance to run kubectl on`);
  return chosen;
}

/** The Kubernetes node name of an instance (kubeadm registers nodes by their private DNS name). */
export async function nodeNameOf(deps: StepDeps, instanceId: string): Promise<{ node: string; instance?: Instance }> {
  const found = await describeInstances(deps, [{ Name: 'instance-id', Values: [instanceId] }]);
  const inst = found[0];
  // A terminated instance's private DNS name is empty: the id at least names what is meant.
  return { node: (inst?.PrivateDnsName || instanceId).toLowerCase(), instance: inst };
}

export { clusterTagKey, HOPPER_ROLE_TAG };
