/**
 * The restore-cluster workflow (statemachines/restore-cluster.asl.json is generated from it: npm run generate).
 * States run in the order written; see workflows/lib/builder.ts for the conventions.
 */
import { choice, fail, map, poll, ref, task, workflow, type Node } from './lib/builder';
import { WORKFLOW_TIMEOUT_SECONDS } from '../shared/workflow-limits';
import { step as checkCommand } from '../functions/commands/check-command';
import { step as prepareRestore } from '../functions/restore/prepare-restore';
import { step as recordRestore } from '../functions/restore/record-restore';
import { step as resumeMembers } from '../functions/restore/resume-members';
import { step as sendRestorePhase } from '../functions/restore/send-restore-phase';
import { step as beginWorkflow } from '../functions/workflow/begin-workflow';
import { step as failWorkflow } from '../functions/workflow/fail-workflow';
import { step as finishWorkflow } from '../functions/workflow/finish-workflow';
import { refreshJoinToken } from './refresh-join-token';
import { validationLoop } from './validation-loop';

/** One phase on every control plane at once: a restored member needs the others to form a quorum. */
function onEveryMember(name: string, phase: 'fetch' | 'restore' | 'start' | 'kubelet', stage: string, comment: string, items = '$.restore.members'): Node {
  return map(name, {
    comment,
    items,
    selector: { instanceId: ref('$$.Map.Item.Value.instanceId'), restore: ref('$.restore') },
    result: null,
    states: [
      task(sendRestorePhase, { name: `Send${name}`, params: { stage, phase, instanceId: ref('$.instanceId'), restore: ref('$.restore') }, result: '$.command' }),
      ...poll(checkCommand, {
        name: `Check${name}`,
        params: { stage, commandId: ref('$.command.commandId'), instanceId: ref('$.command.instanceId'), step: name },
        result: null,
        wait: 5,
        every: 5,
        deadline: 600,
      }),
    ],
  });
}

export const restoreCluster = workflow({
  name: 'restore-cluster',
  timeoutSeconds: WORKFLOW_TIMEOUT_SECONDS['restore-cluster'],
  comment:
    "Restore a cluster's etcd from one of its backups: the backup checked and fetched onto every control plane (nothing stopped yet), then on every member at once the API server and etcd stopped and the snapshot restored as a new etcd cluster of those members, then started again; every kubelet restarted, a fresh join token, and validation. Input: {cluster, operationId}; the operation request names the backup.",
  states: [
    task(prepareRestore, { comment: 'The backup checked again (it exists, is this cluster incarnation’s, has a checksum), and the members named.', params: { stage: 'Verify' }, result: '$.restore' }),
    onEveryMember('FetchBackup', 'fetch', 'Verify', 'The backup on every member, its SHA-256 and format checked. A damaged backup fails here, before anything is stopped.'),
    task(beginWorkflow, { name: 'BeginRestore', comment: 'From here on the cluster changes: Updating, and a failure leaves it Degraded.', params: { type: 'restore', stage: 'Verify', endsStage: true }, result: '$.ctx' }),
    onEveryMember('RestoreMembers', 'restore', 'Restore', 'API servers and etcd stopped, the data directory replaced by the restored one.'),
    onEveryMember('StartMembers', 'start', 'Restore', 'etcd and the API servers started on the restored data; each waits for a quorum.'),
    onEveryMember('RestartKubelets', 'kubelet', 'Restore', 'Every kubelet restarts: it registers its Node again if the backup predates it, and lists afresh.', '$.restore.kubelets'),
    // Tokens minted after the backup was taken are gone with the rest of etcd's data.
    ...refreshJoinToken('A fresh join token: the restored etcd holds only the tokens it had when the backup was taken.'),
    ...validationLoop({ stage: 'Validate', next: 'RecordRestore', failTo: 'Changed?' }),
    task(recordRestore, { params: { stage: 'Validate', endsStage: true, restore: ref('$.restore') }, result: null }),
    task(finishWorkflow, { name: 'FinishRestore', params: { status: 'Ready' }, result: null }),
  ],
  onFailure: [
    choice('Changed?', [{ Variable: '$.ctx', IsPresent: true, Next: 'ResumeMembers' }], 'RecordRefusal', {
      comment: 'Before BeginRestore nothing was stopped: the cluster keeps its status; after it, the cluster is Degraded.',
    }),
    task(failWorkflow, { name: 'RecordRefusal', params: { failure: ref('$.failure') }, result: null, next: 'RestoreFailed' }),
    task(resumeMembers, {
      comment: 'No control plane stays stopped: each starts on the data it has (the lineage with a quorum serves). Its own failure does not stop the failure being recorded.',
      params: { restore: ref('$.restore') },
      result: '$.resumed',
      catch: { next: 'RecordFailure', resultPath: '$.resumeFailure' },
    }),
    task(failWorkflow, { name: 'RecordFailure', params: { status: 'Degraded', failure: ref('$.failure') }, result: null }),
    fail('RestoreFailed', { error: 'RestoreClusterFailed', cause: 'See the operation record: the failed step and its error.' }),
  ],
});
