/**
 * The update plan: the desired spec against what AWS actually runs, field by field, as
 * kops's dry run prints it (`AutoscalingGroup/nodes  MinSize 2 -> 3`,
 * `LaunchTemplate/nodes  InstanceType t3.medium -> t3.large`). Pure: the observing step
 * (functions/update/observe.ts) reads AWS and renders the desired user data; this module
 * only compares, so every case is a unit test.
 *
 * A launch template change means instances run an old version afterwards: the plan says
 * `rollingUpdateRequired` (the rolling update replaces them; update never does).
 */
import type { PlanChange, PlanView } from '../api/types';
import type { ClusterSpec, InstanceGroupSpec, Problem } from '../spec';

/** The instance-group label Hopper adds to every node (not a user label: left out of diffs). */
const GROUP_LABEL = 'hopper.io/instance-group';

/** The launch template version an Auto Scaling group launches, as DescribeLaunchTemplateVersions shows it. */
export interface ObservedLaunchTemplate {
  launchTemplateId: string;
  /** The version the group launches (explicit; `$Latest` resolved by the observer). */
  version: number;
  /** The template's latest version: an update that finds it equal to the desired data reuses it. */
  latestVersion?: number;
  imageId?: string;
  machineType?: string;
  rootVolumeSize?: number;
  /** The user data, decoded (UTF-8 text). */
  userData?: string;
}

/** One of the cluster's Auto Scaling groups, as DescribeAutoScalingGroups shows it. */
export interface ObservedGroup {
  /** The instance group (from the `hopper:instance-group` tag). */
  name: string;
  autoScalingGroupName: string;
  min: number;
  max: number;
  desired: number;
  /** `Delete in progress` while AWS deletes it. */
  status?: string;
  launchTemplate?: ObservedLaunchTemplate;
}

/** What the cloud holds of the network, for the edits AWS cannot make (CIDRs, moved subnets). */
export interface ObservedNetwork {
  vpcCidr?: string;
  subnets: { id: string; zone: string; type: string; cidr?: string; ownership: 'owned' | 'shared' }[];
}

export interface ObservedState {
  groups: ObservedGroup[];
  network?: ObservedNetwork;
}

/** What the observer rendered for each desired group: the image and user data a new version would carry. */
export interface DesiredRendering {
  imageId?: string;
  /** Decoded user data text. */
  userData?: string;
}

export interface UpdatePlanOptions {
  rendered?: Record<string, DesiredRendering>;
  /** A one-shot desired capacity per group (a `scale` operation); else the current one, clamped. */
  desiredCapacity?: Record<string, number>;
}

/** What the workflow does with one group. */
export interface GroupPlan {
  group: string;
  action: 'create' | 'update' | 'delete' | 'none';
  /** A new launch template version is needed (or the group points at an older one). */
  launchTemplateChanged: boolean;
  min: number;
  max: number;
  desired: number;
}

/** The documented PlanView plus the per-group actions the workflow's Map iterates. */
export interface UpdatePlan extends PlanView {
  groups: GroupPlan[];
}

type Field = PlanChange['fields'][number];

function field(name: string, from: unknown, to: unknown): Field {
  return { field: name, from, to };
}

/** `[a=b, c=d]`: labels sorted, the group label left out. */
export function formatLabels(labels: Record<string, string>): string {
  return `{${Object.keys(labels)
    .filter((k) => k !== GROUP_LABEL)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(', ')}}`;
}

function formatTaints(taints: readonly string[]): string {
  return `[${[...taints].sort().join(', ')}]`;
}

/**
 * The labels and taints a node user data joins with, read back from its kubeadm
 * JoinConfiguration (`node-labels` kubelet argument, `taints` list). Undefined when the
 * text has no JoinConfiguration (someone else's user data).
 */
export function nodeRegistrationOf(userData: string): { labels: Record<string, string>; taints: string[] } | undefined {
  const labelsMatch = /name: "node-labels"\s*\n\s*value: "([^"]*)"/.exec(userData);
  const taintsAt = userData.indexOf('\n  taints:');
  if (!labelsMatch && taintsAt === -1) return undefined;
  const labels: Record<string, string> = {};
  for (const pair of (labelsMatch?.[1] ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    if (key !== GROUP_LABEL) labels[key] = eq === -1 ? '' : pair.slice(eq + 1);
  }
  const taints: string[] = [];
  if (taintsAt !== -1) {
    const rest = userData.slice(taintsAt + '\n  taints:'.length);
    // The list ends where the YAML document (a heredoc) does: the first line not indented past `taints:`.
    const block = rest.startsWith(' []') ? [] : rest.split('\n').slice(1);
    let current: { key?: string; value?: string; effect?: string } | undefined;
    const flush = () => {
      if (current?.key && current.effect) taints.push(`${current.key}${current.value ? `=${current.value}` : ''}:${current.effect}`);
    };
    for (const line of block) {
      const m = /^ {4}(- | {2})(key|value|effect): "([^"]*)"$/.exec(line);
      if (!m) break;
      if (m[1] === '- ') {
        flush();
        current = {};
      }
      current![m[2] as 'key' | 'value' | 'effect'] = m[3];
    }
    flush();
  }
  return { labels, taints };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  return formatLabels(a) === formatLabels(b);
}

