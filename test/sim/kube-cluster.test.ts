/**
 * The seed recipe by hand through the SDK: a VPC and subnet, a control plane
 * bootstrapped with `kubeadm init` over SSM, two workers joining through user data
 * with join data from Parameter Store, a CNI applied, three Ready nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREPARE } from './kube-scripts';
import { type Sim, launch, network, runScript, startSim, stopSim, until } from './ssm-helpers';

const INIT = [
  ...PREPARE,
  "printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: InitConfiguration\\nnodeRegistration:\\n  name: %s\\n---\\napiVersion: kubeadm.k8s.io/v1beta4\\nkind: ClusterConfiguration\\nkubernetesVersion: v1.31.4\\ncontrolPlaneEndpoint: %s:6443\\nnetworking:\\n  podSubnet: 10.244.0.0/16\\n' \"$NAME\" \"$IP\" > /etc/kubernetes/kubeadm-init.yaml",
  'kubeadm init --config /etc/kubernetes/kubeadm-init.yaml --upload-certs',
  'JOIN=$(kubeadm token create --ttl 24h0m0s --print-join-command)',
  'put() { aws ssm put-parameter --region "$REGION" --name "/hopper/seed/$1" --type SecureString --value "$2" --overwrite >/dev/null; }',
  'put join/ca-cert-hash "$(echo "$JOIN" | awk \'{print $7}\')"',
  'put join/endpoint "$IP:6443"',
  'put join/certificate-key "$(kubeadm init phase upload-certs --upload-certs | tail -1)"',
  // The token last: workers wait for it, so everything else is there when it appears.
  'put join/token "$(echo "$JOIN" | awk \'{print $5}\')"',
];

const JOIN_USER_DATA = [
  '#!/bin/bash',
  ...PREPARE,
  'get() { aws ssm get-parameter --region "$REGION" --name "/hopper/seed/$1" --with-decryption --query Parameter.Value --output text; }',
  'until get join/token >/dev/null 2>&1; do sleep 10; done',
  "printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: JoinConfiguration\\ndiscovery:\\n  bootstrapToken:\\n    apiServerEndpoint: %s\\n    token: %s\\n    caCertHashes:\\n    - %s\\nnodeRegistration:\\n  name: %s\\n' \"$(get join/endpoint)\" \"$(get join/token)\" \"$(get join/ca-cert-hash)\" \"$NAME\" > /etc/kubernetes/kubeadm-join.yaml",
  'kubeadm join --config /etc/kubernetes/kubeadm-join.yaml',
  '',
].join('\n');

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
