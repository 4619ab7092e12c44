/**
 * The bake-image workflow (statemachines/bake-image.asl.json is generated from it: npm run generate).
 * States run in the order written; see workflows/lib/builder.ts for the conventions.
 */
import { choice, fail, pass, poll, ref, succeed, task, workflow } from './lib/builder';
import { WORKFLOW_TIMEOUT_SECONDS } from '../shared/workflow-limits';
import { step as checkCommand } from '../functions/commands/check-command';
import { step as checkInstancesOnline } from '../functions/commands/check-instances-online';
import { step as checkBuilderStopped } from '../functions/image/check-builder-stopped';
import { step as checkImage } from '../functions/image/check-image';
import { step as createImage } from '../functions/image/create-image';
import { step as findBakedImage } from '../functions/image/find-baked-image';
import { step as installPackages } from '../functions/image/install-packages';
import { step as launchBuilder } from '../functions/image/launch-builder';
import { step as resolveBaseImage } from '../functions/image/resolve-base-image';
import { step as stopBuilder } from '../functions/image/stop-builder';
import { step as terminateBuilder } from '../functions/image/terminate-builder';

/**
 * The bake runs in its own execution for an operation (a create's, an upgrade's): its steps
 * report what they do on that operation's Image stage, without opening or closing it.
 */
const REPORTS_TO = 'Image';

export const bakeImage = workflow({
  name: 'bake-image',
  timeoutSeconds: WORKFLOW_TIMEOUT_SECONDS['bake-image'],
  comment: 'Bake a node image for (Kubernetes version, architecture, region): Ubuntu LTS builder, bake script over SSM, image, builder terminated on every path. Input: {cluster, operationId, region, kubernetesVersion, architecture, subnetId, vpcId, imageName, imageKey?}. Output: {imageId}.',
  states: [
    pass('Start', { comment: 'No builder yet: TerminateBuilder, on any failure path, reads $.builder.', params: {  }, resultPath: '$.builder' }),
    task(findBakedImage, {
      comment: 'An image already baked for (version, architecture, region, mirrors) ends the bake; one a concurrent bake is creating is waited for.',
      params: { reportsTo: REPORTS_TO, kubernetesVersion: ref('$.kubernetesVersion'), architecture: ref('$.architecture'), region: ref('$.region'), execution: ref('$$.Execution.Input') },
      result: '$.found',
    }),
    choice('ImageAlreadyBaked', [{ Variable: '$.found.state', StringEquals: 'available', Next: 'UseFoundImage' }, { Variable: '$.found.state', StringEquals: 'pending', Next: 'UseFoundImage' }], 'ResolveBaseImage'),
    pass('UseFoundImage', { params: { imageId: ref('$.found.imageId'), state: ref('$.found.state') }, resultPath: '$.image' }),
    choice('ImageKnownAvailable', [{ Variable: '$.image.state', StringEquals: 'available', Next: 'ImageBaked' }], 'WaitForImage'),
    task(resolveBaseImage, {
      comment: "Ubuntu LTS from Canonical's public SSM parameter (or Canonical's newest image by name where the parameter is missing).",
      params: { reportsTo: REPORTS_TO, architecture: ref('$.architecture') },
      result: '$.baseImage',
    }),
    task(launchBuilder, {
      comment: 'RunInstances with a ClientToken from the execution name: a retry after a lost response adopts the same builder.',
      params: { reportsTo: REPORTS_TO, bakeId: ref('$$.Execution.Name'), vpcId: ref('$.vpcId'), subnetId: ref('$.subnetId'), architecture: ref('$.architecture'), baseImageId: ref('$.baseImage.imageId'), rootDeviceName: ref('$.baseImage.rootDeviceName') },
      result: '$.builder',
    }),
    ...poll(checkInstancesOnline, {
      name: 'CheckBuilderOnline',
      waitComment: 'Running ~30 s, SSM agent online ~45 s after: the first check comes at 45 s, then every 5 s.',
      params: { reportsTo: REPORTS_TO, instanceIds: ref('States.Array($.builder.instanceId)') },
      result: null,
      wait: 45,
      every: 5,
      deadline: 300,
    }),
    task(installPackages, {
      comment: 'The rendered bake script over SSM Run Command: containerd, pinned kubeadm/kubelet/kubectl, kernel settings.',
      params: { reportsTo: REPORTS_TO, instanceId: ref('$.builder.instanceId'), kubernetesVersion: ref('$.kubernetesVersion'), architecture: ref('$.architecture'), region: ref('$.region') },
      result: '$.install',
    }),
    ...poll(checkCommand, {
      name: 'CheckInstall',
      waitComment: 'The install takes ~120 s: first check at 90 s, then every 10 s.',
      params: { reportsTo: REPORTS_TO, commandId: ref('$.install.commandId'), instanceId: ref('$.install.instanceId'), step: 'InstallPackages' },
      result: '$.installResult',
      wait: 90,
      every: 10,
      deadline: 1800,
    }),
    task(stopBuilder, {
      comment: 'Imaged stopped: a consistent disk without a reboot.',
      params: { reportsTo: REPORTS_TO, instanceId: ref('$.builder.instanceId') },
      result: null,
    }),
    ...poll(checkBuilderStopped, { params: { reportsTo: REPORTS_TO, instanceId: ref('$.builder.instanceId') }, result: null, every: 5, deadline: 180 }),
    task(createImage, {
      comment: 'Looked up by name first (CreateImage takes no ClientToken); tagged with the key, version and architecture.',
      params: { reportsTo: REPORTS_TO, instanceId: ref('$.builder.instanceId'), imageName: ref('$.imageName'), imageKey: ref('$.found.imageKey'), kubernetesVersion: ref('$.kubernetesVersion'), architecture: ref('$.architecture'), region: ref('$.region') },
      result: '$.image',
    }),
    ...poll(checkImage, {
      waitComment: 'Images take ~300 s (180-600): first check at 240 s, then every 15 s.',
      params: { reportsTo: REPORTS_TO, imageId: ref('$.image.imageId') },
      result: '$.image',
      wait: 240,
      every: 15,
      deadline: 600,
    }),
    task(terminateBuilder, { params: { reportsTo: REPORTS_TO, bakeId: ref('$$.Execution.Name'), builder: ref('$.builder') }, result: null }),
    pass('ImageBaked', { params: { imageId: ref('$.image.imageId') } }),
    succeed('BakeSucceeded'),
  ],
  onFailure: [
    task(terminateBuilder, {
      name: 'TerminateBuilderAfterFailure',
      comment: "Every failure path ends here: the builder (found by the bake's tag if its id was lost) is terminated, then the bake fails with the original error.",
      params: { bakeId: ref('$$.Execution.Name'), builder: ref('$.builder') },
      result: null,
      catch: { next: 'BakeFailed', resultPath: '$.cleanupFailure' },
    }),
    fail('BakeFailed', { comment: 'The error and cause of the step that failed, for checkBake to report.', errorPath: '$.failure.Error', causePath: '$.failure.Cause' }),
  ],
});
