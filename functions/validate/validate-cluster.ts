/**
 * ValidateCluster (the SendValidation states): sends the node and pod status query
 * (`kubectl get nodes` / `get pods -n kube-system` as JSON) to a control-plane instance
 * over SSM — the first one that SSM reports Online, so a control plane that lost an
 * instance can still be validated. Every pass sends a new command: a status is a
 * snapshot, never to be reused from an earlier pass.
 */
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { renderNodesStatusScript } from '../../shared/render';
import { sendScript } from '../commands/send-script';
import { CONTROL_PLANE_ROLE, recordedApiEndpoint, renderContext } from '../control-plane/render-context';
import { StepFailedError } from '../../shared/errors';
import { worldNow } from '../../shared/clock';
import { roleFilters } from '../../shared/tags';
import { describeInstances } from '../lib/ec2';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';

/**
 * kubectl answers in seconds. A command hung on an API server that is not up must end
 * (TimedOut: a failed pass) before CheckValidation's NotReadyError retries run out
 * (five minutes in create-cluster), or the workflow would fail instead of trying again.
 */
export const VALIDATION_TIMEOUT_SECONDS = 50;

/** How long a pass may settle at most: its kubectl calls and the snapshot still fit in its command's timeout. */
export const MAX_SETTLE_SECONDS = VALIDATION_TIMEOUT_SECONDS - 20;

export const controlPlaneSchema = z.object({
  /** Empty while a rollout replaces the only control plane: the step then finds the one running now. */
  instanceIds: z.array(z.string().min(1)),
  first: z.string(),
  others: z.array(z.string()).default([]),
  apiEndpoint: z.string().min(1),
});

/**
 * create-cluster passes the control plane it launched; the validate workflow lets the step find it.
 * `settleSeconds`: the create's first pass waits that long at most for the machines still
 * joining (renderNodesStatusScript's settle), every later pass takes its snapshot at once.
 * `lastPassEndedAt` (CheckValidation's `endedAt` of the pass that passed before this one) and
 * `passIntervalSeconds`: this pass's snapshot waits on the host until that long after it.
 */
export const validateClusterInput = stepEnvelope.extend({
  controlPlane: controlPlaneSchema.optional(),
  settleSeconds: z.number().min(0).max(MAX_SETTLE_SECONDS).default(0),
  lastPassEndedAt: z.iso.datetime().optional(),
  passIntervalSeconds: z.number().min(0).max(MAX_SETTLE_SECONDS).default(0),
});

/**
 * How long a pass's snapshot waits on the host so that it comes `intervalSeconds` after the
 * end of the pass before (kops validate's interval between validations): counted from the
 * host's end of that pass, not from when a later poll found it, and never longer than the interval.
 */
export function passDelaySeconds(lastPassEndedAt: string | undefined, intervalSeconds: number, now: Date): number {
  if (!lastPassEndedAt) return 0;
  const due = Date.parse(lastPassEndedAt) + intervalSeconds * 1000;
  return Math.min(intervalSeconds, Math.max(0, (due - now.getTime()) / 1000));
}

/** The cluster's running control-plane instances (oldest first) and its recorded API endpoint. */
async function findControlPlane(deps: StepDeps, cluster: string): Promise<{ instanceIds: string[]; apiEndpoint: string }> {
  const found = await describeInstances(deps, [...roleFilters(cluster, CONTROL_PLANE_ROLE), { Name: 'instance-state-name', Values: ['running'] }]);
  found.sort((a, b) => (a.LaunchTime?.getTime() ?? 0) - (b.LaunchTime?.getTime() ?? 0));
  const instanceIds = found.map((i) => i.InstanceId!).filter(Boolean);
  if (instanceIds.length === 0) throw new StepFailedError(`cluster ${cluster} has no running control-plane instance to validate from`);
  return { instanceIds, apiEndpoint: await recordedApiEndpoint(deps, cluster) };
}

export async function validateCluster(
  input: { cluster: string; operationId: string; controlPlane?: z.infer<typeof controlPlaneSchema>; settleSeconds?: number; lastPassEndedAt?: string; passIntervalSeconds?: number },
  deps: StepDeps,
): Promise<{ commandId: string; instanceId: string }> {
  const { spec } = await loadCluster(deps, input.cluster);
  let controlPlane = input.controlPlane?.instanceIds.length ? input.controlPlane : await findControlPlane(deps, input.cluster);
  let instanceId = await pickOnline(deps, controlPlane.instanceIds);
  // The control plane a rollout planned with may be gone (its only instance was replaced):
  // the one running now answers instead.
  if (input.controlPlane && !(await isOnline(deps, instanceId))) {
    controlPlane = await findControlPlane(deps, input.cluster).catch(() => controlPlane);
    instanceId = await pickOnline(deps, controlPlane.instanceIds);
  }
  // The nodes a settled cluster has at least: every control plane and each group at its minimum.
  const nodes = spec.controlPlane.count + spec.instanceGroups.reduce((n, g) => n + g.min, 0);
  // The world's clock, as the host's end of the last pass was stamped by (SSM's, not this function's).
  const delaySeconds = passDelaySeconds(input.lastPassEndedAt, input.passIntervalSeconds ?? 0, worldNow());
  const script = renderNodesStatusScript(renderContext(spec, controlPlane.apiEndpoint, deps), { settle: { nodes, seconds: input.settleSeconds ?? 0 }, delaySeconds });
  const commandId = await sendScript(deps, {
    instanceIds: [instanceId],
    script,
    // The time makes each pass's comment unique, so sendScript does not return an old pass's command.
    comment: `hopper ${spec.name} ValidateCluster ${deps.now().toISOString()}`,
    timeoutSeconds: VALIDATION_TIMEOUT_SECONDS,
  });
  return { commandId, instanceId };
}

async function isOnline(deps: StepDeps, instanceId: string): Promise<boolean> {
  const out = await deps.clients.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }));
  return (out.InstanceInformationList ?? []).some((i) => i.PingStatus === 'Online');
}

/**
 * The first instance (in seat order) whose SSM agent is Online. With none online the first
 * seat is used anyway: SSM holds the command until the agent is back, and CheckValidation
 * counts a command that never ran as a failed pass rather than failing the workflow.
 */
async function pickOnline(deps: StepDeps, instanceIds: string[]): Promise<string> {
  const out = await deps.clients.ssm.send(
    new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: instanceIds.slice(0, 50) }] }),
  );
  const online = new Set((out.InstanceInformationList ?? []).filter((i) => i.PingStatus === 'Online').map((i) => i.InstanceId));
  return instanceIds.find((id) => online.has(id)) ?? instanceIds[0];
}

export const step = defineStep({
  name: 'ValidateCluster',
  clients: [ec2Client, ssmClient],
  // A read-only query on a host (kubectl get), also run by `validate`, which takes no lock.
  fenced: false,
  input: validateClusterInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
  run: validateCluster,
});
export const { handler } = step;
