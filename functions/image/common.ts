/**
 * What the image steps share: the bake key an image is cached under, the names and tags of
 * baked images and builders, the bake workflow's input, and the render context of the bake
 * script.
 *
 * An image is baked once per (Kubernetes version, architecture, region) and reused by every
 * cluster that needs the same. The bake also writes the cluster's package and registry
 * mirrors into the image (apt source, containerd hosts), so a cluster with mirrors gets its
 * own key: a cluster without mirrors must never boot an image that pulls from someone's
 * private mirror. A recipe revision in the key retires old images when the bake changes.
 */
import { createHash } from 'node:crypto';
import { DescribeImagesCommand, DescribeInstancesCommand, type Image, type Instance } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import type { RenderContext } from '../../shared/render';
import type { ClusterSpec } from '../../shared/spec';
import { HOPPER_CLUSTER_TAG, HOPPER_ROLE_TAG } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';

/** Tag on a baked image: the bake key it answers. */
export const IMAGE_KEY_TAG = 'hopper:image-key';
export const IMAGE_VERSION_TAG = 'hopper:kubernetes-version';
export const IMAGE_ARCH_TAG = 'hopper:architecture';
/** Informational: the cluster whose operation baked it (the image belongs to no cluster). */
export const IMAGE_BAKED_BY_TAG = 'hopper:baked-by';
/** Tag on a builder instance: the bake (execution name) that launched it. */
export const BAKE_ID_TAG = 'hopper:bake-id';
/** `hopper:role` of builder instances and their security group. */
export const BUILDER_ROLE = 'image-builder';

/** Bumped whenever the bake script changes what an image holds. */
export const BAKE_RECIPE = 'r1';

export const architectureSchema = z.enum(['amd64', 'arm64']);
export type Architecture = z.infer<typeof architectureSchema>;

export type Assets = ClusterSpec['assets'];

/** The parts of `assets` the bake writes into the image, fingerprinted; undefined without any. */
function assetsFingerprint(assets: Partial<Assets> | undefined): string | undefined {
  const baked = { packageBaseUrl: assets?.packageBaseUrl, registryMirrors: assets?.registryMirrors ?? [] };
  if (!baked.packageBaseUrl && baked.registryMirrors.length === 0) return undefined;
  return createHash('sha256').update(JSON.stringify(baked)).digest('hex').slice(0, 10);
}

export interface KeyParts {
  kubernetesVersion: string;
  architecture: Architecture;
  region: string;
  assets?: Partial<Assets>;
}

/** The bake key: `1.31.4/amd64/us-east-1/r1` (with `/assets-<hash>` when mirrors are baked in). */
export function imageKey(parts: KeyParts): string {
  const fp = assetsFingerprint(parts.assets);
  return [parts.kubernetesVersion.replace(/^v/, ''), parts.architecture, parts.region, BAKE_RECIPE, ...(fp ? [`assets-${fp}`] : [])].join('/');
}

/** The AMI name of a key (names are per region, so the region is left out): `hopper-node-1.31.4-amd64-r1`. */
export function imageName(key: string): string {
  const [version, arch, , ...rest] = key.split('/');
  return ['hopper-node', version, arch, ...rest].join('-');
}

/** The images of a key this account owns, newest first (any state but deregistered). */
export async function findImagesByKey(deps: StepDeps, key: string): Promise<Image[]> {
  const out = await deps.clients.ec2.send(
    new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${IMAGE_KEY_TAG}`, Values: [key] }] }),
  );
  return newestFirst(out.Images ?? []);
}

/** The newest available image baked for a key, if any. */
export async function findAvailableImage(deps: StepDeps, key: string): Promise<Image | undefined> {
  return (await findImagesByKey(deps, key)).find((i) => i.State === 'available');
}

export function newestFirst(images: Image[]): Image[] {
  return [...images].sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''));
}

/** The live (not terminated) builder instances a bake launched, found by tag. */
export async function findBuilders(deps: StepDeps, cluster: string, bakeId: string): Promise<Instance[]> {
  const out = await deps.clients.ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${BAKE_ID_TAG}`, Values: [bakeId] },
        { Name: `tag:${HOPPER_CLUSTER_TAG}`, Values: [cluster] },
        { Name: `tag:${HOPPER_ROLE_TAG}`, Values: [BUILDER_ROLE] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
      ],
    }),
  );
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

/** The bake-image workflow's execution input (resolveImage and upgrade start it with this). */
export const bakeInputSchema = z.object({
  cluster: z.string(),
  operationId: z.string(),
  region: z.string(),
  kubernetesVersion: z.string(),
  architecture: architectureSchema,
  /** A utility (public) subnet routed to the internet gateway. */
  subnetId: z.string(),
  vpcId: z.string(),
  imageName: z.string(),
  /** The bake key; computed from the cluster's spec when absent. */
  imageKey: z.string().optional(),
});
export type BakeInput = z.infer<typeof bakeInputSchema>;

/** The bake input for a cluster: deterministic, so StartExecution with it is idempotent. */
export function bakeInput(spec: ClusterSpec, args: { operationId: string; kubernetesVersion: string; subnetId: string; vpcId: string }): Required<BakeInput> {
  const key = imageKey({ kubernetesVersion: args.kubernetesVersion, architecture: spec.architecture, region: spec.region, assets: spec.assets });
  return {
    cluster: spec.name,
    operationId: args.operationId,
    region: spec.region,
    kubernetesVersion: args.kubernetesVersion,
    architecture: spec.architecture,
    subnetId: args.subnetId,
    vpcId: args.vpcId,
    imageName: imageName(key),
    imageKey: key,
  };
}

/** The key a bake step works for: the one in its input, else the one the cluster's spec gives. */
export async function keyOf(deps: StepDeps, input: { cluster: string; imageKey?: string; kubernetesVersion: string; architecture: Architecture; region: string }): Promise<string> {
  if (input.imageKey) return input.imageKey;
  const { spec } = await loadCluster(deps, input.cluster);
  return imageKey({ ...input, assets: spec.assets });
}

/**
 * The render context of the bake script. The bake reads only the version, architecture and
 * assets; the renderer validates a whole context, so the rest is filled from the spec with
 * a placeholder endpoint and key (nothing in the bake uses them).
 */
export function bakeRenderContext(spec: ClusterSpec, args: { kubernetesVersion: string; architecture: Architecture; region: string }): RenderContext {
  return {
    clusterName: spec.name,
    region: args.region,
    kubernetesVersion: args.kubernetesVersion,
    architecture: args.architecture,
    networking: spec.networking,
    podCidr: spec.podCidr,
    serviceCidr: spec.serviceCidr,
    controlPlaneEndpoint: 'localhost:6443',
    apiServerCertSANs: [],
    parameterKeyId: 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-a000-000000000000', // a placeholder too: the bake writes no parameter
    assets: {
      packageBaseUrl: spec.assets.packageBaseUrl,
      binaryBaseUrl: spec.assets.binaryBaseUrl,
      registryMirrors: spec.assets.registryMirrors,
    },
  };
}

/** The builder's machine type: the default node type of the architecture (burstable, cheap). */
export function builderMachineType(architecture: Architecture): string {
  return architecture === 'arm64' ? 't4g.medium' : 't3.medium';
}
