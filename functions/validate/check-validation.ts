/**
 * CheckValidation: reads the status ValidateCluster's command printed and judges it like
 * `kops validate cluster`:
 * - every Auto Scaling group has its desired number of InService instances (and the control
 *   plane its count of running instances);
 * - every one of those machines has joined as a Node (matched by providerID
 *   `aws:///<zone>/<instance-id>` or by its private DNS name);
 * - every Node is Ready;
 * - each control-plane node runs kube-apiserver, etcd, kube-controller-manager and
 *   kube-scheduler, and the CNI's and the cloud controller manager's pods run;
 * - every other system-critical kube-system pod runs.
 * A command still running is NotReadyError; a failed one is a failed pass (the API server
 * may still be coming up), not a terminal error. The observed group sizes are written to
 * the cluster record.
 */
import { describeInstances } from '../lib/ec2';
import { DescribeAutoScalingGroupsCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { type Instance } from '@aws-sdk/client-ec2';
import { GetCommandInvocationCommand, type GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import { NotReadyError } from '../../shared/errors';
import { worldNow } from '../../shared/clock';
import { parseNodesStatusOutput, type NodesStatus } from '../../shared/render';
import type { ClusterSpec } from '../../shared/spec';
import type { InstanceGroupStatus } from '../../shared/store';
import { roleFilters } from '../../shared/tags';
import { failureMessage } from '../commands/output';
import { CONTROL_PLANE_ROLE } from '../control-plane/render-context';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { groupResourceName } from '../nodes/common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, table } from '../../shared/aws/iam';

export const checkValidationInput = stepEnvelope.extend({
  command: z.object({ commandId: z.string().min(1), instanceId: z.string().min(1) }),
  passes: z.number().int().nonnegative().default(0),
});

export interface ValidationNode {
  name: string;
  role: 'control-plane' | 'node';
  ready: boolean;
  version: string;
  instanceId?: string;
}

export interface ValidationFailure {
  /** `InstanceGroup`, `Machine`, `Node`, `Pod`, `Command` or `Status`, as kops names them. */
  kind: string;
  name: string;
  message: string;
}

export interface CheckValidationOutput {
  ok: boolean;
  passes: number;
  /** When the pass ended on the host (SSM's ExecutionEndDateTime, ISO 8601): the next pass is spaced from it. */
  endedAt: string;
  nodes: ValidationNode[];
  failures: ValidationFailure[];
}

/** One machine Hopper expects to find as a Node. */
export interface ExpectedMachine {
  instanceId: string;
  zone?: string;
  privateDnsName?: string;
}

/** What the cloud says about one group (`control-plane` included). */
export interface ObservedGroup {
  name: string;
  role: 'control-plane' | 'node';
  desired: number;
  inService: number;
  /** Missing when the group does not exist at all. */
  exists: boolean;
  machines: ExpectedMachine[];
}

const RUNNING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);
export const CONTROL_PLANE_COMPONENTS = ['kube-apiserver', 'etcd', 'kube-controller-manager', 'kube-scheduler'] as const;
/** The `k8s-app` label of each CNI's per-node pods. */
export const CNI_APP: Record<ClusterSpec['networking'], string> = { cilium: 'cilium', calico: 'calico-node', 'amazon-vpc-cni': 'aws-node' };
export const CCM_APP = 'aws-cloud-controller-manager';
const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
const CRITICAL_PRIORITY = new Set(['system-cluster-critical', 'system-node-critical']);

// The few fields of kubectl's JSON that validation reads.
interface KubeMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
}
interface KubeNode {
  metadata?: KubeMeta;
  spec?: { providerID?: string };
  status?: {
    conditions?: { type?: string; status?: string }[];
    nodeInfo?: { kubeletVersion?: string };
    addresses?: { type?: string; address?: string }[];
  };
}
interface KubePod {
  metadata?: KubeMeta;
  spec?: { nodeName?: string; priorityClassName?: string };
  status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
}

function items<T>(list: unknown): T[] {
  const i = (list as { items?: unknown } | null)?.items;
  return Array.isArray(i) ? (i as T[]) : [];
}

