/**
 * In-place Kubernetes upgrade of a control-plane instance, the kubeadm way: new kubeadm,
 * `kubeadm upgrade apply` on the first control plane and `kubeadm upgrade node` on the
 * others, then the new kubelet and kubectl. Nodes get the new version by being rolled
 * onto the new image, not through these scripts.
 */
import { parseKubeVersion, RenderError, resolveContext } from './context';
import { installPinned, kubernetesRepository } from './packages';
import { RUN_LOGGED, script, shellQuote } from './shell';
import type { RenderContext } from './types';

/** Options of {@link renderUpgradeScripts}. */
export interface UpgradeOptions {
  /** The first control-plane instance runs `kubeadm upgrade apply`, the others `kubeadm upgrade node`. */
  first: boolean;
  /** Target version, `1.32.0` or `v1.32.0`; at most one minor above `ctx.kubernetesVersion`. */
  version: string;
}

/**
 * The upgrade of one control-plane instance in two parts, because the instance is drained
 * between them: `kubeadm` (repository of the new minor, kubeadm, the upgrade itself) and
 * `kubelet` (kubelet and kubectl, kubelet restart). `full` is both in one script.
 */
export interface UpgradeScripts {
  kubeadm: string;
  kubelet: string;
  full: string;
}

/** Renders the upgrade scripts; refuses a downgrade or a skipped minor (kubeadm would). */
export function renderUpgradeScripts(ctx: RenderContext, options: UpgradeOptions): UpgradeScripts {
  const r = resolveContext(ctx);
  const target = parseKubeVersion(options.version);
  if (!target) throw new RenderError('invalid target version', [{ path: 'version', message: 'must look like 1.32.0' }]);
  const step = target.minor - r.version.minor;
  if (target.major !== r.version.major || step < 0 || step > 1 || (step === 0 && target.patch < r.version.patch)) {
    throw new RenderError(`cannot upgrade from ${r.versionTag} to ${options.version}`, [
      { path: 'version', message: 'must be the same or the next minor version, never lower' },
    ]);
  }
  const tag = `v${target.major}.${target.minor}.${target.patch}`;
  const upgrade = options.first
    ? [
        // plan fails early, with a readable reason, when the cluster cannot take this version.
        'run_logged kubeadm-upgrade-plan kubeadm upgrade plan',
        `run_logged kubeadm-upgrade-apply kubeadm upgrade apply ${shellQuote(tag)} --yes`,
        `echo ${shellQuote(`hopper: control plane upgraded to ${tag} (kubeadm upgrade apply)`)}`,
      ]
    : ['run_logged kubeadm-upgrade-node kubeadm upgrade node', `echo ${shellQuote(`hopper: control-plane instance upgraded to ${tag} (kubeadm upgrade node)`)}`];
  const kubeadmPart = [kubernetesRepository(r, target), installPinned(r, ['kubeadm'], target), RUN_LOGGED, upgrade.join('\n')];
  const kubeletPart = [
    kubernetesRepository(r, target),
    installPinned(r, ['kubelet', 'kubectl'], target),
    'systemctl restart kubelet',
    `echo ${shellQuote(`hopper: kubelet and kubectl at ${tag}`)}`,
  ];
  // 022: the apt keyring must stay readable by apt's unprivileged downloader.
  const options022 = { umask: '022' as const };
  const role = options.first ? 'first control-plane instance' : 'control-plane instance';
  return {
    kubeadm: script(r, `upgrade kubeadm and the ${role} to ${tag}`, kubeadmPart, options022),
    kubelet: script(r, `upgrade kubelet and kubectl to ${tag}`, kubeletPart, options022),
    full: script(r, `upgrade the ${role} to ${tag}`, [...kubeadmPart, ...kubeletPart.slice(1)], options022),
  };
}
