import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  clusterSpecInputSchema,
  fillDefaults,
  needsApiLoadBalancer,
  parseClusterSpec,
  type ClusterSpec,
  type ClusterSpecInput,
} from '../../shared/spec';
import { minimalInput, threeZoneInput } from './fixtures';

function parsed(input: unknown): ClusterSpec {
  const result = parseClusterSpec(input);
  if (!result.ok) throw new Error(`expected a valid spec, got ${JSON.stringify(result.problems)}`);
  return result.spec;
}

describe('fillDefaults', () => {
  it('fills a minimal spec like kops create cluster would', () => {
    const spec = parsed(minimalInput);
    expect(spec).toMatchObject({
      zones: ['us-east-1a'],
      kubernetesVersion: '1.34.1',
      architecture: 'amd64',
      topology: 'private',
      networking: 'cilium',
      networkCidr: '172.20.0.0/16',
      podCidr: '100.96.0.0/11',
      serviceCidr: '100.64.0.0/13',
      natMode: 'per-zone',
      natGateways: [],
      controlPlane: { count: 1, machineType: 't3.medium', zones: ['us-east-1a'] },
      instanceGroups: [{ name: 'nodes', machineType: 't3.medium', min: 2, max: 2, zones: ['us-east-1a'], labels: {}, taints: [], rootVolumeSize: 50 }],
      bastion: { enabled: false, machineType: 't3.micro' },
      api: { loadBalancer: null, accessCidrs: ['0.0.0.0/0'] },
      sshAccessCidrs: [],
      image: {},
      tags: {},
      assets: { registryMirrors: [] },
      upgradePolicy: { enabled: false, channel: 'patch', window: { start: '03:00', durationMinutes: 120 } },
    });
    expect(spec.vpcId).toBeUndefined();
  });

  it('splits one zone as kops does: the second /19 private, the first /22 utility', () => {
    expect(parsed(minimalInput).subnets).toEqual([
      { zone: 'us-east-1a', type: 'private', cidr: '172.20.32.0/19' },
      { zone: 'us-east-1a', type: 'utility', cidr: '172.20.0.0/22' },
    ]);
  });

  it('splits three zones into the exact CIDRs kops logs in the seed', () => {
    const byName = Object.fromEntries(parsed(threeZoneInput).subnets.map((s) => [`${s.type}-${s.zone}`, s.cidr]));
    expect(byName).toEqual({
      'private-us-east-1a': '172.20.32.0/19',
      'private-us-east-1b': '172.20.64.0/19',
      'private-us-east-1c': '172.20.96.0/19',
      'utility-us-east-1a': '172.20.0.0/22',
      'utility-us-east-1b': '172.20.4.0/22',
      'utility-us-east-1c': '172.20.8.0/22',
    });
  });

  it('scales the split down for a smaller network (/20 gives /23 private and /26 utility)', () => {
    expect(parsed({ ...minimalInput, networkCidr: '10.0.0.0/20' }).subnets).toEqual([
      { zone: 'us-east-1a', type: 'private', cidr: '10.0.2.0/23' },
      { zone: 'us-east-1a', type: 'utility', cidr: '10.0.0.0/26' },
    ]);
  });

  it('gives a public topology one /19 public subnet per zone and no utility subnets', () => {
    const spec = parsed({ ...minimalInput, topology: 'public', zones: ['us-east-1a', 'us-east-1b'] });
    expect(spec.subnets).toEqual([
      { zone: 'us-east-1a', type: 'public', cidr: '172.20.32.0/19' },
      { zone: 'us-east-1b', type: 'public', cidr: '172.20.64.0/19' },
    ]);
  });

  it('keeps explicit subnets first and moves a default off a slot they took', () => {
    const spec = parsed({
      ...minimalInput,
      zones: ['us-east-1a', 'us-east-1b'],
      subnets: [{ zone: 'us-east-1b', type: 'private', cidr: '172.20.32.0/19' }],
    });
    expect(spec.subnets).toEqual([
      { zone: 'us-east-1b', type: 'private', cidr: '172.20.32.0/19' },
      { zone: 'us-east-1a', type: 'private', cidr: '172.20.64.0/19' },
      { zone: 'us-east-1a', type: 'utility', cidr: '172.20.0.0/22' },
      { zone: 'us-east-1b', type: 'utility', cidr: '172.20.4.0/22' },
    ]);
  });

  it.each([
    { count: 1, zones: ['us-east-1a', 'us-east-1b'], expected: ['us-east-1a'] },
    { count: 3, zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], expected: ['us-east-1a', 'us-east-1b', 'us-east-1c'] },
    { count: 3, zones: ['us-east-1a', 'us-east-1b'], expected: ['us-east-1a', 'us-east-1b', 'us-east-1a'] },
    { count: 5, zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], expected: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1a', 'us-east-1b'] },
  ])('spreads $count control-plane instances round-robin over $zones', ({ count, zones, expected }) => {
    expect(parsed({ ...minimalInput, zones, controlPlane: { count } }).controlPlane.zones).toEqual(expected);
  });

  it('defaults an HA control plane to the region\'s first three zones and a public API load balancer', () => {
    const spec = parsed({ ...minimalInput, region: 'eu-west-1', controlPlane: { count: 3 } });
    expect(spec.zones).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    expect(spec.api.loadBalancer).toEqual({ type: 'public' });
  });

  it('infers arm64 from Graviton machine types and picks Graviton defaults for the rest', () => {
    const spec = parsed({ ...minimalInput, instanceGroups: [{ name: 'nodes', machineType: 'm7g.large' }] });
    expect(spec.architecture).toBe('arm64');
    expect(spec.controlPlane.machineType).toBe('t4g.medium');
    expect(spec.bastion.machineType).toBe('t4g.micro');
  });

  it.each([
    { group: { name: 'nodes', max: 1 }, min: 1, max: 1 },
    { group: { name: 'nodes', min: 5 }, min: 5, max: 5 },
    { group: { name: 'nodes', min: 0 }, min: 0, max: 2 },
    { group: { name: 'nodes', max: 10 }, min: 2, max: 10 },
  ])('lets a stated bound pull the other along: $group', ({ group, min, max }) => {
    expect(parsed({ ...minimalInput, instanceGroups: [group] }).instanceGroups[0]).toMatchObject({ min, max });
  });

  it.each([
    { written: '1.33', resolved: '1.33.5' },
    { written: 'v1.32.9', resolved: '1.32.9' },
    { written: '1.31.13', resolved: '1.31.13' },
  ])('resolves kubernetesVersion $written to $resolved', ({ written, resolved }) => {
    expect(parsed({ ...minimalInput, kubernetesVersion: written }).kubernetesVersion).toBe(resolved);
  });

  it('accepts a China region with its mirrors, and a brought VPC with its subnets and NAT gateways', () => {
    const spec = parsed({
      name: 'beijing',
      region: 'cn-north-1',
      vpcId: 'vpc-0123456789abcdef0',
      networkCidr: '172.30.0.0/16',
      subnets: [
        { zone: 'cn-north-1a', type: 'private', cidr: '172.30.32.0/19', id: 'subnet-12345678' },
        { zone: 'cn-north-1a', type: 'utility', cidr: '172.30.0.0/22', id: 'subnet-87654321' },
      ],
      natGateways: [{ zone: 'cn-north-1a', id: 'nat-0123456789abcdef0' }],
      api: { loadBalancer: { type: 'internal' } },
      assets: { packageBaseUrl: 'https://mirror.example.cn/kubernetes', registryMirrors: ['https://registry.example.cn'] },
    });
    expect(spec.vpcId).toBe('vpc-0123456789abcdef0');
    expect(spec.subnets.map((s) => s.id)).toEqual(['subnet-12345678', 'subnet-87654321']);
    expect(needsApiLoadBalancer(spec)).toBe(true);
  });

  it('is deterministic and stable: a full spec parses back to itself, also through JSON', () => {
    const input: ClusterSpecInput = {
      ...threeZoneInput,
      instanceGroups: [
        { name: 'nodes', machineType: 'm5.large', min: 1, max: 4, labels: { 'example.com/team': 'a' }, taints: ['dedicated=gpu:NoSchedule'], spot: { maxPrice: 0.1 } },
        { name: 'batch', zones: ['us-east-1b'], imageId: 'ami-0123456789abcdef0', rootVolumeSize: 100 },
      ],
      bastion: { enabled: true },
      sshAccessCidrs: ['0.0.0.0/0'],
      upgradePolicy: { enabled: true, channel: 'minor', window: { days: ['saturday'], start: '02:30', durationMinutes: 180 } },
    };
    const first = parsed(input);
    expect(fillDefaults(input)).toEqual(first);
    expect(parsed(first)).toEqual(first);
    expect(parsed(JSON.parse(JSON.stringify(first)))).toEqual(first);
  });
});

describe('needsApiLoadBalancer', () => {
  it.each([
    { input: minimalInput, expected: false },
    { input: { ...minimalInput, controlPlane: { count: 3 } }, expected: true },
    { input: { ...minimalInput, api: { loadBalancer: { type: 'public' as const } } }, expected: true },
    { input: { ...minimalInput, api: { loadBalancer: { type: 'internal' as const } } }, expected: true },
    { input: { ...minimalInput, topology: 'public' as const }, expected: false },
  ])('is $expected for %j', ({ input, expected }) => {
    expect(needsApiLoadBalancer(parsed(input))).toBe(expected);
  });
});

describe('clusterSpecInputSchema', () => {
  it('converts to a JSON Schema for the OpenAPI document', () => {
    const schema = z.toJSONSchema(clusterSpecInputSchema) as { type: string; required: string[]; properties: Record<string, unknown>; additionalProperties: boolean };
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(['name', 'region']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toContain('instanceGroups');
    expect(schema.properties.name).toMatchObject({ maxLength: 20 });
  });
});