function isReady(conditions: { type?: string; status?: string }[] | undefined): boolean {
  return (conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The instance id in a providerID `aws:///us-east-1a/i-0abc`. */
export function instanceIdOf(providerID: string | undefined): string | undefined {
  const m = /\/(i-[0-9a-z]+)$/.exec(providerID ?? '');
  return m?.[1];
}

/** Running and (when it reports it) Ready: what kops counts as a healthy pod. */
function podProblem(pod: KubePod): string | undefined {
  const phase = pod.status?.phase ?? 'Unknown';
  if (phase !== 'Running') return phase.toLowerCase();
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True') return 'not ready';
  return undefined;
}

/**
 * Judges a parsed status against the machines the cloud holds. Pure: the checks of
 * CheckValidation without AWS, for tests and for the validate API.
 */
export function evaluateCluster(options: {
  networking: ClusterSpec['networking'];
  groups: ObservedGroup[];
  status: NodesStatus;
}): { nodes: ValidationNode[]; failures: ValidationFailure[]; ready: Record<string, number> } {
  const failures: ValidationFailure[] = [];
  const kubeNodes = items<KubeNode>(options.status.nodes);
  const pods = items<KubePod>(options.status.pods).filter((p) => (p.metadata?.namespace ?? 'kube-system') === 'kube-system');

  // Index nodes by instance id (providerID) and by name (the private DNS name).
  const byInstance = new Map<string, KubeNode>();
  const byName = new Map<string, KubeNode>();
  for (const n of kubeNodes) {
    const id = instanceIdOf(n.spec?.providerID);
    if (id) byInstance.set(id, n);
    if (n.metadata?.name) byName.set(n.metadata.name.toLowerCase(), n);
    for (const a of n.status?.addresses ?? []) if (a.type === 'InternalDNS' && a.address) byName.set(a.address.toLowerCase(), n);
  }

  const nodes: ValidationNode[] = [];
  const seen = new Set<KubeNode>();
  const ready: Record<string, number> = {};
  const controlPlaneNodes: string[] = [];
  for (const group of options.groups) {
    ready[group.name] = 0;
    if (!group.exists) {
      failures.push({ kind: 'InstanceGroup', name: group.name, message: `InstanceGroup "${group.name}" has no Auto Scaling group` });
      continue;
    }
    if (group.inService < group.desired) {
      failures.push({
        kind: 'InstanceGroup',
        name: group.name,
        message: `InstanceGroup "${group.name}" did not have enough nodes ${group.inService} vs ${group.desired}`,
      });
    }
    for (const m of group.machines) {
      const node = byInstance.get(m.instanceId) ?? (m.privateDnsName ? byName.get(m.privateDnsName.toLowerCase()) : undefined);
      if (!node) {
        failures.push({ kind: 'Machine', name: m.instanceId, message: `machine "${m.instanceId}" of InstanceGroup "${group.name}" has not yet joined cluster` });
        continue;
      }
      seen.add(node);
      const name = node.metadata?.name ?? m.instanceId;
      const isReadyNode = isReady(node.status?.conditions);
      nodes.push({ name, role: group.role, ready: isReadyNode, version: node.status?.nodeInfo?.kubeletVersion ?? '', instanceId: m.instanceId });
      if (isReadyNode) ready[group.name] += 1;
      else failures.push({ kind: 'Node', name, message: `node "${name}" of role "${group.role}" is not ready` });
      if (group.role === 'control-plane') controlPlaneNodes.push(name);
    }
  }
  // Nodes no group accounts for (an instance just terminated, a hand-made one): listed, and judged too.
  for (const n of kubeNodes) {
    if (seen.has(n)) continue;
    const name = n.metadata?.name ?? '';
    const role = n.metadata?.labels?.[CONTROL_PLANE_LABEL] !== undefined ? 'control-plane' : 'node';
    const isReadyNode = isReady(n.status?.conditions);
    const instanceId = instanceIdOf(n.spec?.providerID);
    nodes.push({ name, role, ready: isReadyNode, version: n.status?.nodeInfo?.kubeletVersion ?? '', ...(instanceId ? { instanceId } : {}) });
    if (!isReadyNode) failures.push({ kind: 'Node', name, message: `node "${name}" of role "${role}" is not ready` });
  }

  // Control-plane pods, per control-plane node (static pods are named <component>-<node>).
  const judged = new Set<KubePod>();
  for (const nodeName of controlPlaneNodes) {
    for (const component of CONTROL_PLANE_COMPONENTS) {
      const pod = pods.find(
        (p) => p.spec?.nodeName === nodeName && (p.metadata?.labels?.component === component || p.metadata?.name === `${component}-${nodeName}`),
      );
      const podName = `kube-system/${component}-${nodeName}`;
      if (!pod) {
        failures.push({ kind: 'Pod', name: podName, message: `control-plane pod "${component}" is missing on node "${nodeName}"` });
        continue;
      }
      judged.add(pod);
      const problem = podProblem(pod);
      if (problem) failures.push({ kind: 'Pod', name: `kube-system/${pod.metadata?.name ?? podName}`, message: `system-node-critical pod "${pod.metadata?.name}" is ${problem}` });
    }
  }

  // The CNI and the cloud controller manager: present and running.
  for (const [app, what] of [
    [CNI_APP[options.networking], `${options.networking} CNI`],
    [CCM_APP, 'AWS cloud controller manager'],
  ] as const) {
    const own = pods.filter((p) => p.metadata?.labels?.['k8s-app'] === app);
    if (own.length === 0) {
      failures.push({ kind: 'Pod', name: `kube-system/${app}`, message: `no ${what} pod (k8s-app=${app}) in kube-system` });
      continue;
    }
    for (const pod of own) {
      judged.add(pod);
      const problem = podProblem(pod);
      if (problem) failures.push({ kind: 'Pod', name: `kube-system/${pod.metadata?.name}`, message: `${what} pod "${pod.metadata?.name}" is ${problem}` });
    }
  }

  // Like kops: any other system-critical pod that does not run fails the pass.
  for (const pod of pods) {
    if (judged.has(pod) || !CRITICAL_PRIORITY.has(pod.spec?.priorityClassName ?? '')) continue;
    const problem = podProblem(pod);
    if (problem) failures.push({ kind: 'Pod', name: `kube-system/${pod.metadata?.name}`, message: `${pod.spec?.priorityClassName} pod "${pod.metadata?.name}" is ${problem}` });
  }
  return { nodes, failures, ready };
}

export async function checkValidation(
  input: { cluster: string; command: { commandId: string; instanceId: string }; passes: number },
  deps: StepDeps,
): Promise<CheckValidationOutput> {
  const { spec } = await loadCluster(deps, input.cluster);
  const { commandId, instanceId } = input.command;
  let inv: GetCommandInvocationCommandOutput;
  try {
    inv = await deps.clients.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  } catch (err) {
    if (awsErrorCode(err) === 'InvocationDoesNotExist') throw new NotReadyError(`validation command ${commandId} not yet delivered to ${instanceId}`);
    throw err;
  }
  const state = inv.Status ?? 'Pending';
  if (RUNNING.has(state)) throw new NotReadyError(`validation command ${commandId} on ${instanceId} is ${state}`);

  const groups = await observeGroups(deps, spec);
  const result =
    state === 'Success'
      ? judge(spec, groups, instanceId, inv.StandardOutputContent ?? '')
      : { nodes: [], ready: {}, failures: [{ kind: 'Command', name: instanceId, message: failureMessage('ValidateCluster', instanceId, state, inv) }] };
  await recordGroupStatus(deps, spec.name, groups, result.ready, result.certificatesExpireAt);
  const ok = result.failures.length === 0;
  return { ok, passes: ok ? input.passes + 1 : 0, endedAt: endOf(inv), nodes: result.nodes, failures: result.failures };
}

/** The invocation's end on the host, or now (by the same, world's clock) when SSM gives none. */
function endOf(inv: GetCommandInvocationCommandOutput): string {
  const ended = Date.parse(inv.ExecutionEndDateTime ?? '');
  return new Date(Number.isNaN(ended) ? worldNow().getTime() : ended).toISOString();
}

/** The status output judged; output that cannot be read (cut at SSM's limit) is a failed pass. */
function judge(spec: ClusterSpec, groups: ObservedGroup[], instanceId: string, stdout: string): ReturnType<typeof evaluateCluster> & { certificatesExpireAt?: string } {
  let status: NodesStatus;
  try {
    status = parseNodesStatusOutput(stdout);
  } catch (err) {
    return { nodes: [], ready: {}, failures: [{ kind: 'Status', name: instanceId, message: `could not read the cluster status: ${(err as Error).message}` }] };
  }
  return { ...evaluateCluster({ networking: spec.networking, groups, status }), ...(status.certificatesExpireAt ? { certificatesExpireAt: status.certificatesExpireAt } : {}) };
}

/** The control plane's instances and every group's Auto Scaling group, as the cloud has them now. */
export async function observeGroups(deps: StepDeps, spec: ClusterSpec): Promise<ObservedGroup[]> {
  const controlPlane = await describeInstances(deps, [
    ...roleFilters(spec.name, CONTROL_PLANE_ROLE),
    { Name: 'instance-state-name', Values: ['pending', 'running'] },
  ]);
  const groups: ObservedGroup[] = [
    {
      name: 'control-plane',
      role: 'control-plane',
      desired: spec.controlPlane.count,
      inService: controlPlane.filter((i) => i.State?.Name === 'running').length,
      exists: true,
      machines: controlPlane.map(machineOf),
    },
  ];
  const names = spec.instanceGroups.map((g) => groupResourceName(spec.name, g.name));
  const asgs = new Map<string, AutoScalingGroup>();
  for (let i = 0; i < names.length; i += 50) {
    let nextToken: string | undefined;
    do {
      const page = await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names.slice(i, i + 50), NextToken: nextToken }));
      for (const g of page.AutoScalingGroups ?? []) if (g.AutoScalingGroupName) asgs.set(g.AutoScalingGroupName, g);
      nextToken = page.NextToken;
    } while (nextToken);
  }
  // Every instance the groups hold except those on their way out.
  const members = [...asgs.values()].flatMap((g) => (g.Instances ?? []).filter((i) => !(i.LifecycleState ?? '').startsWith('Terminat')));
  const details = new Map(
    (members.length ? await describeInstances(deps, [{ Name: 'instance-id', Values: members.map((m) => m.InstanceId!) }]) : []).map((i) => [i.InstanceId!, i]),
  );
  for (const g of spec.instanceGroups) {
    const asg = asgs.get(groupResourceName(spec.name, g.name));
    const instances = (asg?.Instances ?? []).filter((i) => !(i.LifecycleState ?? '').startsWith('Terminat'));
    groups.push({
      name: g.name,
      role: 'node',
      desired: asg?.DesiredCapacity ?? g.min,
      inService: instances.filter((i) => i.LifecycleState === 'InService').length,
      exists: asg !== undefined,
      machines: instances.map((i) => {
        const d = details.get(i.InstanceId!);
        return { instanceId: i.InstanceId!, zone: i.AvailabilityZone, ...(d?.PrivateDnsName ? { privateDnsName: d.PrivateDnsName } : {}) };
      }),
    });
  }
  return groups;
}

