import { describe, expect, it } from 'vitest';
import { currentWindowStart, upgradeTarget } from '../../functions/events/maintenance-window';
import { formatPlan, nodeRegistrationOf, observedImmutableProblems, updatePlan, type ObservedGroup } from '../../shared/plan/update-plan';
import { parseClusterSpec, type ClusterSpec } from '../../shared/spec';

function spec(groups: Record<string, unknown>[], extra: Record<string, unknown> = {}): ClusterSpec {
  const parsed = parseClusterSpec({ name: 'demo', region: 'us-east-1', zones: ['us-east-1a'], instanceGroups: groups, ...extra });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.spec;
}

const userData = (labels: string, taints: string) =>
  `#!/bin/bash\nHOPPER_TEMPLATE=$(cat <<'HOPPER_EOF'\nnodeRegistration:\n  kubeletExtraArgs:\n    - name: "node-labels"\n      value: "${labels}"\n${taints}HOPPER_EOF\n)\n`;

function observed(overrides: Partial<ObservedGroup> = {}, lt: Record<string, unknown> = {}): ObservedGroup {
  return {
    name: 'nodes',
    autoScalingGroupName: 'nodes.demo',
    min: 2,
    max: 4,
    desired: 2,
    launchTemplate: {
      launchTemplateId: 'lt-1',
      version: 1,
      latestVersion: 1,
      imageId: 'ami-0123456789abcdef0',
      machineType: 't3.medium',
      rootVolumeSize: 40,
      userData: userData('hopper.io/instance-group=nodes', '  taints: []\n'),
      ...lt,
    },
    ...overrides,
  };
}

const nodes = { name: 'nodes', min: 2, max: 4, machineType: 't3.medium', rootVolumeSize: 40 };
const rendered = { nodes: { imageId: 'ami-0123456789abcdef0' } };

