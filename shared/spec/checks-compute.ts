/** Semantic checks of zones, control plane, instance groups, access and architecture. */
import { statedMachineTypes } from './defaults';
import type { Finding } from './finding';
import { labelKeyProblem, labelValueProblem, parseTaint } from './kubernetes-names';
import { architectureOf } from './machine-types';
import { zonesOf, isKnownRegion } from './regions';
import type { ClusterSpecInput } from './schema';
import type { ClusterSpec } from './types';

// Hopper names its own Auto Scaling groups after these; a node group of the same name
// would collide with them.
const RESERVED_GROUP_NAMES = ['control-plane', 'bastion'];

/** Check zones, the control plane, the instance groups, SSH access and the architecture. */
export function checkCompute(spec: ClusterSpec, input: ClusterSpecInput): Finding[] {
  return [...checkZones(spec), ...checkControlPlane(spec, input), ...checkGroups(spec), ...checkAccess(spec), ...checkArchitecture(spec, input)];
}

function checkZones(spec: ClusterSpec): Finding[] {
  const findings: Finding[] = [];
  const regionZones = isKnownRegion(spec.region) ? zonesOf(spec.region) : [];
  spec.zones.forEach((zone, i) => {
    if (!regionZones.includes(zone)) {
      findings.push({ path: ['zones', i], message: `zone ${zone} is not in region ${spec.region} (its zones: ${regionZones.join(', ')})`, dependsOn: [['region']] });
    }
    if (spec.zones.indexOf(zone) < i) findings.push({ path: ['zones', i], message: `zone ${zone} is listed twice` });
  });
  return findings;
}

function checkControlPlane(spec: ClusterSpec, input: ClusterSpecInput): Finding[] {
  const findings: Finding[] = [];
  const { count } = spec.controlPlane;
  if (count % 2 === 0) {
    findings.push({ path: ['controlPlane', 'count'], message: `control-plane count ${count} is even; etcd needs an odd count (1, 3, 5 or 7) to keep a majority` });
  }
  const stated = input.controlPlane?.zones;
  if (stated !== undefined) {
    if (stated.length > count) {
      findings.push({ path: ['controlPlane', 'zones'], message: `${stated.length} zones are listed for ${count} control-plane instance(s); list at most one per instance` });
    }
    stated.forEach((zone, i) => {
      if (!spec.zones.includes(zone)) {
        findings.push({ path: ['controlPlane', 'zones', i], message: `control-plane zone ${zone} is not a cluster zone (${spec.zones.join(', ')})`, dependsOn: [['zones'], ['region']] });
      }
    });
  }
  if (count > 1 && spec.api.loadBalancer === null) {
    findings.push({ path: ['api', 'loadBalancer'], message: `a control plane of ${count} needs an API load balancer; it cannot be null`, dependsOn: [['controlPlane', 'count']] });
  }
  return findings;
}

function checkGroups(spec: ClusterSpec): Finding[] {
  const findings: Finding[] = [];
  spec.instanceGroups.forEach((group, i) => {
    const at = (...rest: (string | number)[]) => ['instanceGroups', i, ...rest];
    if (RESERVED_GROUP_NAMES.includes(group.name)) {
      findings.push({ path: at('name'), message: `instance group name ${group.name} is reserved for Hopper's own ${group.name} group` });
    }
    const earlier = spec.instanceGroups.slice(0, i).findIndex((g) => g.name === group.name);
    if (earlier !== -1) findings.push({ path: at('name'), message: `instance group name ${group.name} is already used by instanceGroups[${earlier}]` });
    if (group.min > group.max) {
      findings.push({ path: at('min'), message: `min ${group.min} is greater than max ${group.max}`, dependsOn: [at('max')] });
    }
    group.zones.forEach((zone, j) => {
      if (!spec.zones.includes(zone)) {
        findings.push({ path: at('zones', j), message: `zone ${zone} of group ${group.name} is not a cluster zone (${spec.zones.join(', ')})`, dependsOn: [['zones'], ['region']] });
      }
      if (group.zones.indexOf(zone) < j) findings.push({ path: at('zones', j), message: `zone ${zone} is listed twice in group ${group.name}` });
    });
    for (const [key, value] of Object.entries(group.labels)) {
      const keyProblem = labelKeyProblem(key);
      if (keyProblem !== undefined) findings.push({ path: at('labels', key), message: `label key "${key}": ${keyProblem}` });
      const valueProblem = labelValueProblem(value);
      if (valueProblem !== undefined) findings.push({ path: at('labels', key), message: `label value "${value}" of ${key} ${valueProblem}` });
    }
    const taintKeys = new Map<string, number>();
    group.taints.forEach((text, j) => {
      const parsed = parseTaint(text);
      if ('problem' in parsed) {
        findings.push({ path: at('taints', j), message: parsed.problem });
        return;
      }
      // Kubernetes keys taints by key and effect: a second one would replace the first.
      const identity = `${parsed.taint.key}:${parsed.taint.effect}`;
      const earlierTaint = taintKeys.get(identity);
      if (earlierTaint !== undefined) findings.push({ path: at('taints', j), message: `taint "${text}" repeats key and effect of taints[${earlierTaint}]` });
      else taintKeys.set(identity, j);
    });
  });
  return findings;
}

/**
 * SSH from anywhere is refused unless a bastion is enabled: with a bastion, port 22 opens on
 * that one hardened host only; without one it would open on every node and control-plane
 * instance. Nodes are managed over SSM, so no SSH is needed at all by default.
 */
function checkAccess(spec: ClusterSpec): Finding[] {
  const findings: Finding[] = [];
  spec.sshAccessCidrs.forEach((cidr, i) => {
    if (cidr === '0.0.0.0/0' && !spec.bastion.enabled) {
      findings.push({ path: ['sshAccessCidrs', i], message: 'SSH from 0.0.0.0/0 would open port 22 on every instance; enable the bastion or list narrower CIDRs', dependsOn: [['bastion']] });
    }
  });
  return findings;
}

function checkArchitecture(spec: ClusterSpec, input: ClusterSpecInput): Finding[] {
  const stated = statedMachineTypes(input);
  const reason = input.architecture !== undefined ? `the cluster's architecture is ${spec.architecture}` : `the other machine types are ${spec.architecture}; a cluster runs one architecture`;
  return stated
    .filter(({ machineType }) => architectureOf(machineType) !== spec.architecture)
    .map(({ path, machineType }) => ({
      path,
      message: `${machineType} is ${architectureOf(machineType)} but ${reason}`,
      dependsOn: [['architecture']],
    }));
}

