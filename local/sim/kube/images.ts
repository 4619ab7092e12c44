/**
 * containerd's content store on a simulated host, as far as kubeadm cares: which of the
 * control plane's images are there. `kubeadm config images pull` (the bake runs it, so every
 * host booted from the image has them) puts them there; `kubeadm init` and `join` pull what is
 * missing — through the host's way out to the registry, so a private host without its NAT
 * gateway yet fails kubeadm's ImagePull preflight for any image the image did not bring.
 */
import type { ProducedFile } from '../hosts/protocol';
import type { KubeHost } from './host';
import { type KubeVersion, formatVersion } from './version';

/** A list of image references, one per line (stands for containerd's content and metadata). */
export const IMAGE_STORE = '/var/lib/containerd/io.containerd.content.v1.content/hopper-images';
export const DEFAULT_REPOSITORY = 'registry.k8s.io';

/** What `kubeadm config images list` names for a version: the control plane's, or a worker's (kube-proxy, pause). */
export function kubeadmImages(version: KubeVersion, repository = DEFAULT_REPOSITORY, controlPlane = true): string[] {
  const v = formatVersion(version);
  const worker = [`${repository}/kube-proxy:${v}`, `${repository}/pause:3.10`];
  if (!controlPlane) return worker;
  return [
    `${repository}/kube-apiserver:${v}`,
    `${repository}/kube-controller-manager:${v}`,
    `${repository}/kube-scheduler:${v}`,
    ...worker,
    `${repository}/etcd:3.5.16-0`,
    `${repository}/coredns/coredns:v1.11.3`,
  ];
}

function stored(host: KubeHost): Set<string> {
  return new Set((host.read?.(IMAGE_STORE) ?? '').split('\n').filter(Boolean));
}

export function missingImages(host: KubeHost, images: string[]): string[] {
  const have = stored(host);
  return images.filter((i) => !have.has(i));
}

/** The store with `images` added. */
export function storeWith(host: KubeHost, images: string[]): ProducedFile {
  const all = [...new Set([...stored(host), ...images])].sort();
  return { path: IMAGE_STORE, content: `${all.join('\n')}\n`, mode: '0644', createDirs: true };
}

/** kubeadm's preflight error for an image it could not pull (no way out to the registry). */
export function pullError(image: string): string {
  const registry = image.split('/')[0];
  return `[ERROR ImagePull]: failed to pull image ${image}: output: E0101 00:00:00.000000 failed to pull and unpack image "${image}": failed to resolve reference "${image}": failed to do request: Head "https://${registry}/v2/": dial tcp: lookup ${registry}: i/o timeout`;
}
