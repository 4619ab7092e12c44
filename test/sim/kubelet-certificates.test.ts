/**
 * Kubelet client certificates age too: a year after the join, unless the kubelet rotates its
 * certificate before then (kubeadm's default, `rotateCertificates: true`: at about 80% of its
 * life, through a CSR the controller manager signs). Two single-node clusters, the same
 * control-plane renewals; the one whose KubeletConfiguration turned rotation off loses its
 * node when the kubelet's certificate runs out, the other keeps it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INIT } from './kube-scripts';
import { type Sim, launch, network, runScript, startSim, stopSim } from './ssm-helpers';

const DAY = 86_400;
const RESTART = 'crictl --runtime-endpoint unix:///run/containerd/containerd.sock pods --namespace kube-system -q | xargs -r crictl stopp';

let sim: Sim;
let rotating: string;
let fixed: string;

/** INIT with a KubeletConfiguration appended to the kubeadm config (the seed writes it with printf). */
function initWith(kubelet: string): string[] {
  return INIT.map((line) => (line.includes('> /etc/kubernetes/kubeadm-init.yaml') ? `${line}\nprintf '%s\\n' '---' 'apiVersion: kubelet.config.k8s.io/v1beta1' 'kind: KubeletConfiguration' ${kubelet} >> /etc/kubernetes/kubeadm-init.yaml` : line));
}

const jump = async (seconds: number) => {
  const res = await fetch(`${sim.server.url}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: seconds }) });
  expect(res.status).toBe(200);
};

/** Each node's Ready reason. With no CNI installed a posting kubelet says KubeletNotReady; a silent one is NodeStatusUnknown. */
async function readiness(): Promise<Record<string, string>> {
  const { clusters } = (await (await fetch(`${sim.server.url}/_sim/kubernetes`)).json()) as { clusters: { nodes: { instanceId: string; readyReason: string }[] }[] };
  return Object.fromEntries(clusters.flatMap((c) => c.nodes.map((n) => [n.instanceId, n.readyReason])));
}
const POSTING = 'KubeletNotReady';
const SILENT = 'NodeStatusUnknown';

beforeAll(async () => {
  sim = await startSim();
  const subnet = await network(sim);
  [rotating, fixed] = await Promise.all([launch(sim, subnet), launch(sim, subnet)]);
  const [a, b] = await Promise.all([runScript(sim, rotating, initWith("'rotateCertificates: true'")), runScript(sim, fixed, initWith("'rotateCertificates: false'"))]);
  expect(a.Status, a.StandardErrorContent).toBe('Success');
  expect(b.Status, b.StandardErrorContent).toBe('Success');
}, 180_000);
afterAll(() => stopSim(sim));

describe('kubelet client certificates on the simulated clock', () => {
  it('are rotated before they expire when rotation is on, and not when it is off', async () => {
    expect(await readiness()).toEqual({ [rotating]: POSTING, [fixed]: POSTING });
    // Day 340: both control planes renew theirs (the API server's are due), as Hopper does.
    await jump(340 * DAY);
    for (const cp of [rotating, fixed]) {
      const renewed = await runScript(sim, cp, ['kubeadm certs renew all', RESTART]);
      expect(renewed.Status, renewed.StandardErrorContent).toBe('Success');
    }
    expect(await readiness()).toEqual({ [rotating]: POSTING, [fixed]: POSTING });
    // Day 370: the kubelet that could not rotate is refused by its API server.
    await jump(30 * DAY);
    expect(await readiness()).toEqual({ [rotating]: POSTING, [fixed]: SILENT });
    // And a year later still, the rotating one has rotated again.
    await jump(300 * DAY);
    for (const cp of [rotating]) expect((await runScript(sim, cp, ['kubeadm certs renew all', RESTART])).Status).toBe('Success');
    await jump(100 * DAY);
    expect((await readiness())[rotating]).toBe(POSTING);
  });
});
