import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { startStepEnv, type StepEnv } from '../helpers/step-env';
import { checkCommand } from '../../functions/commands/check-command';
import { checkInstancesOnline } from '../../functions/commands/check-instances-online';
import { sendScript } from '../../functions/commands/send-script';
import { checkBuilderStopped, stopBuilder } from '../../functions/image/builder-state';
import { checkImage } from '../../functions/image/check-image';
import { bakeInput, BUILDER_ROLE, IMAGE_KEY_TAG, imageKey } from '../../functions/image/common';
import { createImage } from '../../functions/image/create-image';
import { findBakedImage } from '../../functions/image/find-baked-image';
import { installPackages } from '../../functions/image/install-packages';
import { launchBuilder } from '../../functions/image/launch-builder';
import { resolveBaseImage } from '../../functions/image/resolve-base-image';
import { resolveImage } from '../../functions/image/resolve-image';
import { terminateBuilder } from '../../functions/image/terminate-builder';
import type { StepDeps } from '../../functions/lib/deps';
import type { ClusterSpec } from '../../shared/spec';
import { clusterWithNetwork, PROBE_TIMEOUT_SECONDS, seedFstab, simList, untilReady, type ClusterWithNetwork } from './helpers';

let env: StepEnv;
beforeAll(async () => {
  env = await startStepEnv();
});
afterAll(async () => {
  await env?.stop();
});

/** Deps whose Step Functions client records calls and must not be used. */
function withoutStepFunctions(deps: StepDeps): { deps: StepDeps; calls: unknown[] } {
  const calls: unknown[] = [];
  const sfn = { send: async (command: unknown) => void calls.push(command) } as unknown as SFNClient;
  return { deps: { ...deps, clients: { ...deps.clients, sfn } }, calls };
}

/**
 * The version baked here. The simulated pkgs.k8s.io carries 1.31 only up to 1.31.4, while
 * the spec supports 1.31.13 (reported to the simulator's engineers): the bake input names
 * its version explicitly, as an upgrade's does, so the tests bake the one the archive has.
 */
const BAKE_VERSION = '1.31.4';

async function specOf(cluster: string): Promise<ClusterSpec> {
  return (await env.deps.store.requireCluster(cluster)).spec as unknown as ClusterSpec;
}

async function builders(bakeId: string) {
  return (await simList(env, 'instances')).filter((i) => i.tags?.['hopper:bake-id'] === bakeId);
}

