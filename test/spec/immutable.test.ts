import { describe, expect, it } from 'vitest';
import { immutableChanges, kubernetesVersionChangeProblems, parseClusterSpec, type ClusterSpec, type ClusterSpecInput } from '../../shared/spec';

function spec(input: ClusterSpecInput): ClusterSpec {
  const result = parseClusterSpec(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}

const before = spec({ name: 'demo', region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'], kubernetesVersion: '1.33' });
const ha = spec({ name: 'demo', region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], controlPlane: { count: 3 } });
const brought = spec({
  name: 'demo',
  region: 'us-east-1',
  vpcId: 'vpc-0123456789abcdef0',
  networkCidr: '10.0.0.0/16',
  subnets: [{ zone: 'us-east-1a', type: 'private', cidr: '10.0.32.0/19', id: 'subnet-12345678' }],
});

const edit = (base: ClusterSpec, change: (s: ClusterSpec) => void): ClusterSpec => {
  const copy = structuredClone(base);
  change(copy);
  return copy;
};

describe('immutableChanges', () => {
  it.each([
    ['the name', (s: ClusterSpec) => (s.name = 'other'), 'name', 'name cannot change (demo → other)'],
    ['the region', (s: ClusterSpec) => (s.region = 'us-east-2'), 'region', 'region cannot change'],
    ['the network CIDR', (s: ClusterSpec) => (s.networkCidr = '10.0.0.0/16'), 'networkCidr', 'networkCidr cannot change (172.20.0.0/16 → 10.0.0.0/16)'],
    ['the pod CIDR', (s: ClusterSpec) => (s.podCidr = '10.96.0.0/12'), 'podCidr', 'podCidr cannot change'],
    ['the service CIDR', (s: ClusterSpec) => (s.serviceCidr = '10.64.0.0/16'), 'serviceCidr', 'serviceCidr cannot change'],
    ['the topology', (s: ClusterSpec) => (s.topology = 'public'), 'topology', 'topology cannot change'],
    ['the networking', (s: ClusterSpec) => (s.networking = 'calico'), 'networking', 'networking cannot change (cilium → calico)'],
    ['a brought VPC', (s: ClusterSpec) => (s.vpcId = 'vpc-0123456789abcdef0'), 'vpcId', 'vpcId cannot change (a VPC Hopper created → vpc-0123456789abcdef0)'],
    ['a subnet CIDR', (s: ClusterSpec) => (s.subnets[2].cidr = '172.20.128.0/19'), 'subnets[2].cidr', 'the CIDR of the private subnet in us-east-1b cannot change (172.20.64.0/19 → 172.20.128.0/19)'],
    ['a removed zone\'s subnets', (s: ClusterSpec) => (s.subnets = s.subnets.slice(0, 2)), 'subnets[2]', 'cannot be removed'],
    ['a Hopper subnet swapped for a brought one', (s: ClusterSpec) => (s.subnets[0].id = 'subnet-12345678'), 'subnets[0].id', 'cannot be swapped'],
    ['a downgraded version', (s: ClusterSpec) => (s.kubernetesVersion = '1.31.13'), 'kubernetesVersion', 'cannot be downgraded'],
    ['a load balancer added to a single control plane', (s: ClusterSpec) => (s.controlPlane.count = 3), 'controlPlane.count', 'created without an API load balancer'],
  ])('refuses changing %s', (_what, change, path, fragment) => {
    expect(immutableChanges(before, edit(before, change))).toContainEqual({ path, message: expect.stringContaining(fragment) });
  });

  it('refuses moving a brought subnet to another zone', () => {
    const after = edit(brought, (s) => {
      s.subnets[0].zone = 'us-east-1b';
    });
    expect(immutableChanges(brought, after)).toContainEqual({ path: 'subnets[0]', message: expect.stringContaining('brought subnet subnet-12345678 cannot move from private in us-east-1a to private in us-east-1b') });
  });

  it.each([
    ['removing the API load balancer', (s: ClusterSpec) => {
      s.controlPlane.count = 1;
      s.api.loadBalancer = null;
    }, 'api.loadBalancer', 'cannot be removed'],
    ['switching the load balancer scheme', (s: ClusterSpec) => (s.api.loadBalancer = { type: 'internal' }), 'api.loadBalancer.type', 'public → internal'],
  ])('refuses %s on an HA cluster', (_what, change, path, fragment) => {
    expect(immutableChanges(ha, edit(ha, change))).toContainEqual({ path, message: expect.stringContaining(fragment) });
  });

  it.each([
    ['resizing an instance group', (s: ClusterSpec) => (s.instanceGroups[0].max = 10)],
    ['changing machine types', (s: ClusterSpec) => (s.instanceGroups[0].machineType = 'm5.large')],
    ['adding a zone with new subnets', (s: ClusterSpec) => {
      s.zones.push('us-east-1c');
      s.subnets.push({ zone: 'us-east-1c', type: 'private', cidr: '172.20.96.0/19' });
    }],
    ['enabling the bastion', (s: ClusterSpec) => (s.bastion.enabled = true)],
    ['upgrading one minor', (s: ClusterSpec) => (s.kubernetesVersion = '1.34.1')],
    ['switching NAT mode', (s: ClusterSpec) => (s.natMode = 'single')],
  ])('allows %s', (_what, change) => {
    expect(immutableChanges(before, edit(before, change))).toEqual([]);
  });

  it('allows growing an HA control plane from 3 to 5 behind its load balancer', () => {
    expect(immutableChanges(ha, edit(ha, (s) => (s.controlPlane.count = 5)))).toEqual([]);
  });
});

describe('kubernetesVersionChangeProblems', () => {
  it.each([
    { from: '1.33.5', to: '1.33.5', fragment: undefined },
    { from: '1.32.0', to: '1.32.9', fragment: undefined },
    { from: '1.33.5', to: '1.34.1', fragment: undefined },
    { from: '1.32.9', to: '1.34.1', fragment: '1.32 → 1.34 skips a minor; upgrade to 1.33.5 first' },
    { from: '1.34.1', to: '1.33.5', fragment: 'cannot be downgraded (1.34.1 → 1.33.5)' },
    { from: '1.34.1', to: '1.34.0', fragment: 'Kubernetes 1.34.0 is not supported' },
    { from: '1.33.5', to: 'banana', fragment: 'cannot compare' },
  ])('from $from to $to: $fragment', ({ from, to, fragment }) => {
    const problems = kubernetesVersionChangeProblems(from, to);
    if (fragment === undefined) expect(problems).toEqual([]);
    else expect(problems).toEqual([{ path: 'kubernetesVersion', message: expect.stringContaining(fragment) }]);
  });
});
