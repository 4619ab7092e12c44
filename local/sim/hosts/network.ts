/**
 * The outside world as a simulated host sees it: package repositories and manifest
 * downloads answer plausibly; any other host does not resolve, as on a closed
 * network. (The metadata service is in `imds.ts`.)
 */

export type FetchResult = { status: number; body: string; contentType?: string } | { error: 'resolve'; host: string };

/** A PGP public key block, so `gpg --dearmor` has something real-looking to eat. */
export function armoredKey(name: string): string {
  const body = Buffer.from(`simulated signing key for ${name}`).toString('base64');
  return `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${body}\n=SIMU\n-----END PGP PUBLIC KEY BLOCK-----\n`;
}

/** A tiny manifest whose kinds and names are those of the real one. */
function manifest(objects: { kind: string; apiVersion: string; name: string; namespace?: string }[], note: string): string {
  return (
    `# ${note} (simulated)\n` +
    objects
      .map((o) => `---\napiVersion: ${o.apiVersion}\nkind: ${o.kind}\nmetadata:\n  name: ${o.name}\n${o.namespace ? `  namespace: ${o.namespace}\n` : ''}`)
      .join('')
  );
}

const ds = (name: string) => [
  { kind: 'ServiceAccount', apiVersion: 'v1', name, namespace: 'kube-system' },
  { kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', name },
  { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', name },
  { kind: 'DaemonSet', apiVersion: 'apps/v1', name, namespace: 'kube-system' },
];

/** Manifests by a pattern on the URL. */
const MANIFESTS: { match: RegExp; body: () => string }[] = [
  { match: /calico.*\.ya?ml$/, body: () => manifest([...ds('calico-node'), { kind: 'Deployment', apiVersion: 'apps/v1', name: 'calico-kube-controllers', namespace: 'kube-system' }], 'Calico') },
  { match: /cilium.*\.ya?ml$/, body: () => manifest([...ds('cilium'), { kind: 'Deployment', apiVersion: 'apps/v1', name: 'cilium-operator', namespace: 'kube-system' }], 'Cilium') },
  { match: /amazon-vpc-cni|aws-k8s-cni.*\.ya?ml$/, body: () => manifest(ds('aws-node'), 'Amazon VPC CNI') },
  { match: /cloud-provider-aws|aws-cloud-controller-manager/, body: () => manifest(ds('aws-cloud-controller-manager'), 'AWS cloud controller manager') },
];

/** Hosts that exist on this network; everything else fails name resolution. */
const KNOWN_HOSTS = ['pkgs.k8s.io', 'prod-cdn.packages.k8s.io', 'download.docker.com', 'raw.githubusercontent.com', 'github.com', 'objects.githubusercontent.com', 'archive.ubuntu.com', 'security.ubuntu.com', 'dl.k8s.io', 'docs.projectcalico.org', 'kubernetes.github.io', 'helm.cilium.io'];

/** Answers a GET as the internet (or the configured mirror) would. */
export function fetchUrl(url: string): FetchResult {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { error: 'resolve', host: url };
  }
  const known = KNOWN_HOSTS.includes(u.hostname) || u.hostname.endsWith('.amazonaws.com') || u.hostname.endsWith('.archive.ubuntu.com');
  if (!known) return { error: 'resolve', host: u.hostname };
  if (/Release\.key$|\/gpg$|\.gpg$|\.asc$/.test(u.pathname)) return { status: 200, body: armoredKey(u.hostname + u.pathname) };
  const m = MANIFESTS.find((x) => x.match.test(u.pathname));
  if (m) return { status: 200, body: m.body() };
  return { status: 404, body: '404: Not Found' };
}

/** Which CNI (or the cloud controller manager) a manifest installs, by its DaemonSet names. */
export function recogniseManifest(text: string, source: string): 'cilium' | 'calico' | 'amazon-vpc-cni' | 'ccm' | undefined {
  const hay = `${source}\n${text}`;
  if (/name: calico-node|calico/.test(hay)) return 'calico';
  if (/name: cilium\b|cilium/.test(hay)) return 'cilium';
  if (/name: aws-node\b|amazon-vpc-cni|aws-k8s-cni/.test(hay)) return 'amazon-vpc-cni';
  if (/aws-cloud-controller-manager|cloud-provider-aws/.test(hay)) return 'ccm';
  return undefined;
}
