/** EC2 machine types: their CPU architecture and Hopper's defaults per architecture. */

/** CPU architecture of a cluster's images. One per cluster: images are baked per architecture. */
export type Architecture = 'amd64' | 'arm64';

/** `t3.medium`, `m7g.2xlarge`, `u-6tb1.metal`, `m7i-flex.large`. */
export const MACHINE_TYPE_PATTERN = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

// Graviton families carry a `g` right after the generation digit: m7g, t4g, c6gn, r6gd,
// im4gn, is4gen, x2gd, hpc7g, g5g. GPU families such as g4dn or g6e do not match because the
// `g` there is the family letter, before the digit. a1 is the first-generation Graviton.
const GRAVITON_FAMILY = /^(?:a1|[a-z]+\d+g[a-z]*)$/;

/** The architecture a machine type runs: arm64 for Graviton families, amd64 otherwise. */
export function architectureOf(machineType: string): Architecture {
  const family = machineType.split('.')[0];
  return GRAVITON_FAMILY.test(family) ? 'arm64' : 'amd64';
}

/** Default machine types per architecture: the general-purpose burstable of each. */
export const DEFAULT_MACHINE_TYPES: Readonly<Record<Architecture, { node: string; controlPlane: string; bastion: string }>> = {
  amd64: { node: 't3.medium', controlPlane: 't3.medium', bastion: 't3.micro' },
  arm64: { node: 't4g.medium', controlPlane: 't4g.medium', bastion: 't4g.micro' },
};
