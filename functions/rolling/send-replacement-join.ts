/**
 * SendRefreshJoinData / SendReplacementJoin: a replacement control-plane instance joins
 * with `kubeadm join --control-plane`. The join data published at create has expired by
 * now (the certificate key lives two hours), so a surviving control-plane instance first
 * publishes a fresh token and certificate key to Parameter Store (phase `refresh`), then
 * the new instance joins (phase `join`), mounting its seat's etcd volume first. When it
 * replaces the only control plane there is nothing to refresh or join: it runs kubeadm init
 * over the etcd data on the seat's volume instead. Each is sent once per operation and
 * instance; checkCommand waits for it.
 */
import * as z from 'zod';
import { GetCommandInvocationCommand } from '@aws-sdk/client-ssm';
import { SEAT_MEMBER_OUTPUT, renderControlPlaneInitScript, renderControlPlaneJoinScript, renderRefreshJoinDataScript } from '../../shared/render';
import { seatVolumeOfInstance } from '../control-plane/etcd-volumes';
import { rememberedCommands, sendOnce, type SentCommand } from '../control-plane/send-once';
import { loadRenderContext, withServiceAccountIssuer } from '../control-plane/render-context';
import { JOIN_TIMEOUT_SECONDS } from '../control-plane/seats';
import { StepFailedError } from '../../shared/errors';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { kubectlRunner, otherControlPlanes } from './common';
import { CONTROL_PLANE_ROLE } from '../control-plane/render-context';
import { describeInstances } from '../lib/ec2';
import { roleFilters } from '../../shared/tags';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';

export const sendReplacementJoinInput = stepEnvelope.extend({ instanceId: z.string().min(1), phase: z.enum(['refresh', 'join']) });

export async function sendReplacementJoin(input: z.infer<typeof sendReplacementJoinInput>, deps: StepDeps): Promise<SentCommand & { skipped: boolean }> {
  const { spec } = await loadCluster(deps, input.cluster);
  const ctx = await loadRenderContext(deps, spec);
  const { volumeId: etcdVolumeId, memberAddress, restoreFrom } = await seatVolumeOfInstance(deps, spec.name, input.instanceId);
  // The only control plane was replaced: nobody to join. The new instance starts the control
  // plane again from the seat's volume (kubeadm init over the etcd data; a new volume for one
  // lost with it is first filled from the backup AttachEtcdVolumes chose), and publishes the
  // join data itself.
  const alone = (await otherControlPlanes(deps, spec.name, input.instanceId)).length === 0;
  // `skipped` always answers, so the workflow's choice on it never meets a missing field.
  if (alone && input.phase === 'refresh') return { commandId: '', instanceId: input.instanceId, skipped: true };
  const send = (purpose: string, instanceId: string, script: string, timeoutSeconds: number) =>
    sendOnce(deps, { cluster: spec.name, operationId: input.operationId, purpose, instanceId, script, timeoutSeconds }).then((sent) => ({ ...sent, skipped: false }));
  if (alone) return send('ReplacementJoin', input.instanceId, renderControlPlaneInitScript(await withServiceAccountIssuer(deps, spec.name, ctx), { etcdVolumeId, ...(restoreFrom ? { restoreFrom } : {}) }), JOIN_TIMEOUT_SECONDS);
  if (input.phase === 'refresh') {
    const runner = await kubectlRunner(deps, spec.name, input.instanceId);
    // Members of control planes lost behind Hopper's back (they never ran kubeadm reset) leave
    // etcd first. A stopped instance is not lost: it may start again, and its member with it.
    const notTerminated = await describeInstances(deps, [...roleFilters(spec.name, CONTROL_PLANE_ROLE), { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }]);
    // Not the replacement itself: it is no member yet, and one at its address is a lost predecessor's
    // — unless the replacement took the address of the member whose data is on the seat's volume:
    // that member stays, to start again from its data.
    const liveControlPlanes = notTerminated.filter((i) => i.PrivateIpAddress && i.InstanceId !== input.instanceId).map((i) => i.PrivateIpAddress!);
    const replacementAddress = notTerminated.find((i) => i.InstanceId === input.instanceId)?.PrivateIpAddress;
    const keepAddress = etcdVolumeId && replacementAddress && replacementAddress === memberAddress ? replacementAddress : undefined;
    return send(refreshPurpose(input.instanceId), runner, renderRefreshJoinDataScript(ctx, { liveControlPlanes, ...(keepAddress ? { keepAddress } : {}) }), 300);
  }
  const refreshes = await rememberedCommands(deps, spec.name, refreshPurpose(input.instanceId), input.operationId);
  // The refresh removed the seat's lost member, if there was one: what it left on the volume may
  // go aside. Or it kept the seat's member at this instance's address: it starts from that data.
  const keepMember = refreshes.length > 0 && (await seatMemberKept(deps, refreshes));
  return send('ReplacementJoin', input.instanceId, renderControlPlaneJoinScript(ctx, { etcdVolumeId, staleMemberRemoved: refreshes.length > 0 && !keepMember, keepMember }), JOIN_TIMEOUT_SECONDS);
}

/**
 * Whether the refresh that succeeded (CheckRefresh waited for it; an earlier, failed attempt may
 * be remembered too) said etcd still has the seat's member at the replacement's address. A
 * refresh without a kept address says nothing: no.
 */
async function seatMemberKept(deps: StepDeps, refreshes: { id: string; attrs?: Record<string, unknown> }[]): Promise<boolean> {
  for (const refresh of refreshes) {
    const invocation = await deps.clients.ssm.send(new GetCommandInvocationCommand({ CommandId: refresh.id, InstanceId: String(refresh.attrs?.instanceId ?? '') }));
    if (invocation.Status !== 'Success') continue;
    return (invocation.StandardOutputContent ?? '').split('\n').some((line) => line.trim() === `${SEAT_MEMBER_OUTPUT}kept`);
  }
  throw new StepFailedError('no refresh of the join data succeeded before this join: whether etcd kept the seat\'s member is not known');
}

const refreshPurpose = (instanceId: string) => `RefreshJoinData-${instanceId}`;

export const step = defineStep({
  name: 'SendReplacementJoin',
  describeActivity: (i) => (i.phase === 'refresh' ? `fresh join data for ${i.instanceId}` : `${i.instanceId} joining the control plane`),
  clients: [ec2Client, ssmClient],
  input: sendReplacementJoinInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ssm:GetCommandInvocation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
  run: sendReplacementJoin,
});
export const { handler, run: runStep } = step;
