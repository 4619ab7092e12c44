/**
 * RecordRestore: the cluster's etcd is the backup's now, and it validated: a `ClusterRestored`
 * event names the backup, its revision and the members restored. A rerun records no second one.
 */
import * as z from 'zod';
import { table } from '../../shared/aws/iam';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { restorePlanSchema } from './plan';

export const recordRestoreInput = stepEnvelope.extend({ restore: restorePlanSchema });

export async function recordRestore(input: z.infer<typeof recordRestoreInput>, deps: StepDeps): Promise<{ recorded: boolean }> {
  const events = await deps.store.listEvents(input.cluster);
  if (events.some((e) => e.type === 'ClusterRestored' && (e.detail as { operationId?: string } | undefined)?.operationId === input.operationId)) return { recorded: false };
  const { restore } = input;
  await deps.store.putEvent(input.cluster, {
    type: 'ClusterRestored',
    message: `etcd restored from backup ${restore.backup}${restore.revision !== undefined ? ` (revision ${restore.revision})` : ''} on ${restore.members.length} control-plane instance(s); the cluster validated`,
    detail: { operationId: input.operationId, backup: restore.backup, revision: restore.revision, members: restore.members.map((m) => m.name) },
  });
  return { recorded: true };
}

export const step = defineStep({
  name: 'RecordRestore',
  describeActivity: () => 'recording the restore',
  input: recordRestoreInput,
  permissions: [table('GetItem', 'PutItem', 'UpdateItem', 'Query')],
  run: recordRestore,
});
export const { handler } = step;
