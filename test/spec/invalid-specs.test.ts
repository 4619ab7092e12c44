import { describe, expect, it } from 'vitest';
import { parseClusterSpec } from '../../shared/spec';

const base = { name: 'demo', region: 'us-east-1' };
const twoZones = { ...base, zones: ['us-east-1a', 'us-east-1b'] };
const broughtVpc = { ...base, vpcId: 'vpc-0123456789abcdef0', networkCidr: '10.0.0.0/16' };
const group = (fields: Record<string, unknown>) => ({ ...base, instanceGroups: [{ name: 'nodes', ...fields }] });
const manyTags = Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`tag${i}`, 'x']));
const { name: _name, ...withoutName } = base;

// [what is wrong, input, exact path, message fragment]
const cases: [string, unknown, string, string][] = [
  ['the spec is not an object', 'hello', '', 'must be a JSON object'],
  ['name is missing', withoutName, 'name', 'name is required'],
  ['name is not a DNS label', { ...base, name: 'Demo_1' }, 'name', 'must be a DNS label'],
  ['name is too long for AWS names', { ...base, name: 'a'.repeat(21) }, 'name', 'longer than 20 characters'],
  ['name would make an internal- load balancer name', { ...base, name: 'internal-tools' }, 'name', 'starting with "internal-"'],
  ['region is unknown', { ...base, region: 'us-middle-1' }, 'region', 'unknown region "us-middle-1"'],
  ['a field is unknown', { ...base, masterCount: 3 }, 'masterCount', 'unknown field "masterCount"'],
  ['a nested field is unknown', { ...base, controlPlane: { size: 3 } }, 'controlPlane.size', 'unknown field "size"'],
  ['a zone is not in the region', { ...base, zones: ['eu-west-1a'] }, 'zones[0]', 'zone eu-west-1a is not in region us-east-1'],
  ['a zone is listed twice', { ...base, zones: ['us-east-1a', 'us-east-1a'] }, 'zones[1]', 'listed twice'],
  ['zones is empty', { ...base, zones: [] }, 'zones', 'at least 1'],
  ['a zone is not a string', { ...base, zones: [5] }, 'zones[0]', 'zones[0] must be a string, got number 5'],
  ['the Kubernetes version is unsupported', { ...base, kubernetesVersion: '1.29.0' }, 'kubernetesVersion', 'Kubernetes 1.29.0 is not supported'],
  ['the Kubernetes minor is unsupported', { ...base, kubernetesVersion: '1.36' }, 'kubernetesVersion', 'supported versions are 1.31.13'],
  ['the Kubernetes version is malformed', { ...base, kubernetesVersion: 'latest' }, 'kubernetesVersion', '"latest" is not a Kubernetes version'],
  ['topology is unknown', { ...base, topology: 'hybrid' }, 'topology', '"hybrid" is not one of "private", "public"'],
  ['networking is unknown', { ...base, networking: 'flannel' }, 'networking', '"flannel" is not one of'],
  ['a machine type contradicts the stated architecture', { ...base, architecture: 'amd64', controlPlane: { machineType: 'm7g.large' } }, 'controlPlane.machineType', "m7g.large is arm64 but the cluster's architecture is amd64"],
  ['machine types mix architectures', { ...base, controlPlane: { machineType: 't3.large' }, instanceGroups: [{ name: 'nodes', machineType: 't4g.large' }] }, 'instanceGroups[0].machineType', 'the other machine types are amd64'],
  ['networkCidr is not a CIDR', { ...base, networkCidr: '10.0.0.0/33' }, 'networkCidr', 'is not an IPv4 CIDR block'],
  ['networkCidr has host bits', { ...base, networkCidr: '10.0.0.1/16' }, 'networkCidr', 'host bits must be zero'],
  ['networkCidr is larger than a VPC can be', { ...base, networkCidr: '10.0.0.0/8' }, 'networkCidr', 'AWS VPCs are /16 to /28'],
  ['the network is too small for default subnets', { ...base, networkCidr: '10.0.0.0/24' }, 'networkCidr', 'too small for default subnets'],
  ['podCidr overlaps the network', { ...base, podCidr: '172.20.128.0/17' }, 'podCidr', 'podCidr 172.20.128.0/17 overlaps networkCidr 172.20.0.0/16'],
  ['serviceCidr overlaps the network', { ...base, networkCidr: '100.64.0.0/16' }, 'serviceCidr', 'serviceCidr 100.64.0.0/13 overlaps networkCidr 100.64.0.0/16'],
  ['serviceCidr overlaps podCidr', { ...base, serviceCidr: '100.96.0.0/16' }, 'serviceCidr', 'overlaps podCidr 100.96.0.0/11'],
  ['serviceCidr is larger than kube-apiserver accepts', { ...base, serviceCidr: '100.0.0.0/10' }, 'serviceCidr', 'larger than /12'],
  ['podCidr is too small for nodes', { ...base, podCidr: '10.200.0.0/24' }, 'podCidr', 'each node takes a /24'],
  ['a subnet lies outside the network', { ...base, subnets: [{ zone: 'us-east-1a', type: 'private', cidr: '10.1.0.0/24' }] }, 'subnets[0].cidr', 'outside networkCidr 172.20.0.0/16'],
  ['two subnets overlap', { ...base, subnets: [{ zone: 'us-east-1a', type: 'private', cidr: '172.20.32.0/19' }, { zone: 'us-east-1a', type: 'utility', cidr: '172.20.40.0/24' }] }, 'subnets[1].cidr', 'overlaps subnets[0] 172.20.32.0/19'],
  ['a subnet is in a zone the cluster does not use', { ...base, subnets: [{ zone: 'us-east-1b', type: 'private', cidr: '172.20.64.0/19' }] }, 'subnets[0].zone', 'zone us-east-1b of private subnet 172.20.64.0/19 in us-east-1b is not a cluster zone'],
  ['a subnet type does not fit the topology', { ...base, subnets: [{ zone: 'us-east-1a', type: 'public', cidr: '172.20.32.0/19' }] }, 'subnets[0].type', 'a private topology has private and utility subnets, not public'],
  ['a zone has two subnets of a type', { ...base, subnets: [{ zone: 'us-east-1a', type: 'private', cidr: '172.20.32.0/19' }, { zone: 'us-east-1a', type: 'private', cidr: '172.20.64.0/19' }] }, 'subnets[1].zone', 'already has a private subnet (subnets[0])'],
  ['a subnet is smaller than AWS allows', { ...base, subnets: [{ zone: 'us-east-1a', type: 'utility', cidr: '172.20.0.0/29' }] }, 'subnets[0].cidr', 'AWS subnets are /16 to /28'],
  ['a listed subnet has no CIDR', { ...base, subnets: [{ zone: 'us-east-1a', type: 'private' }] }, 'subnets[0].cidr', 'cidr is required'],
  ['a brought subnet has no VPC', { ...base, subnets: [{ zone: 'us-east-1a', type: 'private', cidr: '172.20.32.0/19', id: 'subnet-12345678' }] }, 'subnets[0].id', 'no vpcId says which VPC'],
  ['a brought subnet lies outside the brought VPC', { ...broughtVpc, subnets: [{ zone: 'us-east-1a', type: 'private', cidr: '10.1.0.0/20', id: 'subnet-12345678' }] }, 'subnets[0].cidr', 'outside networkCidr 10.0.0.0/16 of VPC vpc-0123456789abcdef0'],
  ['a brought VPC has no stated CIDR', { ...base, vpcId: 'vpc-0123456789abcdef0' }, 'networkCidr', 'networkCidr is required with vpcId'],
  ['vpcId is malformed', { ...base, vpcId: 'vpc-xyz' }, 'vpcId', '"vpc-xyz" is not a VPC id'],
  ['NAT gateways are listed without a VPC', { ...base, natGateways: [{ zone: 'us-east-1a', id: 'nat-0123456789abcdef0' }] }, 'natGateways', 'they need the vpcId'],
  ['a NAT gateway is outside the cluster zones', { ...broughtVpc, natMode: 'single', natGateways: [{ zone: 'us-east-1c', id: 'nat-0123456789abcdef0' }] }, 'natGateways[0].zone', 'us-east-1c, which is not a cluster zone'],
  ['a zone has two NAT gateways', { ...broughtVpc, natGateways: [{ zone: 'us-east-1a', id: 'nat-0123456789abcdef0' }, { zone: 'us-east-1a', id: 'nat-0123456789abcdef1' }] }, 'natGateways[1].zone', 'already has NAT gateway nat-0123456789abcdef0'],
  ['single NAT mode lists two', { ...broughtVpc, zones: ['us-east-1a', 'us-east-1b'], natMode: 'single', natGateways: [{ zone: 'us-east-1a', id: 'nat-0123456789abcdef0' }, { zone: 'us-east-1b', id: 'nat-0123456789abcdef1' }] }, 'natGateways', 'natMode single uses one NAT gateway, but 2'],
  ['per-zone NAT mode misses a zone', { ...broughtVpc, zones: ['us-east-1a', 'us-east-1b'], natGateways: [{ zone: 'us-east-1a', id: 'nat-0123456789abcdef0' }] }, 'natGateways', 'none for us-east-1b'],
  ['a public topology lists NAT gateways', { ...broughtVpc, topology: 'public', natGateways: [{ zone: 'us-east-1a', id: 'nat-0123456789abcdef0' }] }, 'natGateways', 'uses no NAT gateway'],
  ['the control-plane count is even', { ...base, controlPlane: { count: 2 } }, 'controlPlane.count', 'control-plane count 2 is even'],
  ['the control-plane count is too large', { ...base, controlPlane: { count: 9 } }, 'controlPlane.count', 'count number 9 is above the maximum 7'],
  ['the control-plane count is fractional', { ...base, controlPlane: { count: 1.5 } }, 'controlPlane.count', 'count must be an integer, got number 1.5'],
  ['a control-plane zone is not a cluster zone', { ...base, controlPlane: { zones: ['us-east-1b'] } }, 'controlPlane.zones[0]', 'control-plane zone us-east-1b is not a cluster zone'],
  ['more control-plane zones than instances', { ...twoZones, controlPlane: { zones: ['us-east-1a', 'us-east-1b'] } }, 'controlPlane.zones', '2 zones are listed for 1 control-plane instance'],
  ['an HA control plane refuses a load balancer', { ...base, controlPlane: { count: 3 }, api: { loadBalancer: null } }, 'api.loadBalancer', 'a control plane of 3 needs an API load balancer'],
  ['the API load balancer type is unknown', { ...base, api: { loadBalancer: { type: 'external' } } }, 'api.loadBalancer.type', '"external" is not one of "public", "internal"'],
  ['an API access CIDR is malformed', { ...base, api: { accessCidrs: ['10.0.0.0'] } }, 'api.accessCidrs[0]', '"10.0.0.0" is not an IPv4 CIDR block'],
  ['SSH from anywhere without a bastion', { ...base, sshAccessCidrs: ['0.0.0.0/0'] }, 'sshAccessCidrs[0]', 'enable the bastion or list narrower CIDRs'],
  ['min is greater than max', group({ min: 5, max: 3 }), 'instanceGroups[0].min', 'min 5 is greater than max 3'],
  ['min is negative', group({ min: -1 }), 'instanceGroups[0].min', 'min number -1 is below the minimum 0'],
  ['two groups share a name', { ...base, instanceGroups: [{ name: 'nodes' }, { name: 'nodes' }] }, 'instanceGroups[1].name', 'instance group name nodes is already used by instanceGroups[0]'],
  ['a group takes a reserved name', group({ name: 'bastion' }), 'instanceGroups[0].name', 'reserved'],
  ['a group name is not a DNS label', group({ name: 'Nodes' }), 'instanceGroups[0].name', 'must be a DNS label'],
  ['a group is in a zone the cluster does not use', group({ zones: ['us-east-1c'] }), 'instanceGroups[0].zones[0]', 'zone us-east-1c of group nodes is not a cluster zone'],
  ['a group machine type is malformed', group({ machineType: 't3medium' }), 'instanceGroups[0].machineType', '"t3medium" is not an EC2 instance type'],
  ['a group image id is malformed', group({ imageId: 'ubuntu' }), 'instanceGroups[0].imageId', '"ubuntu" is not an image id'],
  ['a root volume is smaller than an image', group({ rootVolumeSize: 4 }), 'instanceGroups[0].rootVolumeSize', 'below the minimum 8'],
  ['a spot price is not positive', group({ spot: { maxPrice: -1 } }), 'instanceGroups[0].spot.maxPrice', 'maxPrice number -1'],
  ['a label key has a space', group({ labels: { 'bad key': 'x' } }), 'instanceGroups[0].labels["bad key"]', 'name "bad key" must be 1-63 characters'],
  ['a label key uses a Kubernetes-reserved prefix', group({ labels: { 'node-role.kubernetes.io/worker': '' } }), 'instanceGroups[0].labels["node-role.kubernetes.io/worker"]', 'prefix "node-role.kubernetes.io" is reserved for Kubernetes'],
  ['a label value is too long', group({ labels: { team: 'x'.repeat(64) } }), 'instanceGroups[0].labels.team', 'at most 63 characters'],
  ['a taint has an unknown effect', group({ taints: ['dedicated=gpu:NoWay'] }), 'instanceGroups[0].taints[0]', 'effect "NoWay"; it must be one of NoSchedule, PreferNoSchedule, NoExecute'],
  ['a taint has no effect', group({ taints: ['dedicated=gpu'] }), 'instanceGroups[0].taints[0]', 'must look like key=value:Effect'],
  ['a taint repeats key and effect', group({ taints: ['dedicated=gpu:NoSchedule', 'dedicated=cpu:NoSchedule'] }), 'instanceGroups[0].taints[1]', 'repeats key and effect of taints[0]'],
  ['a tag uses the kubernetes.io/ prefix', { ...base, tags: { 'kubernetes.io/cluster/demo': 'owned' } }, 'tags["kubernetes.io/cluster/demo"]', 'reserved prefix "kubernetes.io/"'],
  ['a tag uses the hopper: prefix', { ...base, tags: { 'hopper:owner': 'me' } }, 'tags["hopper:owner"]', 'reserved prefix "hopper:"'],
  ['a tag key has a character AWS refuses', { ...base, tags: { 'cost#center': '1' } }, 'tags["cost#center"]', 'may only contain letters, digits'],
  ['a tag key is too long', { ...base, tags: { ['k'.repeat(129)]: 'v' } }, `tags.${'k'.repeat(129)}`, 'must be 1-128 characters'],
  ['a tag value is too long', { ...base, tags: { team: 'v'.repeat(257) } }, 'tags.team', 'value of 257 characters; at most 256'],
  ['there are too many tags', { ...base, tags: manyTags }, 'tags', '41 tags given; at most 40'],
  ['a China region has no package mirror', { ...base, region: 'cn-north-1', assets: { registryMirrors: ['https://r.example.cn'] } }, 'assets.packageBaseUrl', 'is required in cn-north-1'],
  ['a China region has no registry mirror', { ...base, region: 'cn-northwest-1', assets: { packageBaseUrl: 'https://m.example.cn' } }, 'assets.registryMirrors', 'at least one container registry mirror'],
  ['a registry mirror is not a URL', { ...base, assets: { registryMirrors: ['registry.example.com'] } }, 'assets.registryMirrors[0]', 'is not an http(s) URL'],
  ['the upgrade window start is not a time', { ...base, upgradePolicy: { window: { start: '25:00', durationMinutes: 60 } } }, 'upgradePolicy.window.start', '"25:00" is not a UTC time as HH:MM'],
  ['the upgrade window has no start', { ...base, upgradePolicy: { window: { durationMinutes: 60 } } }, 'upgradePolicy.window.start', 'start is required'],
  ['the upgrade window is too short', { ...base, upgradePolicy: { window: { start: '01:00', durationMinutes: 10 } } }, 'upgradePolicy.window.durationMinutes', 'below the minimum 30'],
  ['an upgrade day is unknown', { ...base, upgradePolicy: { window: { days: ['funday'], start: '01:00', durationMinutes: 60 } } }, 'upgradePolicy.window.days[0]', '"funday" is not one of "monday"'],
  ['an upgrade day is listed twice', { ...base, upgradePolicy: { window: { days: ['monday', 'monday'], start: '01:00', durationMinutes: 60 } } }, 'upgradePolicy.window.days[1]', 'monday is listed twice'],
  ['the upgrade channel is unknown', { ...base, upgradePolicy: { channel: 'major' } }, 'upgradePolicy.channel', '"major" is not one of "patch", "minor"'],
];

describe('parseClusterSpec refuses invalid specs', () => {
  it('covers at least 45 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
  });

  it.each(cases)('when %s', (_what, input, path, fragment) => {
    const result = parseClusterSpec(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toContainEqual({ path, message: expect.stringContaining(fragment) });
  });
});
