/** Semantic checks of the name, version, tags, assets and upgrade policy. */
import type { Finding } from './finding';
import { isKnownRegion, partitionOf } from './regions';
import type { ClusterSpecInput } from './schema';
import { MAX_USER_TAGS, tagKeyProblem, tagValueProblem } from './tags';
import type { ClusterSpec } from './types';
import { isSupportedVersion, parseVersion, SUPPORTED_KUBERNETES_VERSIONS } from './versions';

/** Check the name, Kubernetes version, tags, assets and upgrade policy of a filled spec. */
export function checkMetadata(spec: ClusterSpec, input: ClusterSpecInput): Finding[] {
  const findings: Finding[] = [];

  // Load balancer names may not begin with "internal-", and Hopper's is `<name>-api`.
  if (spec.name === 'internal' || spec.name.startsWith('internal-')) {
    findings.push({ path: ['name'], message: `cluster name ${spec.name} would give a load balancer name starting with "internal-", which AWS refuses` });
  }

  const version = input.kubernetesVersion;
  if (version !== undefined) {
    if (parseVersion(version) === undefined) {
      findings.push({ path: ['kubernetesVersion'], message: `"${version}" is not a Kubernetes version such as ${SUPPORTED_KUBERNETES_VERSIONS.at(-1)}` });
    } else if (!isSupportedVersion(spec.kubernetesVersion)) {
      findings.push({ path: ['kubernetesVersion'], message: `Kubernetes ${version} is not supported; supported versions are ${SUPPORTED_KUBERNETES_VERSIONS.join(', ')}` });
    }
  }

  const tagKeys = Object.keys(spec.tags);
  if (tagKeys.length > MAX_USER_TAGS) {
    findings.push({ path: ['tags'], message: `${tagKeys.length} tags given; at most ${MAX_USER_TAGS}, leaving room under AWS's 50 for Hopper's own` });
  }
  for (const [key, value] of Object.entries(spec.tags)) {
    const problem = tagKeyProblem(key) ?? tagValueProblem(key, value);
    if (problem !== undefined) findings.push({ path: ['tags', key], message: problem });
  }

  // China regions: pkgs.k8s.io and registry.k8s.io are slow or unreachable from the aws-cn
  // partition, so an image bake or a kubeadm image pull would fail many minutes in. We
  // require mirrors up front instead of warning (as kops' China guide sets them up first).
  if (isKnownRegion(spec.region) && partitionOf(spec.region) === 'aws-cn') {
    const why = `is required in ${spec.region}: pkgs.k8s.io and registry.k8s.io are not reliably reachable from AWS China`;
    if (spec.assets.packageBaseUrl === undefined) findings.push({ path: ['assets', 'packageBaseUrl'], message: `a Kubernetes package mirror ${why}`, dependsOn: [['region']] });
    if (spec.assets.registryMirrors.length === 0) findings.push({ path: ['assets', 'registryMirrors'], message: `at least one container registry mirror ${why}`, dependsOn: [['region']] });
  }

  if (spec.backups.keepDailyDays < spec.backups.keepHourlyDays) {
    findings.push({ path: ['backups', 'keepDailyDays'], message: `keeps daily backups ${spec.backups.keepDailyDays} days, fewer than the hourly ones (keepHourlyDays ${spec.backups.keepHourlyDays}): a day's newest is one of its hours'`, dependsOn: [['backups', 'keepHourlyDays']] });
  }
  spec.upgradePolicy.window.days.forEach((day, i) => {
    if (spec.upgradePolicy.window.days.indexOf(day) < i) findings.push({ path: ['upgradePolicy', 'window', 'days', i], message: `${day} is listed twice` });
  });
  return findings;
}
