/**
 * The cluster spec: schema, defaults, checks and the helpers other parts of Hopper need
 * (regions and partitions, Kubernetes versions, CIDR arithmetic).
 */
export { clusterSpecInputSchema, instanceGroupInputSchema, MAX_CLUSTER_NAME_LENGTH, MAX_GROUP_NAME_LENGTH, WEEKDAYS, type ClusterSpecInput } from './schema';
export type { BackupPolicy, ClusterSpec, InstanceGroupSpec, Problem, SubnetSpec } from './types';
export { parseClusterSpec, type ParseResult } from './parse';
export {
  fillDefaults,
  defaultZones,
  spreadOverZones,
  inferArchitecture,
  DEFAULT_NETWORK_CIDR,
  DEFAULT_POD_CIDR,
  DEFAULT_SERVICE_CIDR,
  DEFAULT_GROUP_SIZE,
  DEFAULT_ROOT_VOLUME_GIB,
  DEFAULT_BACKUP_POLICY,
} from './defaults';
export { immutableChanges, kubernetesVersionChangeProblems } from './immutable';
export { needsApiLoadBalancer } from './api-endpoint';
export { planSubnets, subnetTypesFor } from './subnet-plan';
export { REGIONS, arn, dnsSuffixOf, isKnownRegion, partitionOf, zonesOf, type Partition } from './regions';
export {
  SUPPORTED_KUBERNETES_VERSIONS,
  DEFAULT_KUBERNETES_VERSION,
  compareVersions,
  isSupportedVersion,
  latestPatch,
  minorOf,
  nextMinorVersion,
  parseVersion,
} from './versions';
export { architectureOf, DEFAULT_MACHINE_TYPES, type Architecture } from './machine-types';
export { parseTaint, labelKeyProblem, labelValueProblem, type Taint } from './kubernetes-names';
export { cidrContains, cidrsOverlap, formatCidr, isCidr, parseCidr, splitCidr, type Cidr } from './cidr';
