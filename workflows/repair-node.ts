/**
 * The repair-node workflow (statemachines/repair-node.asl.json is generated from it: npm run generate).
 * States run in the order written; see workflows/lib/builder.ts for the conventions.
 */
import { choice, fail, poll, ref, task, workflow } from './lib/builder';
import { WORKFLOW_TIMEOUT_SECONDS } from '../shared/workflow-limits';
import { step as checkCommand } from '../functions/commands/check-command';
import { step as checkGroupCapacity } from '../functions/repair/check-group-capacity';
import { step as prepareRepair } from '../functions/repair/prepare-repair';
import { step as sendDeleteNode } from '../functions/repair/send-delete-node';
import { step as checkDrain } from '../functions/rolling/check-drain';
import { step as sendDrain } from '../functions/rolling/send-drain';
import { step as terminateOld } from '../functions/rolling/terminate-old';
import { step as beginWorkflow } from '../functions/workflow/begin-workflow';
import { step as failWorkflow } from '../functions/workflow/fail-workflow';
import { step as finishWorkflow } from '../functions/workflow/finish-workflow';
import { refreshJoinToken } from './refresh-join-token';

export const repairNode = workflow({
  name: 'repair-node',
  timeoutSeconds: WORKFLOW_TIMEOUT_SECONDS['repair-node'],
  comment:
    'Repair one node AWS is taking away or that stopped answering (a spot interruption notice, a scheduled retirement, failed status checks): cordon and drain it while it answers, have its group replace it, wait until the group is whole, delete its Node object. Started by the instance events and the health sweep. Input: {cluster, operationId}; the operation request names the instance and the trouble.',
  states: [
    task(beginWorkflow, { name: 'BeginRepair', params: { type: 'repair', stage: 'Prepare', endsStage: true }, result: '$.ctx' }),
    task(prepareRepair, { comment: 'Decided from the cloud as it is now: a rerun after a crash decides again.', params: { stage: 'Plan', endsStage: true }, result: '$.repair' }),
    // The group launches a replacement in every case: it must find a join token that works.
    ...refreshJoinToken("A fresh join token for the replacement the group launches (the last one may be hours old)."),
    choice('Drain?', [{ Variable: '$.repair.drain', BooleanEquals: true, Next: 'SendDrain' }], 'Terminate?'),
    task(sendDrain, {
      comment: 'Cordon and drain, honouring PodDisruptionBudgets for a while.',
      params: { stage: 'Drain', instanceId: ref('$.repair.instanceId'), node: ref('$.repair.node'), drainTimeoutSeconds: ref('$.repair.drainTimeoutSeconds'), forceDrain: false },
      result: '$.drain',
    }),
    ...poll(checkDrain, {
      comment: 'A budget that allows no disruption does not stop a repair: the machine goes either way, so the pods are deleted instead (SendForcedDrain).',
      params: { stage: 'Drain', endsStage: true, commandId: ref('$.drain.commandId'), runner: ref('$.drain.runner'), instanceId: ref('$.repair.instanceId'), node: ref('$.drain.node'), drainTimeoutSeconds: ref('$.repair.drainTimeoutSeconds') },
      result: null,
      wait: 10,
      every: 2,
      attempts: 120,
      backoff: 1.5,
      maxDelay: 10,
      catch: { next: 'SendForcedDrain', resultPath: '$.drainRefused', errors: ['StepFailedError'] },
      next: 'Terminate?',
    }),
    task(sendDrain, {
      name: 'SendForcedDrain',
      params: { stage: 'Drain', instanceId: ref('$.repair.instanceId'), node: ref('$.repair.node'), drainTimeoutSeconds: 60, forceDrain: true },
      result: '$.drain',
    }),
    ...poll(checkDrain, {
      name: 'CheckForcedDrain',
      comment: 'Even a forced drain that fails does not hold the repair: the instance is replaced regardless.',
      params: { stage: 'Drain', endsStage: true, commandId: ref('$.drain.commandId'), runner: ref('$.drain.runner'), instanceId: ref('$.repair.instanceId'), node: ref('$.drain.node'), drainTimeoutSeconds: 60 },
      result: null,
      wait: 5,
      every: 2,
      attempts: 60,
      backoff: 1.5,
      maxDelay: 10,
      catch: { next: 'Terminate?', resultPath: '$.drainRefused', errors: ['StepFailedError'] },
    }),
    choice('Terminate?', [{ Variable: '$.repair.terminate', BooleanEquals: true, Next: 'TerminateOld' }], 'WaitForReplacement', {
      comment: 'A spot instance is terminated by AWS itself, one already going by whoever stopped it.',
    }),
    task(terminateOld, {
      comment: 'Through its group, without decrementing: the group launches the replacement.',
      params: { stage: 'Replace', instanceId: ref('$.repair.instanceId'), kind: 'node', inGroup: true },
      result: null,
    }),
    ...poll(checkGroupCapacity, {
      params: { stage: 'Replace', endsStage: true, group: ref('$.repair.group'), instanceId: ref('$.repair.instanceId') },
      result: null,
      wait: 60,
      waitName: 'WaitForReplacement',
      waitComment: 'A replacement is in service no sooner than the group notices and the instance boots (about a minute).',
      every: 10,
      deadline: 900,
    }),
    choice('NodeKnown?', [{ Variable: '$.repair.node', StringEquals: '', Next: 'FinishRepair' }], 'SendDeleteNode'),
    task(sendDeleteNode, { params: { stage: 'Clean up', instanceId: ref('$.repair.instanceId'), node: ref('$.repair.node') }, result: '$.command' }),
    ...poll(checkCommand, {
      name: 'CheckDeleteNode',
      params: { stage: 'Clean up', endsStage: true, commandId: ref('$.command.commandId'), instanceId: ref('$.command.instanceId'), step: 'DeleteNode' },
      result: null,
      wait: 5,
      every: 5,
      deadline: 300,
    }),
    task(finishWorkflow, {
      name: 'FinishRepair',
      comment: "The repaired group's Degraded mark goes; the cluster is Ready unless another group is still Degraded.",
      params: { status: 'Ready', repairedGroup: ref('$.repair.group') },
      result: null,
    }),
  ],
  onFailure: [
    task(failWorkflow, { name: 'RecordFailure', params: { status: 'Degraded', failure: ref('$.failure') }, result: null }),
    fail('RepairFailed', { error: 'RepairNodeFailed', cause: 'See the operation record: the failed step and its error.' }),
  ],
});
