/**
 * Edits a running cluster cannot take (a 422 at the API): what AWS cannot change in place
 * (a VPC's or subnet's CIDR, a load balancer's scheme), what Kubernetes fixes at `kubeadm
 * init` (pod and service ranges, the API endpoint) and what would mean a new cluster.
 */
import { needsApiLoadBalancer } from './api-endpoint';
import type { ClusterSpec, Problem } from './types';
import { compareVersions, isSupportedVersion, minorOf, nextMinorVersion, parseVersion } from './versions';

const FIXED_FIELDS = ['name', 'region', 'networkCidr', 'podCidr', 'serviceCidr', 'topology', 'networking'] as const;

/** Every impossible edit from `before` to `after`, both full specs. */
export function immutableChanges(before: ClusterSpec, after: ClusterSpec): Problem[] {
  const problems: Problem[] = [];
  for (const field of FIXED_FIELDS) {
    if (before[field] !== after[field]) problems.push({ path: field, message: `${field} cannot change (${before[field]} → ${after[field]})` });
  }
  if (before.vpcId !== after.vpcId) {
    problems.push({ path: 'vpcId', message: `vpcId cannot change (${before.vpcId ?? 'a VPC Hopper created'} → ${after.vpcId ?? 'a new VPC'})` });
  }
  problems.push(...subnetChanges(before, after));
  problems.push(...apiEndpointChanges(before, after));
  problems.push(...kubernetesVersionChangeProblems(before.kubernetesVersion, after.kubernetesVersion));
  return problems;
}

function subnetChanges(before: ClusterSpec, after: ClusterSpec): Problem[] {
  const problems: Problem[] = [];
  before.subnets.forEach((old, i) => {
    const index = after.subnets.findIndex((s) => s.zone === old.zone && s.type === old.type);
    const name = `the ${old.type} subnet in ${old.zone}`;
    if (index === -1) {
      problems.push({ path: `subnets[${i}]`, message: `${name} (${old.cidr}) cannot be removed from a running cluster` });
      return;
    }
    const now = after.subnets[index];
    if (now.cidr !== old.cidr) problems.push({ path: `subnets[${index}].cidr`, message: `the CIDR of ${name} cannot change (${old.cidr} → ${now.cidr})` });
    if (now.id !== old.id) {
      problems.push({ path: `subnets[${index}].id`, message: `${name} cannot be swapped for another (${old.id ?? 'created by Hopper'} → ${now.id ?? 'created by Hopper'})` });
    }
  });
  // A brought subnet stated again under another zone or type is the same subnet moved.
  after.subnets.forEach((now, index) => {
    if (now.id === undefined) return;
    const old = before.subnets.find((s) => s.id === now.id);
    if (old !== undefined && (old.zone !== now.zone || old.type !== now.type)) {
      problems.push({ path: `subnets[${index}]`, message: `brought subnet ${now.id} cannot move from ${old.type} in ${old.zone} to ${now.type} in ${now.zone}` });
    }
  });
  return problems;
}

/**
 * The API endpoint is baked into certificates and kubeconfigs at init: a cluster without a
 * load balancer cannot grow past one control-plane instance, a load balancer cannot be
 * dropped, and its scheme (public/internal) is fixed by AWS. Changing the count between
 * 3, 5 and 7 (or back to 1 behind the load balancer) is allowed.
 */
function apiEndpointChanges(before: ClusterSpec, after: ClusterSpec): Problem[] {
  const had = needsApiLoadBalancer(before);
  const has = needsApiLoadBalancer(after);
  if (!had && has) {
    const path = after.controlPlane.count !== before.controlPlane.count ? 'controlPlane.count' : 'api.loadBalancer';
    return [{ path, message: 'the cluster was created without an API load balancer; its endpoint cannot move behind one (and so cannot grow past one control-plane instance)' }];
  }
  if (had && !has) return [{ path: 'api.loadBalancer', message: 'the API load balancer cannot be removed: it is the endpoint every kubeconfig and certificate names' }];
  if (had && before.api.loadBalancer !== null && after.api.loadBalancer !== null && before.api.loadBalancer.type !== after.api.loadBalancer.type) {
    return [{ path: 'api.loadBalancer.type', message: `the API load balancer's type cannot change (${before.api.loadBalancer.type} → ${after.api.loadBalancer.type})` }];
  }
  return [];
}

/**
 * Why `from` cannot move to `to`: Kubernetes upgrades one minor at a time (kubeadm refuses
 * skips) and never downgrades. The same version is no change and no problem.
 */
export function kubernetesVersionChangeProblems(from: string, to: string): Problem[] {
  const path = 'kubernetesVersion';
  if (parseVersion(from) === undefined || parseVersion(to) === undefined) {
    return [{ path, message: `cannot compare Kubernetes versions "${from}" and "${to}"` }];
  }
  if (!isSupportedVersion(to)) return [{ path, message: `Kubernetes ${to} is not supported` }];
  const order = compareVersions(to, from);
  if (order === 0) return [];
  if (order < 0) return [{ path, message: `Kubernetes cannot be downgraded (${from} → ${to})` }];
  const fromParts = parseVersion(from)!;
  const toParts = parseVersion(to)!;
  if (toParts.major !== fromParts.major || toParts.minor > fromParts.minor + 1) {
    const next = nextMinorVersion(from);
    return [{ path, message: `Kubernetes upgrades one minor version at a time: ${minorOf(from)} → ${minorOf(to)} skips a minor${next === undefined ? '' : `; upgrade to ${next} first`}` }];
  }
  return [];
}