/** The launch template fields that differ, and whether the group must get a new version. */
function launchTemplateFields(group: InstanceGroupSpec, observed: ObservedLaunchTemplate | undefined, rendered: DesiredRendering | undefined): Field[] {
  const fields: Field[] = [];
  const lt = observed ?? { launchTemplateId: '', version: 0 };
  if (lt.machineType !== group.machineType) fields.push(field('InstanceType', lt.machineType ?? null, group.machineType));
  const imageId = group.imageId ?? rendered?.imageId;
  if (imageId !== undefined && lt.imageId !== imageId) fields.push(field('ImageId', lt.imageId ?? null, imageId));
  if (lt.rootVolumeSize !== group.rootVolumeSize) fields.push(field('RootVolumeSize', lt.rootVolumeSize ?? null, group.rootVolumeSize));
  const actual = lt.userData === undefined ? undefined : nodeRegistrationOf(lt.userData);
  if (!sameLabels(actual?.labels ?? {}, group.labels)) fields.push(field('Labels', formatLabels(actual?.labels ?? {}), formatLabels(group.labels)));
  if (formatTaints(actual?.taints ?? []) !== formatTaints(group.taints)) fields.push(field('Taints', formatTaints(actual?.taints ?? []), formatTaints(group.taints)));
  // Anything else in the user data (the API endpoint, the join script itself after a Hopper upgrade).
  if (fields.length === 0 && rendered?.userData !== undefined && lt.userData !== rendered.userData) {
    fields.push(field('UserData', '(changed)', '(rendered by this version of Hopper)'));
  }
  return fields;
}

/**
 * The plan from `spec` (desired) to `observed` (what AWS runs). Groups desired but absent
 * are created, groups present but no longer desired are deleted, the rest compared field
 * by field. Sizes: min and max from the spec; the desired capacity from `desiredCapacity`
 * (a scale operation) or the current one clamped into [min, max] (the autoscaler's choice
 * is kept otherwise, as kops keeps it).
 */
export function updatePlan(spec: ClusterSpec, observed: ObservedState, options: UpdatePlanOptions = {}): UpdatePlan {
  const changes: PlanChange[] = [];
  const groups: GroupPlan[] = [];
  for (const group of spec.instanceGroups) {
    const actual = observed.groups.find((g) => g.name === group.name);
    const rendered = options.rendered?.[group.name];
    const wantedDesired = options.desiredCapacity?.[group.name];
    if (!actual || actual.status === 'Delete in progress') {
      const desired = clamp(wantedDesired ?? group.min, group.min, group.max);
      const ltFields = launchTemplateFields(group, undefined, rendered).filter((f) => f.field !== 'UserData');
      changes.push({ action: 'create', kind: 'LaunchTemplate', name: group.name, fields: ltFields.map((f) => ({ field: f.field, to: f.to })) });
      changes.push({
        action: 'create',
        kind: 'AutoscalingGroup',
        name: group.name,
        fields: [
          { field: 'MinSize', to: group.min },
          { field: 'MaxSize', to: group.max },
          { field: 'DesiredCapacity', to: desired },
          { field: 'Zones', to: group.zones.join(', ') },
        ],
      });
      groups.push({ group: group.name, action: 'create', launchTemplateChanged: true, min: group.min, max: group.max, desired });
      continue;
    }
    const ltFields = launchTemplateFields(group, actual.launchTemplate, rendered);
    const latest = actual.launchTemplate?.latestVersion;
    // Pointing at an older version than the latest is a change too (an earlier update stopped half way).
    if (ltFields.length === 0 && latest !== undefined && actual.launchTemplate && actual.launchTemplate.version !== latest) {
      ltFields.push(field('Version', actual.launchTemplate.version, latest));
    }
    if (ltFields.length > 0) changes.push({ action: 'update', kind: 'LaunchTemplate', name: group.name, fields: ltFields });
    const desired = clamp(wantedDesired ?? actual.desired, group.min, group.max);
    const asgFields: Field[] = [];
    if (actual.min !== group.min) asgFields.push(field('MinSize', actual.min, group.min));
    if (actual.max !== group.max) asgFields.push(field('MaxSize', actual.max, group.max));
    if (actual.desired !== desired) asgFields.push(field('DesiredCapacity', actual.desired, desired));
    if (ltFields.length > 0) asgFields.push(field('LaunchTemplateVersion', actual.launchTemplate?.version ?? null, 'new version'));
    if (asgFields.length > 0) changes.push({ action: 'update', kind: 'AutoscalingGroup', name: group.name, fields: asgFields });
    groups.push({
      group: group.name,
      action: ltFields.length > 0 || asgFields.length > 0 ? 'update' : 'none',
      launchTemplateChanged: ltFields.length > 0,
      min: group.min,
      max: group.max,
      desired,
    });
  }
  for (const actual of observed.groups) {
    if (spec.instanceGroups.some((g) => g.name === actual.name) || actual.status === 'Delete in progress') continue;
    changes.push({ action: 'delete', kind: 'AutoscalingGroup', name: actual.name, fields: [{ field: 'Instances', from: actual.desired }] });
    if (actual.launchTemplate) changes.push({ action: 'delete', kind: 'LaunchTemplate', name: actual.name, fields: [] });
    groups.push({ group: actual.name, action: 'delete', launchTemplateChanged: false, min: 0, max: 0, desired: 0 });
  }
  // New groups start on the new template; only groups already running need a roll.
  const rollingUpdateRequired = groups.some((g) => g.action === 'update' && g.launchTemplateChanged);
  return { cluster: spec.name, changes, rollingUpdateRequired, summary: summarize(changes, rollingUpdateRequired), groups };
}