describe('updatePlan', () => {
  it('plans nothing when the cloud matches the spec', () => {
    const plan = updatePlan(spec([nodes]), { groups: [observed()] }, { rendered });
    expect(plan.changes).toEqual([]);
    expect(plan.rollingUpdateRequired).toBe(false);
    expect(plan.groups).toEqual([{ group: 'nodes', action: 'none', launchTemplateChanged: false, min: 2, max: 4, desired: 2 }]);
    expect(plan.summary).toMatch(/No changes/);
  });

  it('prints sizes field by field and needs no rolling update for them', () => {
    const plan = updatePlan(spec([{ ...nodes, min: 3, max: 6 }]), { groups: [observed()] }, { rendered });
    expect(formatPlan(plan)).toEqual(['AutoscalingGroup/nodes  MinSize 2 -> 3', 'AutoscalingGroup/nodes  MaxSize 4 -> 6', 'AutoscalingGroup/nodes  DesiredCapacity 2 -> 3']);
    expect(plan.rollingUpdateRequired).toBe(false);
  });

  it('flags a rolling update when the launch template changes (machine type, root volume)', () => {
    const plan = updatePlan(spec([{ ...nodes, machineType: 't3.large', rootVolumeSize: 64 }]), { groups: [observed()] }, { rendered });
    expect(formatPlan(plan)).toEqual([
      'LaunchTemplate/nodes  InstanceType t3.medium -> t3.large',
      'LaunchTemplate/nodes  RootVolumeSize 40 -> 64',
      'AutoscalingGroup/nodes  LaunchTemplateVersion 1 -> new version',
    ]);
    expect(plan.rollingUpdateRequired).toBe(true);
    expect(plan.groups[0]).toMatchObject({ action: 'update', launchTemplateChanged: true });
  });

  it('compares labels, taints and the image with what the user data and template carry', () => {
    const plan = updatePlan(
      spec([{ ...nodes, labels: { pool: 'b' }, taints: ['dedicated=infra:NoSchedule'], imageId: 'ami-0fedcba9876543210' }]),
      { groups: [observed({}, { userData: userData('hopper.io/instance-group=nodes,pool=a', '  taints: []\n') })] },
      { rendered },
    );
    expect(formatPlan(plan)).toEqual([
      'LaunchTemplate/nodes  ImageId ami-0123456789abcdef0 -> ami-0fedcba9876543210',
      'LaunchTemplate/nodes  Labels {pool=a} -> {pool=b}',
      'LaunchTemplate/nodes  Taints [] -> [dedicated=infra:NoSchedule]',
      'AutoscalingGroup/nodes  LaunchTemplateVersion 1 -> new version',
    ]);
  });

  it('creates groups desired but absent and deletes groups no longer desired', () => {
    const plan = updatePlan(spec([nodes, { name: 'gpu', min: 1, max: 2, machineType: 'g5.xlarge' }]), {
      groups: [observed(), observed({ name: 'old', autoScalingGroupName: 'demo-old', desired: 3 })],
    });
    expect(plan.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual([
      'create LaunchTemplate/gpu',
      'create AutoscalingGroup/gpu',
      'delete AutoscalingGroup/old',
      'delete LaunchTemplate/old',
    ]);
    expect(plan.groups.filter((g) => g.action !== 'none').map((g) => [g.group, g.action])).toEqual([
      ['gpu', 'create'],
      ['old', 'delete'],
    ]);
    // A new group starts on the new template: no instance to roll.
    expect(plan.rollingUpdateRequired).toBe(false);
    expect(formatPlan(plan)).toContain('AutoscalingGroup/old  Instances 3 -> <deleted>');
  });

  it('clamps the current desired capacity into the new bounds, or takes a scale request’s', () => {
    const clamped = updatePlan(spec([{ ...nodes, max: 3 }]), { groups: [observed({ desired: 4, max: 4 })] }, { rendered });
    expect(clamped.groups[0]).toMatchObject({ desired: 3 });
    const scaled = updatePlan(spec([nodes]), { groups: [observed()] }, { rendered, desiredCapacity: { nodes: 4 } });
    expect(formatPlan(scaled)).toEqual(['AutoscalingGroup/nodes  DesiredCapacity 2 -> 4']);
  });

  it('points a group left on an older version at the latest', () => {
    const plan = updatePlan(spec([nodes]), { groups: [observed({}, { version: 1, latestVersion: 2 })] }, { rendered });
    expect(formatPlan(plan)[0]).toBe('LaunchTemplate/nodes  Version 1 -> 2');
  });
});

describe('nodeRegistrationOf', () => {
  it('reads labels (without the group label) and taints back from the join config', () => {
    const text = userData('hopper.io/instance-group=gpu,team=ml', '  taints:\n    - key: "nvidia.com/gpu"\n      value: "present"\n      effect: "NoSchedule"\n    - key: "dedicated"\n      effect: "NoExecute"\n');
    expect(nodeRegistrationOf(text)).toEqual({ labels: { team: 'ml' }, taints: ['nvidia.com/gpu=present:NoSchedule', 'dedicated:NoExecute'] });
  });
});

describe('observedImmutableProblems', () => {
  it('refuses a network CIDR and a subnet CIDR that differ from what exists', () => {
    const s = spec([nodes], { networkCidr: '10.1.0.0/16' });
    const problems = observedImmutableProblems(s, {
      vpcCidr: '10.0.0.0/16',
      subnets: [{ id: 'subnet-1', zone: 'us-east-1a', type: 'private', cidr: '10.0.32.0/19', ownership: 'owned' }],
    });
    expect(problems.map((p) => p.path)).toEqual(['networkCidr', expect.stringMatching(/^subnets\[\d+\]\.cidr$/)]);
  });
});

describe('maintenance window', () => {
  const window = { days: ['sunday' as const], start: '23:00', durationMinutes: 120 };
  it.each([
    ['2025-06-01T23:30:00Z', '2025-06-01T23:00:00.000Z'], // Sunday, inside
    ['2025-06-02T00:59:00Z', '2025-06-01T23:00:00.000Z'], // Monday, the window runs over midnight
    ['2025-06-02T01:00:00Z', undefined], // just ended
    ['2025-06-01T22:59:00Z', undefined], // not yet open
    ['2025-06-03T23:30:00Z', undefined], // a Tuesday
  ])('at %s the window started at %s', (now, start) => {
    expect(currentWindowStart(window, new Date(now))?.toISOString()).toBe(start);
  });

  it('targets the same minor’s patch (patch) or the next minor, one at a time (minor)', () => {
    expect(upgradeTarget('1.33.1', 'patch')).toBe('1.33.5');
    expect(upgradeTarget('1.33.5', 'patch')).toBeUndefined();
    expect(upgradeTarget('1.32.9', 'minor')).toBe('1.33.5');
    expect(upgradeTarget('1.34.1', 'minor')).toBeUndefined();
  });
});
