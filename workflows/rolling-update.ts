/**
 * The rolling-update workflow (statemachines/rolling-update.asl.json is generated from it: npm run generate).
 * States run in the order written; see workflows/lib/builder.ts for the conventions.
 */
import { choice, fail, map, pass, poll, ref, succeed, task, wait, workflow } from './lib/builder';
import { WORKFLOW_TIMEOUT_SECONDS } from '../shared/workflow-limits';
import { step as checkCommand } from '../functions/commands/check-command';
import { step as checkInstancesOnline } from '../functions/commands/check-instances-online';
import { step as checkDrain } from '../functions/rolling/check-drain';
import { step as detachSurge } from '../functions/rolling/detach-surge';
import { step as launchReplacement } from '../functions/rolling/launch-replacement';
import { step as nextBatch } from '../functions/rolling/next-batch';
import { step as planRollingUpdate } from '../functions/rolling/plan-rolling-update';
import { step as sendDrain } from '../functions/rolling/send-drain';
import { step as sendLeave } from '../functions/rolling/send-leave';
import { step as sendReplacementJoin } from '../functions/rolling/send-replacement-join';
import { step as terminateOld } from '../functions/rolling/terminate-old';
import { step as validationFailed } from '../functions/rolling/validation-failed';
import { step as checkValidation } from '../functions/validate/check-validation';
import { step as validateCluster } from '../functions/validate/validate-cluster';
import { step as beginWorkflow } from '../functions/workflow/begin-workflow';
import { step as ensureHostRoles } from '../functions/identity/ensure-host-roles';
import { refreshJoinToken } from './refresh-join-token';
import { step as deleteCertificateKey } from '../functions/control-plane/delete-certificate-key';
import { step as failWorkflow } from '../functions/workflow/fail-workflow';
import { step as markStage } from '../functions/control-plane/mark-stage';
import { step as attachEtcdVolumes } from '../functions/control-plane/attach-etcd-volumes';
import { step as finishWorkflow } from '../functions/workflow/finish-workflow';