function summarize(changes: PlanChange[], rolling: boolean): string {
  if (changes.length === 0) return 'No changes: the cloud matches the spec.';
  const count = (action: PlanChange['action']) => changes.filter((c) => c.action === action).length;
  const parts = [`${count('create')} to create`, `${count('update')} to update`, `${count('delete')} to delete`];
  return `Will change ${changes.length} resources (${parts.join(', ')}).${rolling ? ' Instances will run an old launch template version: a rolling update is required.' : ''}`;
}

/** The plan as kops prints it: one line per changed field, `Kind/name  Field from -> to`. */
export function formatPlan(plan: PlanView): string[] {
  const lines: string[] = [];
  const show = (v: unknown) => (v === null || v === undefined ? '<none>' : String(v));
  for (const change of plan.changes) {
    const head = `${change.kind}/${change.name}`;
    if (change.fields.length === 0) lines.push(`${head}  (${change.action})`);
    for (const f of change.fields) {
      if (change.action === 'create') lines.push(`${head}  ${f.field} ${show(f.to)}`);
      else if (change.action === 'delete') lines.push(`${head}  ${f.field} ${show(f.from)} -> <deleted>`);
      else lines.push(`${head}  ${f.field} ${show(f.from)} -> ${show(f.to)}`);
    }
  }
  return lines;
}

/**
 * Edits the cloud cannot take, found against what it runs (the spec may have been changed
 * by other means than the API's checked edits): the VPC's CIDR, a subnet's CIDR, a subnet
 * removed, a brought subnet moved to another zone or type.
 */
export function observedImmutableProblems(spec: ClusterSpec, network: ObservedNetwork | undefined): Problem[] {
  if (!network) return [];
  const problems: Problem[] = [];
  if (network.vpcCidr !== undefined && network.vpcCidr !== spec.networkCidr) {
    problems.push({ path: 'networkCidr', message: `networkCidr cannot change (${network.vpcCidr} → ${spec.networkCidr}): the VPC exists with ${network.vpcCidr}` });
  }
  for (const subnet of network.subnets) {
    const name = `the ${subnet.type} subnet in ${subnet.zone} (${subnet.id})`;
    const index = spec.subnets.findIndex((s) => s.zone === subnet.zone && s.type === subnet.type);
    const moved = spec.subnets.findIndex((s) => s.id === subnet.id && (s.zone !== subnet.zone || s.type !== subnet.type));
    if (moved !== -1) {
      const to = spec.subnets[moved];
      problems.push({ path: `subnets[${moved}]`, message: `brought subnet ${subnet.id} cannot move from ${subnet.type} in ${subnet.zone} to ${to.type} in ${to.zone}` });
      continue;
    }
    if (index === -1) {
      problems.push({ path: 'subnets', message: `${name} cannot be removed from a running cluster` });
      continue;
    }
    const wanted = spec.subnets[index];
    if (subnet.cidr !== undefined && wanted.cidr !== subnet.cidr) {
      problems.push({ path: `subnets[${index}].cidr`, message: `the CIDR of ${name} cannot change (${subnet.cidr} → ${wanted.cidr})` });
    }
  }
  return problems;
}