function machineOf(i: Instance): ExpectedMachine {
  return {
    instanceId: i.InstanceId!,
    ...(i.Placement?.AvailabilityZone ? { zone: i.Placement.AvailabilityZone } : {}),
    ...(i.PrivateDnsName ? { privateDnsName: i.PrivateDnsName } : {}),
  };
}


/** desired / inService / ready per group (control-plane included) on the cluster record. */
/** The groups as observed, and when the control plane's certificates expire (if the status said). */
async function recordGroupStatus(deps: StepDeps, cluster: string, groups: ObservedGroup[], ready: Record<string, number>, certificatesExpireAt?: string): Promise<void> {
  await deps.store.mutateCluster(cluster, (record) => {
    const instanceGroups: Record<string, InstanceGroupStatus> = { ...record.instanceGroups };
    for (const g of groups) {
      instanceGroups[g.name] = { ...instanceGroups[g.name], role: g.role, desired: g.desired, inService: g.inService, ready: ready[g.name] ?? 0 };
    }
    return { instanceGroups, ...(certificatesExpireAt ? { certificatesExpireAt } : {}) };
  });
}

export const step = defineStep({
  name: 'CheckValidation',
  describeActivity: () => 'validating: nodes Ready, system pods running',
  clients: [ec2Client, autoscalingClient, ssmClient],
  input: checkValidationInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('ssm:GetCommandInvocation', 'ec2:DescribeInstances', 'autoscaling:DescribeAutoScalingGroups'),
  ],
  run: checkValidation,
});
export const { handler } = step;
