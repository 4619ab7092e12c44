import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREPARE } from './kube-scripts';
import { type Sim, launch, network, runScript, startSim, stopSim } from './ssm-helpers';

const INIT_CONFIG =
  "printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: ClusterConfiguration\\nkubernetesVersion: %s\\n' \"$VERSION\" > /etc/kubernetes/kubeadm-init.yaml";

describe('kubeadm failures on simulated hosts', () => {
  let sim: Sim;
  let host: string;
  let subnet: string;
  beforeAll(async () => {
    sim = await startSim();
    subnet = await network(sim);
    host = await launch(sim, subnet);
    const prepared = await runScript(sim, host, PREPARE);
    expect(prepared.Status).toBe('Success');
  });
  afterAll(async () => stopSim(sim));

  it('refuses to init a version whose minor differs from the installed kubeadm', async () => {
    const inv = await runScript(sim, host, ['mkdir -p /etc/kubernetes', 'VERSION=v1.32.0', INIT_CONFIG, 'kubeadm init --config /etc/kubernetes/kubeadm-init.yaml']);
    expect(inv.Status).toBe('Failed');
    expect(inv.StandardErrorContent).toContain('is newer than the kubeadm version (v1.31.4)');
  });

  it('fails the next kubeadm init when the fault is set, then succeeds', async () => {
    await fetch(`${sim.server.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ hosts: { kubeadmInitFailures: 1 } }) });
    const script = ['mkdir -p /etc/kubernetes', 'VERSION=v1.31.4', INIT_CONFIG, 'kubeadm init --config /etc/kubernetes/kubeadm-init.yaml'];
    const first = await runScript(sim, host, script);
    expect(first.Status).toBe('Failed');
    expect(first.StandardErrorContent).toContain('error execution phase wait-control-plane');
    const second = await runScript(sim, host, script);
    expect(second.Status).toBe('Success');
  });

  it('rejects a join whose CA hash does not match the cluster', async () => {
    // In the control plane's network: from another VPC its private address reaches nothing.
    const worker = await launch(sim, subnet);
    const endpoint = (await runScript(sim, host, ['kubeadm token create --print-join-command'])).StandardOutputContent ?? '';
    const wrongHash = endpoint.replace(/sha256:[0-9a-f]{64}/, `sha256:${'0'.repeat(64)}`).trim();
    const inv = await runScript(sim, worker, [...PREPARE, wrongHash]);
    expect(inv.Status).toBe('Failed');
    expect(inv.StandardErrorContent).toContain('none of the public keys');
  });

  it('reaches no cluster at a private address from another VPC', async () => {
    const elsewhere = await launch(sim, await network(sim));
    const join = (await runScript(sim, host, ['kubeadm token create --print-join-command'])).StandardOutputContent?.trim() ?? '';
    const inv = await runScript(sim, elsewhere, [...PREPARE, join]);
    expect(inv.Status).toBe('Failed');
    expect(inv.StandardErrorContent).toMatch(/dial tcp [\d.]+:6443: connect: connection refused/);
  });
});
