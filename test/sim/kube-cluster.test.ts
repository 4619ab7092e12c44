/**
 * The seed recipe by hand through the SDK: a VPC and subnet, a control plane
 * bootstrapped with `kubeadm init` over SSM, two workers joining through user data
 * with join data from Parameter Store, a CNI applied, three Ready nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INIT, JOIN_USER_DATA } from './kube-scripts';
import { type Sim, launch, network, runScript, startSim, stopSim, until } from './ssm-helpers';

interface NodeList {
  apiVersion: string;
  kind: string;
  items: { metadata: { name: string }; spec: { providerID: string }; status: { conditions: { type: string; status: string }[]; nodeInfo: { kubeletVersion: string } } }[];
}

const KUBECTL = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';

describe('the seed recipe on the simulator', () => {
  let sim: Sim;
  let controlPlane: string;
  let subnet: string;
  beforeAll(async () => {
    sim = await startSim();
    subnet = await network(sim);
    controlPlane = await launch(sim, subnet);
  });
  afterAll(async () => stopSim(sim));

  it('bootstraps a control plane with kubeadm init over SSM', async () => {
    const inv = await runScript(sim, controlPlane, INIT);
    expect(inv.StandardErrorContent).not.toMatch(/error|not found/i);
    expect(inv.Status).toBe('Success');
    expect(inv.StandardOutputContent).toContain('Your Kubernetes control-plane has initialized successfully!');
    const admin = await runScript(sim, controlPlane, ['grep server: /etc/kubernetes/admin.conf']);
    expect(admin.StandardOutputContent).toMatch(/server: https:\/\/10\.0\.\d+\.\d+:6443/);
  });

  it('joins two workers through user data and reports three Ready nodes once a CNI is applied', async () => {
    const workers = [await launch(sim, subnet, JOIN_USER_DATA), await launch(sim, subnet, JOIN_USER_DATA)];
    await until(async () => {
      const r = (await fetch(`${sim.server.url}/_sim/kubernetes`).then((x) => x.json())) as { clusters: { nodes: unknown[] }[] };
      return r.clusters[0]?.nodes.length === 3 ? true : undefined;
    });
    const before = JSON.parse((await runScript(sim, controlPlane, [`${KUBECTL} get nodes -o json`])).StandardOutputContent ?? '') as NodeList;
    expect(before.items.map((n) => n.status.conditions.find((c) => c.type === 'Ready')?.status)).toEqual(['False', 'False', 'False']);

    const apply = await runScript(sim, controlPlane, [`${KUBECTL} apply -f https://raw.githubusercontent.com/projectcalico/calico/v3.29.1/manifests/calico.yaml`]);
    expect(apply.StandardOutputContent).toContain('daemonset.apps/calico-node created');
    const wait = await runScript(sim, controlPlane, [`${KUBECTL} wait --for=condition=Ready nodes --all --timeout=120s`]);
    expect(wait.Status).toBe('Success');

    const list = JSON.parse((await runScript(sim, controlPlane, [`${KUBECTL} get nodes -o json`])).StandardOutputContent ?? '') as NodeList;
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(list.items).toHaveLength(3);
    for (const n of list.items) {
      expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(n.status.nodeInfo.kubeletVersion).toBe('v1.31.4');
    }
    expect(list.items.map((n) => n.spec.providerID).sort()).toEqual([controlPlane, ...workers].map((id) => `aws:///us-east-1a/${id}`).sort());
  });

  it('drains a worker, and a pod that refuses eviction fails the drain with kubectl\'s message', async () => {
    const nodes = JSON.parse((await runScript(sim, controlPlane, [`${KUBECTL} get nodes -o json`])).StandardOutputContent ?? '') as NodeList;
    const [first, second] = nodes.items.map((n) => n.metadata.name).filter((_, i) => i > 0);
    const ok = await runScript(sim, controlPlane, [`${KUBECTL} drain ${first} --ignore-daemonsets --delete-emptydir-data --timeout=60s`]);
    expect(ok.Status).toBe('Success');
    expect(ok.StandardOutputContent).toContain(`node/${first} drained`);

    await fetch(`${sim.server.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ hosts: { refuseEviction: [second] } }) });
    const stuck = await runScript(sim, controlPlane, [`${KUBECTL} drain ${second} --ignore-daemonsets --delete-emptydir-data --timeout=30s`]);
    expect(stuck.Status).toBe('Failed');
    expect(stuck.StandardErrorContent).toMatch(/error when evicting pods\/"web-[0-9a-f-]+" -n "default"/);
    const forced = await runScript(sim, controlPlane, [`${KUBECTL} drain ${second} --ignore-daemonsets --delete-emptydir-data --disable-eviction --timeout=30s`]);
    expect(forced.Status).toBe('Success');
  });
});
