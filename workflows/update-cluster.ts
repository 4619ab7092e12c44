/**
 * The update-cluster workflow (statemachines/update-cluster.asl.json is generated from it: npm run generate).
 * States run in the order written; see workflows/lib/builder.ts for the conventions.
 */
import { choice, fail, map, poll, ref, succeed, task, workflow } from './lib/builder';
import { WORKFLOW_TIMEOUT_SECONDS } from '../shared/workflow-limits';
import { step as applyInstanceGroup } from '../functions/update/apply-instance-group';
import { step as deleteInstanceGroup } from '../functions/update/delete-instance-group';
import { step as observePlan } from '../functions/update/observe-plan';
import { step as recordGroupStatus } from '../functions/update/record-group-status';
import { step as ensureHostRoles } from '../functions/identity/ensure-host-roles';
import { refreshJoinToken } from './refresh-join-token';
import { step as beginWorkflow } from '../functions/workflow/begin-workflow';
import { step as failWorkflow } from '../functions/workflow/fail-workflow';
import { step as finishWorkflow } from '../functions/workflow/finish-workflow';

export const updateCluster = workflow({
  name: 'update-cluster',
  timeoutSeconds: WORKFLOW_TIMEOUT_SECONDS['update-cluster'],
  comment: "Update a cluster to its spec: observe what AWS runs, plan field by field, apply each node group (new launch template version, Auto Scaling group sizes; create and delete groups), record the groups' status. Instances keep their launch template version: a rolling update replaces them. Input: {cluster, operationId}.",
  states: [
    task(beginWorkflow, {
      name: 'BeginUpdate',
      comment: 'Checks the lock, marks the cluster Updating.',
      params: { type: 'update', stage: 'Prepare', endsStage: true },
      result: '$.ctx',
    }),
    task(ensureHostRoles, {
      comment: "The cluster's host roles, with this Hopper's policies (a cluster made before them gets them here): the launch templates below name their profiles.",
      result: null,
    }),
    task(observePlan, {
      comment: 'Desired spec against DescribeAutoScalingGroups/DescribeLaunchTemplateVersions; refuses edits the cloud cannot take (UnprocessableError); records the plan on the Plan step.',
      params: { stage: 'Plan', endsStage: true },
      result: '$.plan',
    }),
    ...refreshJoinToken('A fresh join token (tokens live two hours): the nodes this update adds join with it.'),
    map('ApplyGroups', {
      comment: 'One node group at a time would be slow for many groups; four at once stays well under the Auto Scaling API limits.',
      items: '$.plan.groups',
      maxConcurrency: 4,
      selector: { stage: 'Apply', group: ref('$$.Map.Item.Value.group'), action: ref('$$.Map.Item.Value.action'), desired: ref('$$.Map.Item.Value.desired') },
      result: '$.applied',
      states: [
        choice('GroupAction', [{ Variable: '$.action', StringEquals: 'delete', Next: 'DeleteInstanceGroup' }], 'ApplyInstanceGroup'),
        task(applyInstanceGroup, {
          comment: 'A new launch template version only when the latest differs; then UpdateAutoScalingGroup (min, max, desired clamped, the explicit version), or the group created.',
          params: { stage: ref('$.stage'), group: ref('$.group'), action: ref('$.action'), desired: ref('$.desired') },
          end: true,
        }),
        ...poll(deleteInstanceGroup, {
          comment: 'ForceDelete the Auto Scaling group, poll until AWS has removed it (NotReadyError), then delete its launch template.',
          params: { stage: ref('$.stage'), group: ref('$.group') },
          every: 10,
          deadline: 900,
        }),
      ],
    }),
    task(recordGroupStatus, {
      comment: "What AWS now runs, onto the cluster record's instanceGroups (needsRollingUpdate where instances run an old version).",
      params: { stage: 'Apply', endsStage: true, rollingGroups: ref('$.plan.rollingGroups') },
      result: '$.status',
    }),
    task(finishWorkflow, {
      name: 'FinishUpdate',
      comment: 'Cluster Ready, operation Succeeded, lock released.',
      params: { status: 'Ready', message: ref('$.plan.summary') },
      result: '$.finish',
    }),
    succeed('Done'),
  ],
  onFailure: [
    task(failWorkflow, {
      name: 'RecordFailure',
      comment: 'Records the failed step and its error, marks the cluster Degraded, closes the lock (released once the steps still running return).',
      params: { status: 'Degraded', failure: ref('$.failure') },
      result: '$.recorded',
    }),
    fail('Failed', { error: 'UpdateFailed', cause: 'The update failed; the operation record names the step and the error.' }),
  ],
});
