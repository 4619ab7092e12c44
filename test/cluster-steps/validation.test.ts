import * as asg from '@aws-sdk/client-auto-scaling';
import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchControlPlane, type LaunchControlPlaneOutput } from '../../functions/control-plane/launch-control-plane';
import { ensureAutoScalingGroup } from '../../functions/nodes/auto-scaling-groups';
import { ensureLaunchTemplate } from '../../functions/nodes/launch-templates';
import { checkValidation } from '../../functions/validate/check-validation';
import { passDelaySeconds, validateCluster } from '../../functions/validate/validate-cluster';
import { worldNow } from '../../shared/clock';
import type { StepDeps } from '../../functions/lib/deps';
import { NotReadyError } from '../../shared/errors';
import { STATUS_MARKERS } from '../../shared/render';
import { FakeSsm, withFakeSsm } from './fake-ssm';
import { baseSpec, eventually, startWorld, type World } from './world';

let w: World;
let cp: LaunchControlPlaneOutput;
let machines: { id: string; zone: string; dns: string; role: 'control-plane' | 'node' }[];

beforeAll(async () => {
  w = await startWorld({ ...baseSpec, instanceGroups: [{ name: 'nodes', min: 2, max: 4, machineType: 't3.medium' }] });
  cp = await launchControlPlane({ cluster: 'demo', imageId: w.imageId, subnets: w.subnets, securityGroups: w.securityGroups }, w.env.deps);
  const launchTemplate = await ensureLaunchTemplate({ cluster: 'demo', group: 'nodes', imageId: w.imageId, securityGroups: w.securityGroups }, w.env.deps);
  await ensureAutoScalingGroup({ cluster: 'demo', group: 'nodes', subnets: w.subnets, launchTemplate }, w.env.deps);
  // The simulated Auto Scaling group launches its instances and puts them InService.
  const group = await eventually(async () => {
    const g = (await w.env.deps.clients.autoscaling.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['nodes.demo'] }))).AutoScalingGroups![0];
    if ((g.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length < 2) throw new Error('not in service yet');
    return g;
  }, 15000);
  const ids = [cp.first, ...group.Instances!.map((i) => i.InstanceId!)];
  await eventually(async () => {
    const out = await w.env.deps.clients.ec2.send(new ec2.DescribeInstancesCommand({ InstanceIds: ids }));
    const all = out.Reservations!.flatMap((r) => r.Instances ?? []);
    if (all.some((i) => i.State?.Name !== 'running')) throw new Error('not running yet');
    machines = all.map((i) => ({
      id: i.InstanceId!,
      zone: i.Placement!.AvailabilityZone!,
      dns: i.PrivateDnsName!,
      role: i.InstanceId === cp.first ? 'control-plane' : 'node',
    }));
  }, 15000);
});
afterAll(() => w?.env.stop());

function node(m: (typeof machines)[number], ready = true) {
  return {
    metadata: { name: m.dns, labels: m.role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '' } : {} },
    spec: { providerID: `aws:///${m.zone}/${m.id}` },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], nodeInfo: { kubeletVersion: 'v1.34.1' } },
  };
}

