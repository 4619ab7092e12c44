/**
 * SendLeave: a control-plane instance about to be replaced leaves. With its seat's etcd data on
 * the seat's volume it stops in place (LEAVE_IN_PLACE_SCRIPT): its member stays in etcd, and
 * the replacement, launched at the same address, starts that member again from the data and
 * catches up — no copy of everything, no member added and removed. If the replacement cannot
 * have the address, the refresh before its join removes the member then, as for a lost one.
 * Without a seat volume (a cluster made before them): `kubeadm reset -f`, which removes the
 * node's etcd member first; a member left behind by a terminated instance would count against
 * etcd's quorum for every replacement after it (three seats replaced without it: six members,
 * three dead, no quorum). CheckLeave (checkCommand) waits for it. An instance SSM cannot reach
 * is skipped: nothing to stop; so is the last control plane, whose data its replacement needs.
 */
import * as z from 'zod';
import { LEAVE_IN_PLACE_SCRIPT } from '../../shared/render';
import { sendScript } from '../commands/send-script';
import { etcdVolumeOfInstance } from '../control-plane/etcd-volumes';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { onlineInstances, otherControlPlanes } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';

export const sendLeaveInput = stepEnvelope.extend({ instanceId: z.string().min(1) });

export const LEAVE_SCRIPT = `#!/bin/bash
# Hopper: leave the control plane before this instance is terminated.
set -euo pipefail
kubeadm reset -f
echo "hopper: left the control plane (etcd member removed)"
`;

export async function sendLeave(input: z.infer<typeof sendLeaveInput>, deps: StepDeps): Promise<{ commandId: string; instanceId: string; skipped: boolean }> {
  const { spec } = await loadCluster(deps, input.cluster);
  if ((await onlineInstances(deps, [input.instanceId])).length === 0) return { commandId: '', instanceId: input.instanceId, skipped: true };
  // The last member does not leave: kubeadm reset would delete the only copy of etcd's data,
  // which its replacement restores from the seat's volume.
  if ((await otherControlPlanes(deps, spec.name, input.instanceId)).length === 0) return { commandId: '', instanceId: input.instanceId, skipped: true };
  const inPlace = (await etcdVolumeOfInstance(deps, spec.name, input.instanceId)) !== '';
  const commandId = await sendScript(deps, {
    instanceIds: [input.instanceId],
    script: inPlace ? LEAVE_IN_PLACE_SCRIPT : LEAVE_SCRIPT,
    comment: `hopper ${spec.name} Leave ${input.operationId}`.slice(0, 100),
    timeoutSeconds: 300,
  });
  return { commandId, instanceId: input.instanceId, skipped: false };
}

export const step = defineStep({
  name: 'SendLeave',
  describeActivity: (i) => `${i.instanceId} leaving the control plane`,
  clients: [ec2Client, ssmClient],
  input: sendLeaveInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
    ...runShellScript(),
  ],
  run: sendLeave,
});
export const { handler, run: runStep } = step;
