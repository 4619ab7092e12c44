/**
 * The Kubernetes Debian repository and pinned packages, shared by the image bake and the
 * upgrade scripts. pkgs.k8s.io keeps one repository per minor version (the old
 * apt.kubernetes.io repository is gone), so an upgrade rewrites the source first.
 */
import { packageBaseUrl, packageVersion, type KubeVersion, type ResolvedContext } from './context';
import { shellQuote, writeFile } from './shell';

const KEYRING = '/etc/apt/keyrings/kubernetes-apt-keyring.gpg';

/** Installs the repository key and source of `version`'s minor, then refreshes the package lists. */
export function kubernetesRepository(r: ResolvedContext, version: KubeVersion = r.version): string {
  const base = packageBaseUrl(r, version);
  return [
    `# Kubernetes packages of v${version.major}.${version.minor} from ${base}`,
    'mkdir -p /etc/apt/keyrings',
    // gpg refuses to overwrite without a terminal: start from no keyring so re-runs work.
    `rm -f ${KEYRING}`,
    `curl -fsSL ${shellQuote(`${base}Release.key`)} | gpg --dearmor -o ${KEYRING}`,
    writeFile('/etc/apt/sources.list.d/kubernetes.list', `deb [signed-by=${KEYRING}] ${base} /`),
    'apt-get update',
  ].join('\n');
}

/**
 * Installs the named packages pinned to `version` and holds them, so an unattended
 * upgrade never moves a node past its control plane.
 */
export function installPinned(r: ResolvedContext, packages: string[], version: KubeVersion = r.version): string {
  const pinned = packages.map((name) => shellQuote(`${name}=${packageVersion(r, version)}`)).join(' ');
  return [
    // Held packages may only change with this flag; the hold is set again right after.
    `apt-get install -y --allow-change-held-packages ${pinned}`,
    `apt-mark hold ${packages.join(' ')}`,
  ].join('\n');
}