function pod(name: string, nodeName: string, labels: Record<string, string>, phase = 'Running') {
  return { metadata: { name, namespace: 'kube-system', labels }, spec: { nodeName }, status: { phase, conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False' }] } };
}

/** A healthy cluster's status output, changed by `edit`. */
function statusOutput(edit: (s: { nodes: ReturnType<typeof node>[]; pods: ReturnType<typeof pod>[] }) => void = () => {}): string {
  const cpNode = machines.find((m) => m.role === 'control-plane')!;
  const s = {
    nodes: machines.map((m) => node(m)),
    pods: [
      ...['kube-apiserver', 'etcd', 'kube-controller-manager', 'kube-scheduler'].map((c) => pod(`${c}-${cpNode.dns}`, cpNode.dns, { component: c, tier: 'control-plane' })),
      ...machines.map((m, i) => pod(`cilium-${i}`, m.dns, { 'k8s-app': 'cilium' })),
      pod('aws-cloud-controller-manager-abcde', cpNode.dns, { 'k8s-app': 'aws-cloud-controller-manager' }),
    ],
  };
  edit(s);
  return [STATUS_MARKERS.nodes, JSON.stringify({ items: s.nodes }), STATUS_MARKERS.pods, JSON.stringify({ items: s.pods }), ''].join('\n');
}

async function judge(stdout: string, passes = 0, status = 'Success') {
  const ssm = new FakeSsm();
  ssm.online.add(cp.first);
  const deps: StepDeps = withFakeSsm(w.env.deps, ssm);
  const command = await validateCluster({ cluster: 'demo', operationId: w.operationId, controlPlane: cp }, deps);
  ssm.finish(command.commandId, status, stdout, status === 'Success' ? '' : 'The connection to the server 10.0.0.1:6443 was refused');
  return checkValidation({ cluster: 'demo', command, passes }, deps);
}

describe('checkValidation', () => {
  it('passes a healthy cluster and counts the pass', async () => {
    const out = await judge(statusOutput(), 1);
    expect(out.failures).toEqual([]);
    expect(out).toMatchObject({ ok: true, passes: 2 });
    expect(out.nodes).toHaveLength(3);
    expect(out.nodes.find((n) => n.instanceId === cp.first)).toMatchObject({ role: 'control-plane', ready: true, version: 'v1.34.1' });
    const record = await w.env.deps.store.requireCluster('demo');
    expect(record.instanceGroups['control-plane']).toMatchObject({ desired: 1, inService: 1, ready: 1 });
    expect(record.instanceGroups.nodes).toMatchObject({ desired: 2, inService: 2, ready: 2 });
  });

  it('fails a pass on a NotReady node, naming it', async () => {
    const worker = machines.find((m) => m.role === 'node')!;
    const out = await judge(statusOutput((s) => (s.nodes = s.nodes.map((n) => (n.metadata.name === worker.dns ? node(worker, false) : n)))), 1);
    expect(out).toMatchObject({ ok: false, passes: 0 });
    expect(out.failures).toContainEqual({ kind: 'Node', name: worker.dns, message: `node "${worker.dns}" of role "node" is not ready` });
  });

  it('fails a pass when a group’s machine has not joined', async () => {
    const worker = machines.find((m) => m.role === 'node')!;
    const out = await judge(statusOutput((s) => (s.nodes = s.nodes.filter((n) => n.metadata.name !== worker.dns))));
    expect(out.ok).toBe(false);
    expect(out.failures).toContainEqual({ kind: 'Machine', name: worker.id, message: `machine "${worker.id}" of InstanceGroup "nodes" has not yet joined cluster` });
  });

  it('fails a pass when a control-plane pod is missing or pending', async () => {
    const out = await judge(
      statusOutput((s) => {
        s.pods = s.pods.filter((p) => p.metadata.labels.component !== 'etcd');
        s.pods = s.pods.map((p) => (p.metadata.labels.component === 'kube-scheduler' ? { ...p, status: { phase: 'Pending', conditions: [] } } : p));
      }),
    );
    const cpNode = machines.find((m) => m.role === 'control-plane')!;
    expect(out.ok).toBe(false);
    expect(out.failures).toContainEqual({ kind: 'Pod', name: `kube-system/etcd-${cpNode.dns}`, message: `control-plane pod "etcd" is missing on node "${cpNode.dns}"` });
    expect(out.failures.map((f) => f.message)).toContain(`system-node-critical pod "kube-scheduler-${cpNode.dns}" is pending`);
  });

  it('fails a pass when the CNI or the cloud controller manager is missing', async () => {
    const out = await judge(statusOutput((s) => (s.pods = s.pods.filter((p) => !p.metadata.labels['k8s-app']))));
    expect(out.failures.map((f) => f.message)).toEqual(
      expect.arrayContaining(['no cilium CNI pod (k8s-app=cilium) in kube-system', 'no AWS cloud controller manager pod (k8s-app=aws-cloud-controller-manager) in kube-system']),
    );
  });

  it('counts a failed status command as a failed pass, not a terminal error', async () => {
    const out = await judge('', 1, 'Failed');
    expect(out).toMatchObject({ ok: false, passes: 0 });
    expect(out.failures[0]).toMatchObject({ kind: 'Command', name: cp.first });
    expect(out.failures[0].message).toContain('refused');
  });

  it("spaces the next pass from the host's end of the last one: its snapshot waits only what is left of the interval", async () => {
    const ssm = new FakeSsm();
    ssm.online.add(cp.first);
    const deps = withFakeSsm(w.env.deps, ssm);
    const first = await validateCluster({ cluster: 'demo', operationId: w.operationId, controlPlane: cp }, deps);
    ssm.finish(first.commandId, 'Success', statusOutput());
    const passed = await checkValidation({ cluster: 'demo', command: first, passes: 0 }, deps);
    expect(passed).toMatchObject({ ok: true, passes: 1, endedAt: ssm.commands[0].EndedAt!.toISOString() });

    const delayOf = (commandId: string) => Number(/^sleep ([0-9.]+)$/m.exec(ssm.script(ssm.commands.find((c) => c.CommandId === commandId)!))?.[1] ?? 0);
    expect(delayOf(first.commandId)).toBe(0);
    const ago = (seconds: number) => new Date(worldNow().getTime() - seconds * 1000).toISOString();
    const soon = await validateCluster({ cluster: 'demo', operationId: w.operationId, controlPlane: cp, lastPassEndedAt: ago(3), passIntervalSeconds: 10 }, deps);
    expect(delayOf(soon.commandId)).toBeGreaterThan(6);
    expect(delayOf(soon.commandId)).toBeLessThanOrEqual(7);
    const late = await validateCluster({ cluster: 'demo', operationId: w.operationId, controlPlane: cp, lastPassEndedAt: ago(12), passIntervalSeconds: 10 }, deps);
    expect(delayOf(late.commandId)).toBe(0);
  });

  it('never waits longer than the interval, whatever the clock of the last pass said', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(passDelaySeconds(undefined, 10, now)).toBe(0);
    expect(passDelaySeconds('2026-01-01T00:00:04Z', 10, now)).toBe(10);
    expect(passDelaySeconds('2025-12-31T23:59:58Z', 10, now)).toBe(8);
  });

  it('is not ready while the command runs', async () => {
    const ssm = new FakeSsm();
    const deps = withFakeSsm(w.env.deps, ssm);
    const command = await validateCluster({ cluster: 'demo', operationId: w.operationId, controlPlane: cp }, deps);
    await expect(checkValidation({ cluster: 'demo', command, passes: 0 }, deps)).rejects.toBeInstanceOf(NotReadyError);
  });
});
