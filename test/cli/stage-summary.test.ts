/** A finished stage of a create says what it made, with its ids, from the cluster's inventory. */
import { describe, expect, it } from 'vitest';
import { stageLines } from '../../cli/render/progress';
import { stageSummary } from '../../cli/render/stage-summary';
import type { OperationView } from '../../shared/api/types';

const resources = [
  { type: 'vpc', id: 'vpc-0abc', ownership: 'owned' as const },
  { type: 'subnet', id: 'subnet-1', ownership: 'owned' as const, role: 'private' },
  { type: 'subnet', id: 'subnet-2', ownership: 'owned' as const, role: 'utility' },
  { type: 'nat-gateway', id: 'nat-0def', ownership: 'owned' as const },
  { type: 'load-balancer', id: 'arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/demo-api/0', name: 'demo-api', ownership: 'owned' as const },
  { type: 'instance', id: 'i-0cp1', ownership: 'owned' as const, role: 'control-plane' },
  { type: 'instance', id: 'i-0bastion', ownership: 'owned' as const, role: 'bastion' },
  { type: 'autoscaling-group', id: 'nodes.demo', name: 'nodes.demo', ownership: 'owned' as const },
];

describe('stage summaries', () => {
  it('names the network it made: VPC, subnets, NAT, load balancer, bastion', () => {
    expect(stageSummary('Network', resources)).toBe('VPC vpc-0abc, 2 subnets, NAT nat-0def, load balancer demo-api, bastion i-0bastion');
  });

  it('names the control-plane instances and the node groups, and nothing for a stage the inventory cannot tell', () => {
    expect(stageSummary('ControlPlane', resources)).toBe('control plane i-0cp1');
    expect(stageSummary('Nodes', resources)).toBe('groups nodes.demo');
    expect(stageSummary('Image', resources)).toBeUndefined();
    expect(stageSummary('Network', [])).toBeUndefined();
  });

  it('shows on the finished stage’s line', () => {
    const op = { id: 'op', cluster: 'demo', type: 'create', status: 'Running', startedAt: '2026-01-01T00:00:00Z', steps: [{ name: 'Network', status: 'Succeeded', attempts: 1, startedAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:01:32Z' }] } as unknown as OperationView;
    expect(stageLines(op, Date.parse('2026-01-01T00:02:00Z'), 0, (s) => stageSummary(s, resources))).toEqual(['✔ Network: VPC vpc-0abc, 2 subnets, NAT nat-0def, load balancer demo-api, bastion i-0bastion (1m32s)']);
  });
});
