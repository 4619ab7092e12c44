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
    const network = succeeded('EnsureVpc', 'EnsureInternetGateway', 'EnsureZoneSubnets', 'EnsurePublicRouting', 'ResolveImage', 'EnsureNatGateway', 'CheckNatGateway', 'EnsurePrivateRouting', 'EnsureSecurityGroups');
    const afterNetwork = remaining(network);
    expect(afterNetwork).toBeLessThan(full);
    // A poll the workflow skipped (the NAT gateway available at once) does not hold its node open.
    const { CheckNatGateway: _skipped, ...withoutPoll } = network;
    expect(remaining(withoutPoll)).toBe(afterNetwork);
    const initRunning = remaining({ ...network, ...succeeded('LaunchControlPlane', 'CheckControlPlaneOnline', 'AttachEtcdVolumes', 'EnsureLaunchTemplate', 'EnsureAutoScalingGroup'), InitControlPlane: 'succeeded', CheckInit: 'started' });
    expect(initRunning).toBeLessThan(afterNetwork);
    // While CheckInit polls, what kubeadm has left after its API check is still counted, and
    // everything after it: the nodes' join, Ready, the validation.
    const rest = (key: string) => costOf([key], DEFAULT_LATENCIES);
    const initTail = costOf(['kubeadm.init'], DEFAULT_LATENCIES, { 'kubeadm.init': 1 / 3 });
    expect(initRunning).toBeCloseTo(initTail + rest('node.joined') + rest('node.ready') + 12, 6);
    const initProgress = { ...network, ...succeeded('LaunchControlPlane', 'CheckControlPlaneOnline', 'AttachEtcdVolumes', 'EnsureLaunchTemplate', 'EnsureAutoScalingGroup'), InitControlPlane: 'succeeded' as const, CheckInit: 'started' as const };
    const later = remainingPath(graph, variant, DEFAULT_LATENCIES, (s) => initProgress[s as keyof typeof initProgress], (n) => (n.id === 'kubeadmInit' ? 20 : 0)).seconds;
    expect(initRunning - later).toBeCloseTo(20, 6);
    // Past its model time, a node under way still costs a second: it is not done.
    const overdue = remainingPath(graph, variant, DEFAULT_LATENCIES, (s) => initProgress[s as keyof typeof initProgress], (n) => (n.id === 'kubeadmInit' ? 1000 : 0)).seconds;
    expect(overdue).toBeCloseTo(initRunning - initTail + 1, 6);
    const validating = remaining({ ...network, ...succeeded('LaunchControlPlane', 'CheckControlPlaneOnline', 'AttachEtcdVolumes', 'EnsureLaunchTemplate', 'EnsureAutoScalingGroup', 'InitControlPlane', 'CheckInit', 'InstallAddons', 'CheckAddons'), SendValidation: 'started' });
    // Only the validation (two passes and the wait between them) is left.
    expect(validating).toBe(10 + 2);
  });
});
