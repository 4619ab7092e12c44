/**
 * Kubernetes that ages: kubeadm's one-year certificates expire on the simulated clock, and a
 * control plane that is not renewed stops being usable — the hosts' kubectl refuses the API
 * server's certificate (x509), kubelets stop posting status (nodes Unknown after 40 s).
 * `kubeadm certs renew all` writes new certificates, which count once the static pods
 * restart (`crictl stopp`), as kubeadm warns; an admin.conf that expired is Unauthorized.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificateExpiry } from '../../shared/render';
import { INIT } from './kube-scripts';
import { type Sim, launch, network, runScript, startSim, stopSim } from './ssm-helpers';

const KUBECTL = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';
const DAY = 86_400;

let sim: Sim;
let cp: string;
const jump = async (seconds: number) => {
  const res = await fetch(`${sim.server.url}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: seconds }) });
  expect(res.status).toBe(200);
};
const simNow = async () => ((await (await fetch(`${sim.server.url}/_sim/clock`)).json()) as { epochMs: number }).epochMs;
const run = (...commands: string[]) => runScript(sim, cp, commands);

beforeAll(async () => {
  sim = await startSim();
  cp = await launch(sim, await network(sim));
  const init = await run(...INIT);
  expect(init.Status, init.StandardErrorContent).toBe('Success');
}, 120_000);
afterAll(() => stopSim(sim));

describe('certificates on the simulated clock', () => {
  it('lists kubeadm’s certificates with a year to live, and the CAs with ten', async () => {
    const out = await run('kubeadm certs check-expiration');
    expect(out.Status).toBe('Success');
    const text = out.StandardOutputContent ?? '';
    expect(text).toMatch(/^apiserver\s+\w{3} \d{2}, \d{4} \d{2}:\d{2} UTC\s+364d\s+ca\s+no$/m);
    expect(text).toMatch(/^ca\s+\w{3} \d{2}, \d{4} \d{2}:\d{2} UTC\s+9y\s+no$/m);
    const expires = Date.parse(parseCertificateExpiry(text)!);
    expect(Math.abs(expires - ((await simNow()) + 365 * DAY * 1000))).toBeLessThan(DAY * 1000);
  });

  it('breaks the cluster a year later, and renewing without restarting the API server is not enough', async () => {
    await jump(366 * DAY);
    const broken = await run(`${KUBECTL} get nodes`);
    expect(broken.Status).toBe('Failed');
    expect(broken.StandardErrorContent).toMatch(/Unable to connect to the server: tls: failed to verify certificate: x509: certificate has expired or is not yet valid/);
    const nodes = (await (await fetch(`${sim.server.url}/_sim/kubernetes`)).json()) as { clusters: { nodes: { readyReason: string }[] }[] };
    expect(nodes.clusters[0].nodes.map((n) => n.readyReason)).toEqual(['NodeStatusUnknown']);

    const renewed = await run('kubeadm certs renew all');
    expect(renewed.StandardOutputContent).toContain('You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd');
    expect(parseCertificateExpiry((await run('kubeadm certs check-expiration')).StandardOutputContent ?? '')).toBeDefined();
    // The running API server still presents the expired certificate.
    expect((await run(`${KUBECTL} get nodes`)).StandardErrorContent).toContain('x509: certificate has expired');
  });

  it('works again once the static pods restart with the renewed certificates', async () => {
    const restart = await run('crictl --runtime-endpoint unix:///run/containerd/containerd.sock pods --namespace kube-system --name kube-apiserver -q | xargs -r crictl stopp');
    expect(restart.Status, restart.StandardErrorContent).toBe('Success');
    expect(restart.StandardOutputContent).toMatch(/^Stopped sandbox \w+/);
    const ok = await run(`${KUBECTL} get nodes`);
    expect(ok.Status, ok.StandardErrorContent).toBe('Success');
  });

  it('refuses an admin.conf whose own certificate expired, as Unauthorized', async () => {
    await run('cp /etc/kubernetes/admin.conf /root/old-admin.conf');
    await jump(364 * DAY);
    await run('kubeadm certs renew all', 'crictl pods --name kube-apiserver -q | xargs -r crictl stopp');
    await jump(2 * DAY);
    const old = await run('kubectl --kubeconfig /root/old-admin.conf get nodes');
    expect(old.Status).toBe('Failed');
    expect(old.StandardErrorContent).toContain('error: You must be logged in to the server (Unauthorized)');
    expect((await run(`${KUBECTL} get nodes`)).Status).toBe('Success');
  });
});
