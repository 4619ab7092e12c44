/**
 * The whole path on the simulator's hosts, which run the rendered scripts under bash with
 * shims for kubeadm, kubectl and aws: bake an image, launch the control plane, init it over
 * SSM, install the add-ons, launch the node group, and validate until it passes.
 */
import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand } from '../../functions/commands/check-command';
import { checkInstancesOnline } from '../../functions/commands/check-instances-online';
import { sendScript } from '../../functions/commands/send-script';
import { initControlPlane } from '../../functions/control-plane/init-control-plane';
import { installAddons } from '../../functions/control-plane/install-addons';
import { launchControlPlane } from '../../functions/control-plane/launch-control-plane';
import { renderContext } from '../../functions/control-plane/render-context';
import { ensureAutoScalingGroup } from '../../functions/nodes/auto-scaling-groups';
import { ensureLaunchTemplate } from '../../functions/nodes/launch-templates';
import { checkValidation, type CheckValidationOutput } from '../../functions/validate/check-validation';
import { validateCluster } from '../../functions/validate/validate-cluster';
import { classify } from '../../functions/lib/step';
import { HopperError, NotReadyError } from '../../shared/errors';
import { renderBakeScript } from '../../shared/render';
import { startStepEnv } from '../helpers/step-env';
import { baseSpec, startWorld, type World } from './world';

let w: World;

beforeAll(async () => {
  // Commands really run under bash: simulated time must leave them real milliseconds to finish.
  const env = await startStepEnv({ timeScale: 100 });
  w = await startWorld({ ...baseSpec, instanceGroups: [{ name: 'nodes', min: 2, max: 3, machineType: 't3.medium' }] }, env);
});
afterAll(() => w?.env.stop());

/** Calls a step core again while it fails with what the state machine would retry (not ready, NotFound just after a create). */
async function poll<T>(fn: () => Promise<T>, timeoutMs = 40000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const hopper = classify(err, 'step');
      if (!(hopper instanceof HopperError && hopper.retryable) || Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('a cluster on the simulator’s hosts', () => {
  it('launches, initialises over SSM and validates after the nodes join', async () => {
    const deps = w.env.deps;
    // A baked image: the bake script on a builder, then CreateImage.
    const builder = (
      await deps.clients.ec2.send(
        new ec2.RunInstancesCommand({ ImageId: w.imageId, InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, SubnetId: w.subnets[0].privateSubnetId }),
      )
    ).Instances![0].InstanceId!;
    await poll(() => checkInstancesOnline({ instanceIds: [builder] }, deps));
    const ctx = renderContext(w.spec, '10.0.0.1:6443', deps);
    // The simulated Ubuntu root has no /etc/fstab yet (the bake edits it to disable swap).
    const prep = await sendScript(deps, { instanceIds: [builder], script: '#!/bin/bash\ntouch /etc/fstab\n', comment: 'prep', timeoutSeconds: 3600 }); // SSM's default: a minute is milliseconds at this time scale
    await poll(() => checkCommand({ commandId: prep, instanceId: builder, step: 'Prepare' }, deps));
    const bake = await sendScript(deps, { instanceIds: [builder], script: renderBakeScript(ctx), comment: 'bake', timeoutSeconds: 900 });
    await poll(() => checkCommand({ commandId: bake, instanceId: builder, step: 'Bake' }, deps));
    const imageId = (await deps.clients.ec2.send(new ec2.CreateImageCommand({ InstanceId: builder, Name: 'hopper-test' }))).ImageId!;
    await poll(async () => {
      const img = (await deps.clients.ec2.send(new ec2.DescribeImagesCommand({ ImageIds: [imageId] })).catch(() => undefined))?.Images?.[0];
      if (img?.State !== 'available') throw new NotReadyError('image pending');
    });

    const cp = await launchControlPlane({ cluster: 'demo', imageId, subnets: w.subnets, securityGroups: w.securityGroups }, deps);
    await poll(() => checkInstancesOnline({ instanceIds: cp.instanceIds }, deps));
    const init = await initControlPlane({ cluster: 'demo', operationId: w.operationId, instanceId: cp.first, apiEndpoint: cp.apiEndpoint }, deps);
    await poll(() => checkCommand({ ...init, step: 'InitControlPlane' }, deps));
    const addons = await installAddons({ cluster: 'demo', operationId: w.operationId, instanceId: cp.first }, deps);
    await poll(() => checkCommand({ ...addons, step: 'InstallAddons' }, deps));
    const launchTemplate = await ensureLaunchTemplate({ cluster: 'demo', group: 'nodes', imageId, securityGroups: w.securityGroups }, deps);
    await poll(() => ensureAutoScalingGroup({ cluster: 'demo', group: 'nodes', subnets: w.subnets, launchTemplate }, deps));

    let result: CheckValidationOutput = { ok: false, passes: 0, endedAt: new Date().toISOString(), nodes: [], failures: [] };
    const end = Date.now() + 40000;
    while (result.passes < 2 && Date.now() < end) {
      const command = await validateCluster({ cluster: 'demo', operationId: w.operationId, controlPlane: cp }, deps);
      result = await poll(() => checkValidation({ cluster: 'demo', command, passes: result.passes }, deps));
      if (result.passes < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(result.failures).toEqual([]);
    expect(result.passes).toBe(2);
    expect(result.nodes.map((n) => n.role).sort()).toEqual(['control-plane', 'node', 'node']);
  });
});
