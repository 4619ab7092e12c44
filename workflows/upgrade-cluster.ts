/**
 * The upgrade-cluster workflow (statemachines/upgrade-cluster.asl.json is generated from it: npm run generate).
 * States run in the order written; see workflows/lib/builder.ts for the conventions.
 */
import { choice, fail, map, pass, poll, ref, task, workflow } from './lib/builder';
import { WORKFLOW_TIMEOUT_SECONDS } from '../shared/workflow-limits';
import { step as checkCommand } from '../functions/commands/check-command';
import { step as checkBake } from '../functions/image/check-bake';
import { step as resolveImage } from '../functions/image/resolve-image';
import { step as checkRollingUpdate } from '../functions/upgrade/check-rolling-update';
import { step as prepareUpgrade } from '../functions/upgrade/prepare-upgrade';
import { step as sendControlPlaneUpgrade } from '../functions/upgrade/send-control-plane-upgrade';
import { step as startRollingUpdate } from '../functions/upgrade/start-rolling-update';
import { step as updateNodeTemplates } from '../functions/upgrade/update-node-templates';
import { step as ensureHostRoles } from '../functions/identity/ensure-host-roles';
import { step as beginWorkflow } from '../functions/workflow/begin-workflow';
import { step as failWorkflow } from '../functions/workflow/fail-workflow';
import { step as finishWorkflow } from '../functions/workflow/finish-workflow';

/** What each control-plane round is given: the instance, whether it is the first, and the versions. */
const EACH_CONTROL_PLANE_INSTANCE = { instanceId: ref('$$.Map.Item.Value.instanceId'), first: ref('$$.Map.Item.Value.first'), from: ref('$.upgrade.from'), to: ref('$.upgrade.to'), apiEndpoint: ref('$.upgrade.apiEndpoint') };

export const upgradeCluster = workflow({
  name: 'upgrade-cluster',
  timeoutSeconds: WORKFLOW_TIMEOUT_SECONDS['upgrade-cluster'],
  comment: "Upgrade Kubernetes by one minor (or a patch): bake the image, kubeadm upgrade apply on the first control-plane instance and upgrade node on the others one at a time, new launch template versions, then the rolling update (nested) puts every machine on the new image. Input: {cluster, operationId}; the target is the spec's kubernetesVersion, the running one the record's.",
  states: [
    task(beginWorkflow, { name: 'BeginUpgrade', params: { type: 'upgrade', stage: 'Prepare', endsStage: true }, result: '$.ctx' }),
    task(ensureHostRoles, { comment: "The cluster's host roles, with this Hopper's policies: new node templates and control-plane replacements name their profiles.", result: null }),
    task(prepareUpgrade, { comment: 'from/to, the network the bake needs, the control plane in upgrade order.', result: '$.upgrade' }),
    task(resolveImage, {
      comment: 'A cached image for the target version, or a bake-image execution.',
      params: { stage: 'Image', vpcId: ref('$.upgrade.vpcId'), subnets: ref('$.upgrade.subnets'), kubernetesVersion: ref('$.upgrade.to') },
      result: '$.image',
    }),
    choice('ImageKnown', [{ Variable: '$.image.imageId', IsPresent: true, Next: 'ImageReady' }], 'WaitForBake'),
    ...poll(checkBake, {
      params: { stage: 'Image', bakeExecutionArn: ref('$.image.bakeExecutionArn') },
      result: '$.image',
      wait: 240,
      every: 15,
      deadline: 1200,
    }),
    pass('ImageReady', { params: { imageId: ref('$.image.imageId') }, resultPath: '$.image' }),
    map('UpgradeControlPlane', {
      comment: 'One at a time, the first (upgrade apply) first: every API server moves (kubeadm upgrade apply, then upgrade node) before any kubelet does.',
      items: '$.upgrade.controlPlane',
      maxConcurrency: 1,
      selector: EACH_CONTROL_PLANE_INSTANCE,
      result: null,
      states: [
        task(sendControlPlaneUpgrade, {
          params: { stage: 'ControlPlane', instanceId: ref('$.instanceId'), first: ref('$.first'), from: ref('$.from'), to: ref('$.to'), apiEndpoint: ref('$.apiEndpoint'), part: 'kubeadm' },
          result: '$.command',
        }),
        ...poll(checkCommand, {
          name: 'CheckUpgrade',
          params: { stage: 'ControlPlane', commandId: ref('$.command.commandId'), instanceId: ref('$.command.instanceId'), step: 'UpgradeControlPlane' },
          result: null,
          wait: 60,
          every: 10,
          deadline: 1200,
        }),
      ],
    }),
    map('UpgradeKubelets', {
      comment: 'Then the control-plane kubelets, one at a time: with every API server at the new version, no kubelet is ever newer than one of them (the version-skew policy).',
      items: '$.upgrade.controlPlane',
      maxConcurrency: 1,
      selector: EACH_CONTROL_PLANE_INSTANCE,
      result: null,
      states: [
        task(sendControlPlaneUpgrade, {
          name: 'SendKubeletUpgrade',
          params: { stage: 'ControlPlane', instanceId: ref('$.instanceId'), first: ref('$.first'), from: ref('$.from'), to: ref('$.to'), apiEndpoint: ref('$.apiEndpoint'), part: 'kubelet' },
          result: '$.command',
        }),
        ...poll(checkCommand, {
          name: 'CheckKubeletUpgrade',
          params: { stage: 'ControlPlane', commandId: ref('$.command.commandId'), instanceId: ref('$.command.instanceId'), step: 'UpgradeKubelet' },
          result: null,
          wait: 20,
          every: 10,
          deadline: 1200,
        }),
      ],
    }),
    task(updateNodeTemplates, {
      comment: 'Launch template versions with the new image; the groups launch them from now on.',
      params: { stage: 'ControlPlane', endsStage: true, imageId: ref('$.image.imageId') },
      result: null,
    }),
    task(startRollingUpdate, {
      comment: 'The rolling update, nested under this operation: control plane, then nodes, onto the new image.',
      params: { stage: 'Roll', imageId: ref('$.image.imageId') },
      result: '$.rolling',
    }),
    ...poll(checkRollingUpdate, {
      params: { stage: 'Roll', endsStage: true, executionArn: ref('$.rolling.executionArn') },
      result: null,
      wait: 120,
      every: 30,
      deadline: 42000,
    }),
    task(finishWorkflow, { name: 'FinishUpgrade', params: { status: 'Ready', kubernetesVersion: ref('$.upgrade.to') }, result: null }),
  ],
  onFailure: [
    task(failWorkflow, { name: 'RecordFailure', params: { status: 'Degraded', failure: ref('$.failure') }, result: null }),
    fail('UpgradeFailed', { error: 'UpgradeFailed', cause: 'See the operation record: the failed step and its error.' }),
  ],
});
