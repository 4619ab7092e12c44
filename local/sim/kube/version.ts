/**
 * Kubernetes versions and the version-skew policy the simulated cluster enforces
 * (https://kubernetes.io/releases/version-skew-policy/): kubeadm deploys its own minor,
 * upgrades go one minor at a time, a kubelet may be up to three minors older than the
 * API server and never newer.
 */
export interface KubeVersion {
  major: number;
  minor: number;
  patch: number;
}

/**
 * Parses `v1.31.4`, `1.31.4` or a Debian package version such as `1.31.4-1.1`.
 * Returns undefined for anything else, so callers can answer with kubeadm's own error.
 */
export function parseVersion(text: string): KubeVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.+~-]+)?$/.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** `v1.31.4`: the form Kubernetes reports versions in (nodeInfo.kubeletVersion). */
export function formatVersion(v: KubeVersion): string {
  return `v${v.major}.${v.minor}.${v.patch}`;
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: KubeVersion, b: KubeVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** How many minors `a` is ahead of `b` (negative when behind); majors are all 1. */
export function minorDistance(a: KubeVersion, b: KubeVersion): number {
  return (a.major - b.major) * 100 + (a.minor - b.minor);
}

/** The oldest kubelet minor the policy allows next to an API server. */
export const MAX_KUBELET_MINORS_BEHIND = 3;

/**
 * Why a kubelet at `kubelet` may not run against an API server at `apiServer`, in
 * kubeadm's words, or undefined when the pair is within the policy.
 */
export function kubeletSkewProblem(kubelet: KubeVersion, apiServer: KubeVersion): string | undefined {
  if (compareVersions(kubelet, apiServer) > 0) {
    return (
      `the kubelet version "${formatVersion(kubelet)}" is higher than the control plane version ` +
      `"${formatVersion(apiServer)}". This is not a supported version skew and may lead to a malfunctional cluster`
    );
  }
  if (minorDistance(apiServer, kubelet) > MAX_KUBELET_MINORS_BEHIND) {
    return (
      `the kubelet version "${formatVersion(kubelet)}" is more than ${MAX_KUBELET_MINORS_BEHIND} minor versions ` +
      `older than the control plane version "${formatVersion(apiServer)}"`
    );
  }
  return undefined;
}