export const rollingUpdate = workflow({
  name: 'rolling-update',
  timeoutSeconds: WORKFLOW_TIMEOUT_SECONDS['rolling-update'],
  comment: 'Rolling update like kops: control plane one seat at a time, then node groups in batches (surge by detaching, cordon, drain with a deadline, terminate, validate twice). Every batch is planned from the cloud, so a rerun continues where an interrupted one stopped. Input: {cluster, operationId} or, nested in an upgrade, {cluster, operationId, nested: true, options}.',
  states: [
    choice('Nested?', [{ Variable: '$.nested', IsPresent: true, Next: 'PlanNested' }], 'BeginRollingUpdate', { comment: 'A nested run (the upgrade) works under its parent operation: no begin, no finish.' }),
    task(beginWorkflow, { name: 'BeginRollingUpdate', params: { type: 'rolling-update', stage: 'Prepare', endsStage: true }, result: '$.ctx' }),
    task(planRollingUpdate, { comment: 'Options (kops defaults) and the plan, recorded as the Plan step.', params: { stage: 'Plan', endsStage: true }, result: '$.plan', next: 'EnsureHostRoles' }),
    task(planRollingUpdate, { name: 'PlanNested', params: { stage: 'Plan', endsStage: true, options: ref('$.options') }, result: '$.plan' }),
    task(ensureHostRoles, { comment: "The cluster's host roles: replacements launch with their profiles (a cluster made before them gets them here).", result: null }),
    pass('StartBatches', { result: { number: 0, done: false, kind: 'none', group: '', detach: [], drain: [], controlPlane: { instanceIds: [], first: '', others: [], apiEndpoint: '' }, remaining: 0 }, resultPath: '$.batch' }),
    task(nextBatch, {
      comment: 'Records the batch just done; plans the next from the cloud as it is now.',
      params: { options: ref('$.plan.options'), forced: ref('$.plan.forced'), previous: ref('$.batch') },
      result: '$.batch',
    }),
    choice('MoreBatches?', [{ Variable: '$.batch.done', BooleanEquals: true, Next: 'RolloutDone' }], 'StartBatch'),
    task(markStage, { name: 'StartBatch', comment: 'The stage `Batch <n>`, open until EndBatch.', params: { stage: ref("States.Format('Batch {}', $.batch.number)") }, result: null }),
    choice('BatchKind', [{ Variable: '$.batch.kind', StringEquals: 'control-plane', Next: 'DrainBatch' }], 'SendRefreshJoinToken'),
    // Per batch, not once per rollout: a long rollout outlives a two-hour token, and its last
    // batches' nodes would not join (control-plane seats mint theirs with SendRefreshJoinData).
    ...refreshJoinToken("A fresh join token (tokens live two hours) for this batch's replacement nodes.", '$.batch.number'),
    task(detachSurge, {
      comment: 'Detach without decrementing: the group launches replacements while the old nodes still serve.',
      params: { group: ref('$.batch.group'), instanceIds: ref('$.batch.detach') },
      result: null,
    }),
    pass('ValidateSurge', { comment: 'The replacements must be Ready before any old node is drained: Ready nodes never drop below desired - maxUnavailable. One pass is enough: the next phase validates twice.', result: { passes: 0, attempts: 0, required: 1, phase: 'surge', maxAttempts: 150 }, resultPath: '$.validation' }),
    wait('WaitForSurge', 60, { next: 'SendValidation', comment: 'A replacement cannot be Ready sooner than the group reconciles and it boots, joins and turns Ready (about a minute at the fastest): no pass before then.' }),
    map('DrainBatch', {
      comment: "Cordon, drain and terminate the batch's old instances.",
      items: '$.batch.drain',
      maxConcurrency: 0,
      selector: { instanceId: ref('$$.Map.Item.Value.instanceId'), inGroup: ref('$$.Map.Item.Value.inGroup'), kind: ref('$.batch.kind'), drainTimeoutSeconds: ref('$.plan.options.drainTimeoutSeconds'), forceDrain: ref('$.plan.options.forceDrain') },
      result: null,
      states: [
        task(sendDrain, {
          comment: 'Cordon and drain with a deadline, over SSM on another control-plane instance.',
          params: { instanceId: ref('$.instanceId'), drainTimeoutSeconds: ref('$.drainTimeoutSeconds'), forceDrain: ref('$.forceDrain') },
          result: '$.drain',
        }),
        ...poll(checkDrain, {
          waitComment: 'A drain takes about 20 s when pods evict at once; then polls 2 s apart, backing off to 15 s for long drains (300 polls cover the longest deadline, 3600 s).',
          comment: 'NotReadyError while kubectl drains; after the deadline a readable failure naming the pods and the node.',
          params: { commandId: ref('$.drain.commandId'), runner: ref('$.drain.runner'), instanceId: ref('$.instanceId'), node: ref('$.drain.node'), drainTimeoutSeconds: ref('$.drainTimeoutSeconds') },
          result: null,
          wait: 20,
          every: 2,
          attempts: 300,
          backoff: 1.5,
          maxDelay: 15,
        }),
        choice('LeavesControlPlane?', [{ Variable: '$.kind', StringEquals: 'control-plane', Next: 'SendLeave' }], 'TerminateOld'),
        task(sendLeave, {
          comment: 'The old control-plane instance stops in place, its etcd member kept for the replacement at its address (kubeadm reset, member removed, for a cluster without seat volumes).',
          params: { instanceId: ref('$.instanceId') },
          result: '$.leave',
        }),
        choice('LeaveSent?', [{ Variable: '$.leave.skipped', BooleanEquals: true, Next: 'TerminateOld' }], 'WaitForLeave'),
        ...poll(checkCommand, {
          name: 'CheckLeave',
          params: { commandId: ref('$.leave.commandId'), instanceId: ref('$.leave.instanceId'), step: 'LeaveControlPlane' },
          result: null,
          wait: 10,
          every: 5,
          deadline: 300,
        }),
        task(terminateOld, { params: { instanceId: ref('$.instanceId'), kind: ref('$.kind'), inGroup: ref('$.inGroup') }, result: null }),
      ],
    }),
    choice('ReplaceSeat?', [{ Variable: '$.batch.kind', StringEquals: 'control-plane', Next: 'LaunchReplacement' }], 'ValidateBatch'),
    task(launchReplacement, {
      comment: 'A new instance for the seat, on the target image.',
      params: { seat: ref('$.batch.seat'), options: ref('$.plan.options') },
      result: '$.replacement',
    }),
    ...poll(checkInstancesOnline, {
      name: 'CheckReplacementOnline',
      params: { instanceIds: ref('$.replacement.instanceIds') },
      result: null,
      wait: 60,
      waitName: 'WaitForReplacement',
      every: 10,
      deadline: 600,
    }),
    task(attachEtcdVolumes, {
      comment: "The seat's etcd volume, free once the old instance is gone; the join (or, for the only control plane, init) script mounts it.",
      params: { instanceIds: ref('$.replacement.instanceIds') },
      result: null,
    }),
    task(sendReplacementJoin, {
      name: 'SendRefreshJoinData',
      comment: 'A fresh token and certificate key in Parameter Store (the create-time ones have expired). Skipped for the only control plane: nothing is left to join.',
      params: { instanceId: ref('$.replacement.instanceId'), phase: 'refresh' },
      result: '$.command',
    }),
    choice('RefreshSent?', [{ Variable: '$.command.skipped', BooleanEquals: true, Next: 'SendReplacementJoin' }], 'WaitForRefresh'),
    ...poll(checkCommand, {
      name: 'CheckRefresh',
      params: { commandId: ref('$.command.commandId'), instanceId: ref('$.command.instanceId'), step: 'RefreshJoinData' },
      result: null,
      wait: 10,
      every: 5,
      deadline: 300,
    }),
    task(sendReplacementJoin, { params: { instanceId: ref('$.replacement.instanceId'), phase: 'join' }, result: '$.command' }),
    ...poll(checkCommand, {
      name: 'CheckReplacementJoin',
      params: { commandId: ref('$.command.commandId'), instanceId: ref('$.command.instanceId'), step: 'ReplacementJoin' },
      result: null,
      wait: 60,
      waitName: 'WaitForJoin',
      every: 10,
      deadline: 900,
    }),
    task(deleteCertificateKey, { comment: 'The replacement has joined: the certificate key published for it leaves Parameter Store.', result: null }),
    pass('ValidateBatch', { comment: 'Two passes in a row 10 s apart, like kops validate (--validate-count 2).', result: { passes: 0, attempts: 0, required: 2, phase: 'batch', maxAttempts: 75 }, resultPath: '$.validation' }),
    task(validateCluster, { name: 'SendValidation', params: { controlPlane: ref('$.batch.controlPlane') }, result: '$.validation.command' }),
    ...poll(checkValidation, {
      params: { command: ref('$.validation.command'), passes: ref('$.validation.passes') },
      result: '$.validation.result',
      wait: 2,
      every: 2,
      attempts: 60,
      backoff: 1.5,
      maxDelay: 10,
    }),
    choice('Validated?', [{ Variable: '$.validation.result.passes', NumericGreaterThanEqualsPath: '$.validation.required', Next: 'AfterValidation' }], 'CountValidation'),
    pass('CountValidation', { params: { passes: ref('$.validation.result.passes'), attempts: ref('States.MathAdd($.validation.attempts, 1)'), required: ref('$.validation.required'), phase: ref('$.validation.phase'), result: ref('$.validation.result'), maxAttempts: ref('$.validation.maxAttempts') }, resultPath: '$.validation' }),
    choice('ValidationDeadline?', [{ Variable: '$.validation.attempts', NumericGreaterThanEqualsPath: '$.validation.maxAttempts', Next: 'ValidationFailed' }, { Variable: '$.validation.phase', StringEquals: 'surge', Next: 'WaitBeforeNextSurgePass' }], 'WaitBeforeNextPass', { comment: "About 15 minutes of passes (kops' validation timeout): 150 at 5 s while the replacements come up, 75 at 10 s after the drain." }),
    wait('WaitBeforeNextSurgePass', 5, { next: 'SendValidation', comment: 'While the replacements come up: a pass every 5 s or so, so the drain starts soon after they are Ready.' }),
    wait('WaitBeforeNextPass', 10, { next: 'SendValidation', comment: "Between the passes after a drain: 10 s, as kops' validation success duration." }),
    task(validationFailed, {
      comment: 'Stops the rollout with the failures named, unless failOnValidationError is false.',
      params: {
        stage: ref("States.Format('Batch {} validation', $.batch.number)"),
        endsStage: true,
        batch: ref('$.batch.number'),
        failOnValidationError: ref('$.plan.options.failOnValidationError'),
        failures: ref('$.validation.result.failures'),
      },
      result: null,
    }),
    choice('AfterValidation', [{ Variable: '$.validation.phase', StringEquals: 'surge', Next: 'DrainBatch' }], 'EndBatch'),
    task(markStage, { name: 'EndBatch', comment: 'The batch is done: its stage records what it replaced and why.', params: { stage: ref("States.Format('Batch {}', $.batch.number)"), endsStage: true, detail: ref('$.batch.summary') }, result: null, next: 'NextBatch' }),
    choice('RolloutDone', [{ Variable: '$.nested', IsPresent: true, Next: 'NestedDone' }], 'FinishRollingUpdate'),
    succeed('NestedDone'),
    task(finishWorkflow, { name: 'FinishRollingUpdate', params: { status: 'Ready' }, result: null }),
  ],
  onFailure: [
    choice('Failed', [{ Variable: '$.nested', IsPresent: true, Next: 'NestedFailed' }], 'RecordFailure'),
    fail('NestedFailed', { comment: 'The parent (the upgrade) records the failure.', errorPath: '$.failure.Error', causePath: '$.failure.Cause' }),
    task(failWorkflow, { name: 'RecordFailure', params: { status: 'Degraded', failure: ref('$.failure') }, result: null }),
    fail('RollingUpdateFailed', { error: 'RollingUpdateFailed', cause: 'See the operation record: the failed step and its error.' }),
  ],
});
