/**
 * What remains of a running create on the latency model's critical path (the estimate the CLI
 * and the console show): all of it before anything ran, less as the path's states succeed,
 * nothing once validation has passed; a state under way still counts in full.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LATENCIES } from '../../shared/latency-model';
import { costOf, createGraph, criticalPath, remainingPath, type StateProgress } from '../../shared/plan/create-critical-path';

const graph = createGraph(10);
const variant = { ha: false, cachedImage: true };
const full = criticalPath(graph, variant, DEFAULT_LATENCIES).seconds;
const remaining = (progress: Record<string, StateProgress>) => remainingPath(graph, variant, DEFAULT_LATENCIES, (s) => progress[s]).seconds;
const succeeded = (...states: string[]) => Object.fromEntries(states.map((s) => [s, 'succeeded' as const]));

describe('the rest of a create’s critical path', () => {
  it('is the whole path before anything ran, and nothing once every state on it succeeded', () => {
    expect(remaining({})).toBe(full);
    const all = succeeded(...graph.flatMap((n) => n.states));
    expect(remaining(all)).toBe(0);
  });

  it('shrinks as the control plane comes up, keeps a state under way in full, and keeps the nodes’ join until validation starts', () => {
    const network = succeeded('EnsureVpc', 'EnsureInternetGateway', 'EnsureZoneSubnets', 'EnsurePublicRouting', 'ResolveImage', 'EnsureNatGateway', 'CheckNatGateway', 'EnsurePrivateRouting', 'NatGatewaysReady', 'EnsureSecurityGroups', 'EnsureHostRoles');
    const afterNetwork = remaining(network);
    expect(afterNetwork).toBeLessThan(full);
    // A poll the workflow skipped (the NAT gateway available at once) does not hold its node open.
    const { CheckNatGateway: _skipped, ...withoutPoll } = network;
    expect(remaining(withoutPoll)).toBe(afterNetwork);
    // The NAT gateway under way: what its model time has not used yet, and at least a second.
    const { CheckNatGateway: _polled, NatGatewaysReady: _ready, ...natPending } = network;
    const natProgress = { ...natPending, CheckNatGateway: 'started' as const };
    const natRemaining = (spent: number) => remainingPath(graph, variant, DEFAULT_LATENCIES, (s) => natProgress[s as keyof typeof natProgress], (n) => (n.id === 'natGateway' ? spent : 0)).seconds;
    expect(natRemaining(0) - natRemaining(10)).toBeCloseTo(10, 6);
    // Past its model time it still costs its second: no less than once it has succeeded.
    const natDone = remaining({ ...natPending, CheckNatGateway: 'succeeded' });
    expect(natRemaining(1000)).toBeLessThan(natRemaining(0));
    expect(natRemaining(1000)).toBeGreaterThanOrEqual(natDone);
    const initRunning = remaining({ ...network, ...succeeded('LaunchControlPlane', 'CheckControlPlaneOnline', 'AttachEtcdVolumes', 'EnsureLaunchTemplate', 'EnsureAutoScalingGroup'), InitControlPlane: 'succeeded', CheckInit: 'started' });
    expect(initRunning).toBeLessThan(afterNetwork);
    // While CheckInit polls, the API server is up (the nodes' join data was published as init
    // started): the nodes' join, which no state of the workflow reports, is still counted in
    // full, then Ready and the validation.
    const rest = (key: string) => costOf([key], DEFAULT_LATENCIES);
    expect(initRunning).toBeCloseTo(rest('node.joined') + rest('node.ready') + 12, 6);
    const validating = remaining({ ...network, ...succeeded('LaunchControlPlane', 'CheckControlPlaneOnline', 'AttachEtcdVolumes', 'EnsureLaunchTemplate', 'EnsureAutoScalingGroup', 'InitControlPlane', 'CheckInit', 'InstallAddons', 'CheckAddons'), SendValidation: 'started' });
    // Only the validation (two passes and the wait between them) is left.
    expect(validating).toBe(10 + 2);
  });
});