describe('bake-image steps, in workflow order', () => {
  let net: ClusterWithNetwork;
  let bake: ReturnType<typeof bakeInput>;
  let imageId: string;
  const bakeId = 'bake-steps-1';

  beforeAll(async () => {
    net = await clusterWithNetwork(env, 'baker');
    bake = bakeInput(await specOf(net.cluster), { operationId: net.operationId, kubernetesVersion: BAKE_VERSION, subnetId: net.subnetId, vpcId: net.vpcId });
  });

  it('bakes an image, and every step run twice creates nothing new', async () => {
    const deps = env.deps;
    const base = { cluster: net.cluster, operationId: net.operationId };
    expect(bake.imageKey).toBe('1.31.4/amd64/us-east-1/r1');
    expect(bake.imageName).toBe('hopper-node-1.31.4-amd64-r1');
    expect(await findBakedImage({ ...base, ...bake }, deps)).toEqual({ state: 'none', imageKey: bake.imageKey });

    const baseImage = await resolveBaseImage({ architecture: 'amd64' }, deps);
    expect(await resolveBaseImage({ architecture: 'amd64' }, deps)).toEqual(baseImage);
    expect(baseImage.name).toContain('ubuntu-noble-24.04-amd64');

    const launchInput = { ...base, bakeId, vpcId: net.vpcId, subnetId: net.subnetId, architecture: 'amd64' as const, baseImageId: baseImage.imageId, rootDeviceName: baseImage.rootDeviceName };
    const builder = await launchBuilder(launchInput, deps);
    expect(await launchBuilder(launchInput, deps)).toEqual(builder);
    expect(await builders(bakeId)).toHaveLength(1);

    // The builder: IMDSv2 only, encrypted gp3 root, public address, the builder profile, no ingress.
    const inst = (await deps.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [builder.instanceId] }))).Reservations![0].Instances![0];
    expect(inst.MetadataOptions?.HttpTokens).toBe('required');
    expect(inst.IamInstanceProfile?.Arn).toContain('hopper-test-image-builder');
    expect(inst.SubnetId).toBe(net.subnetId);
    const simInst = (await simList(env, 'instances')).find((i) => i.id === builder.instanceId)!;
    expect(simInst.blockDeviceMappings).toMatchObject([{ volumeType: 'gp3', encrypted: true }]);
    expect(simInst.tags).toMatchObject({ 'hopper:role': BUILDER_ROLE, 'hopper:cluster': net.cluster, [`kubernetes.io/cluster/${net.cluster}`]: 'owned' });
    const groups = (await deps.clients.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:hopper:role', Values: [BUILDER_ROLE] }, { Name: 'vpc-id', Values: [net.vpcId] }] }))).SecurityGroups!;
    expect(groups.map((g) => g.GroupId)).toEqual([builder.securityGroupId]);
    expect(groups[0].IpPermissions ?? []).toEqual([]);
    const recorded = await deps.store.listResources(net.cluster);
    expect(recorded.filter((r) => r.id === builder.instanceId || r.id === builder.securityGroupId).map((r) => r.type).sort()).toEqual(['instance', 'security-group']);

    await untilReady(() => checkInstancesOnline({ instanceIds: [builder.instanceId] }, deps));
    await seedFstab(env, builder.instanceId);

    const installInput = { ...base, instanceId: builder.instanceId, kubernetesVersion: bake.kubernetesVersion, architecture: bake.architecture, region: bake.region };
    const install = await installPackages(installInput, deps);
    expect(await installPackages(installInput, deps)).toEqual(install);
    const installed = await untilReady(() => checkCommand({ ...install, step: 'InstallPackages' }, deps), 60_000);
    expect(installed.output).toContain('hopper: image ready: Kubernetes v1.31.4');

    expect((await stopBuilder({ instanceId: builder.instanceId }, deps)).state).toMatch(/stopping|stopped/);
    expect((await stopBuilder({ instanceId: builder.instanceId }, deps)).state).toMatch(/stopping|stopped/);
    await untilReady(() => checkBuilderStopped({ instanceId: builder.instanceId }, deps));

    const createInput = { ...base, instanceId: builder.instanceId, imageName: bake.imageName, imageKey: bake.imageKey, kubernetesVersion: bake.kubernetesVersion, architecture: bake.architecture, region: bake.region };
    const created = await createImage(createInput, deps);
    expect((await createImage(createInput, deps)).imageId).toBe(created.imageId);
    const images = (await simList(env, 'images')).filter((i) => i.tags?.[IMAGE_KEY_TAG] === bake.imageKey);
    expect(images.map((i) => i.id)).toEqual([created.imageId]);
    // Shared by every cluster of the key: tagged with the key, not owned by the cluster that baked it.
    expect(images[0].tags).toMatchObject({ 'hopper:kubernetes-version': '1.31.4', 'hopper:architecture': 'amd64', 'hopper:baked-by': net.cluster });
    expect(Object.keys(images[0].tags ?? {})).not.toContain(`kubernetes.io/cluster/${net.cluster}`);
    expect(images[0].blockDeviceMappings).toMatchObject([{ encrypted: true }]);

    expect(await untilReady(() => checkImage({ imageId: created.imageId }, deps))).toEqual({ imageId: created.imageId, state: 'available' });

    const done = await terminateBuilder({ ...base, bakeId, builder }, deps);
    expect(done.terminated).toEqual([builder.instanceId]);
    await terminateBuilder({ ...base, bakeId, builder }, deps);
    expect((await builders(bakeId)).every((i) => i.state === 'shutting-down' || i.state === 'terminated')).toBe(true);

    expect(await findBakedImage({ ...base, ...bake }, deps)).toEqual({ state: 'available', imageId: created.imageId, imageKey: bake.imageKey });
    imageId = created.imageId;
  });

  it('boots nodes from the baked image with kubeadm, kubelet and kubectl pinned', async () => {
    const baked = await launchBuilder(
      { cluster: net.cluster, operationId: net.operationId, bakeId: 'boot-from-image', vpcId: net.vpcId, subnetId: net.subnetId, architecture: 'amd64', baseImageId: imageId },
      env.deps,
    );
    await untilReady(() => checkInstancesOnline({ instanceIds: [baked.instanceId] }, env.deps));
    const commandId = await sendScript(env.deps, {
      instanceIds: [baked.instanceId],
      script: '#!/bin/bash\nset -euo pipefail\nkubeadm version -o short\napt-mark showhold\n',
      comment: 'hopper baker probe packages',
      timeoutSeconds: PROBE_TIMEOUT_SECONDS,
    });
    const out = await untilReady(() => checkCommand({ commandId, instanceId: baked.instanceId, step: 'Probe' }, env.deps));
    expect(out.output.split('\n')).toEqual(['v1.31.4', 'kubeadm', 'kubectl', 'kubelet']);
    await terminateBuilder({ cluster: net.cluster, operationId: net.operationId, bakeId: 'boot-from-image', builder: baked }, env.deps);
  });

  it('resolveImage reuses the cached image and starts no bake', async () => {
    const other = await clusterWithNetwork(env, 'reuser');
    const { deps, calls } = withoutStepFunctions(env.deps);
    const out = await resolveImage({ cluster: other.cluster, operationId: other.operationId, vpcId: other.vpcId, subnets: other.subnets, kubernetesVersion: BAKE_VERSION }, deps);
    expect(out).toEqual({ imageId });
    expect(calls).toEqual([]);
  });

  it('resolveImage takes the spec image as it is', async () => {
    const given = await clusterWithNetwork(env, 'given', { image: { id: imageId } });
    const { deps, calls } = withoutStepFunctions(env.deps);
    expect(await resolveImage({ cluster: given.cluster, operationId: given.operationId, vpcId: given.vpcId, subnets: given.subnets }, deps)).toEqual({ imageId });
    expect(calls).toEqual([]);
  });

  it('gives a cluster with mirrors its own key: an image with baked-in mirrors is not shared with others', () => {
    const plain = imageKey({ kubernetesVersion: '1.31.13', architecture: 'amd64', region: 'us-east-1', assets: { registryMirrors: [] } });
    const mirrored = imageKey({ kubernetesVersion: '1.31.13', architecture: 'amd64', region: 'us-east-1', assets: { registryMirrors: ['https://mirror.example.cn'] } });
    expect(plain).toBe('1.31.13/amd64/us-east-1/r1');
    expect(mirrored).toMatch(/^1\.31\.13\/amd64\/us-east-1\/r1\/assets-[0-9a-f]{10}$/);
  });
});

describe('a crash after LaunchBuilder', () => {
  it('adopts the builder on the retry, and TerminateBuilder finds it without its id', async () => {
    const net = await clusterWithNetwork(env, 'crash');
    const baseImage = await resolveBaseImage({ architecture: 'amd64' }, env.deps);
    const input = { cluster: net.cluster, operationId: net.operationId, bakeId: 'bake-crash-1', vpcId: net.vpcId, subnetId: net.subnetId, architecture: 'amd64' as const, baseImageId: baseImage.imageId };
    // The first launch's result is lost (the Lambda died after RunInstances answered).
    const lost = await launchBuilder(input, env.deps);
    const retried = await launchBuilder(input, env.deps);
    expect(retried.instanceId).toBe(lost.instanceId);
    expect(await builders('bake-crash-1')).toHaveLength(1);

    // A failure path that never saw LaunchBuilder's result still terminates the builder.
    const out = await terminateBuilder({ cluster: net.cluster, operationId: net.operationId, bakeId: 'bake-crash-1', builder: {} }, env.deps);
    expect(out.terminated).toEqual([lost.instanceId]);
    expect((await builders('bake-crash-1')).map((i) => i.state)).toEqual([expect.stringMatching(/shutting-down|terminated/)]);
  });
});
