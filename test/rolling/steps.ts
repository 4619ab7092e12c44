/** The Task resources of rolling-update, upgrade-cluster and bake-image, mapped onto step cores. */
import * as ensureHostRoles from '../../functions/identity/ensure-host-roles';
import * as sendRefreshJoinToken from '../../functions/nodes/send-refresh-join-token';
import * as deleteCertificateKey from '../../functions/control-plane/delete-certificate-key';
import type { StepDeps } from '../../functions/lib/deps';
import type { StepEnv } from '../helpers/step-env';
import { seedFstab } from '../image/helpers';
import * as beginWorkflow from '../../functions/workflow/begin-workflow';
import * as failWorkflow from '../../functions/workflow/fail-workflow';
import * as finishWorkflow from '../../functions/workflow/finish-workflow';
import * as checkValidation from '../../functions/validate/check-validation';
import * as validateCluster from '../../functions/validate/validate-cluster';
import * as checkCommand from '../../functions/commands/check-command';
import * as checkInstancesOnline from '../../functions/commands/check-instances-online';
import * as checkBake from '../../functions/image/check-bake';
import * as resolveImage from '../../functions/image/resolve-image';
import * as findBakedImage from '../../functions/image/find-baked-image';
import * as resolveBaseImage from '../../functions/image/resolve-base-image';
import * as launchBuilder from '../../functions/image/launch-builder';
import * as installPackages from '../../functions/image/install-packages';
import * as stopBuilder from '../../functions/image/stop-builder';
import * as checkBuilderStopped from '../../functions/image/check-builder-stopped';
import * as createImage from '../../functions/image/create-image';
import * as checkImage from '../../functions/image/check-image';
import * as terminateBuilder from '../../functions/image/terminate-builder';
import * as plan from '../../functions/rolling/plan-rolling-update';
import * as next from '../../functions/rolling/next-batch';
import * as detach from '../../functions/rolling/detach-surge';
import * as sendDrain from '../../functions/rolling/send-drain';
import * as checkDrain from '../../functions/rolling/check-drain';
import * as sendLeave from '../../functions/rolling/send-leave';
import * as terminateOld from '../../functions/rolling/terminate-old';
import * as launchReplacement from '../../functions/rolling/launch-replacement';
import * as sendReplacementJoin from '../../functions/rolling/send-replacement-join';
import * as validationFailed from '../../functions/rolling/validation-failed';
import * as prepare from '../../functions/upgrade/prepare-upgrade';
import * as sendUpgrade from '../../functions/upgrade/send-control-plane-upgrade';
import * as updateTemplates from '../../functions/upgrade/update-node-templates';
import * as nested from '../../functions/upgrade/start-rolling-update';
import * as nestedCheck from '../../functions/upgrade/check-rolling-update';

export type Run = (event: unknown, context: undefined, deps: StepDeps) => Promise<unknown>;

export function allSteps(env: StepEnv): Record<string, Run> {
  return {
    beginWorkflow: beginWorkflow.step.run as Run,
    ensureHostRoles: ensureHostRoles.step.run as Run,
    sendRefreshJoinToken: sendRefreshJoinToken.runStep as Run,
    deleteCertificateKey: deleteCertificateKey.step.run as Run,
    finishWorkflow: finishWorkflow.step.run as Run,
    failWorkflow: failWorkflow.step.run as Run,
    validateCluster: validateCluster.step.run as Run,
    checkValidation: checkValidation.step.run as Run,
    checkCommand: checkCommand.runStep as Run,
    checkInstancesOnline: checkInstancesOnline.runStep as Run,
    resolveImage: resolveImage.runStep as Run,
    checkBake: checkBake.runStep as Run,
    findBakedImage: findBakedImage.runStep as Run,
    resolveBaseImage: resolveBaseImage.runStep as Run,
    launchBuilder: launchBuilder.runStep as Run,
    installPackages: async (event, context, d) => {
      // The simulator's hosts lack /etc/fstab, which the bake edits (see test/image/helpers.ts).
      await seedFstab(env, (event as { instanceId: string }).instanceId);
      return installPackages.runStep(event, context, d);
    },
    stopBuilder: stopBuilder.runStep as Run,
    checkBuilderStopped: checkBuilderStopped.runStep as Run,
    createImage: createImage.runStep as Run,
    checkImage: checkImage.runStep as Run,
    terminateBuilder: terminateBuilder.runStep as Run,
    planRollingUpdate: plan.runStep as Run,
    nextBatch: next.runStep as Run,
    detachSurge: detach.runStep as Run,
    sendDrain: sendDrain.runStep as Run,
    checkDrain: checkDrain.runStep as Run,
    sendLeave: sendLeave.runStep as Run,
    terminateOld: terminateOld.runStep as Run,
    launchReplacement: launchReplacement.runStep as Run,
    sendReplacementJoin: sendReplacementJoin.runStep as Run,
    validationFailed: validationFailed.runStep as Run,
    prepareUpgrade: prepare.runStep as Run,
    sendControlPlaneUpgrade: sendUpgrade.runStep as Run,
    updateNodeTemplates: updateTemplates.runStep as Run,
    startRollingUpdate: nested.step.run as Run,
    checkRollingUpdate: nestedCheck.step.run as Run,
  };
}
