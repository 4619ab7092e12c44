/**
 * Restoring a control plane's etcd from a snapshot, as kubeadm's documentation does it: the
 * static pods stopped (their manifests moved out of /etc/kubernetes/manifests), `etcdctl
 * snapshot restore` into a new data directory put in place of the old one, the manifests moved
 * back. The objects are then those of the snapshot; done in another order, or only halfway,
 * nothing changes — as on a real control plane.
 */
import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREPARE } from './kube-scripts';
import { type Sim, launch, network, runScript, startSim, stopSim } from './ssm-helpers';

let sim: Sim;
let subnet: string;

const ADMIN = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';
const ETCDCTL = 'ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key';
const INIT = [
  ...PREPARE,
  'apt-get install -y etcd-client',
  "printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: InitConfiguration\\nnodeRegistration:\\n  name: %s\\n---\\napiVersion: kubeadm.k8s.io/v1beta4\\nkind: ClusterConfiguration\\nkubernetesVersion: v1.31.4\\ncontrolPlaneEndpoint: %s:6443\\netcd:\\n  local:\\n    dataDir: /var/lib/etcd/data\\n' \"$NAME\" \"$IP\" > /etc/kubernetes/kubeadm-init.yaml",
  'kubeadm init --config /etc/kubernetes/kubeadm-init.yaml',
];
/** A restored data directory for this (only) member, from /root/snap.db. */
const RESTORE_DATA = (dir: string, token: string) =>
  `ETCDCTL_API=3 etcdctl snapshot restore /root/snap.db --data-dir ${dir} --name "$NAME" --initial-cluster "$NAME=https://$IP:2380" --initial-advertise-peer-urls "https://$IP:2380" --initial-cluster-token ${token}`;
/** The instance's name and address (a token good for six simulated hours: the clock runs fast here). */
const IDENTITY = [
  'TOKEN=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")',
  'md() { curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }',
  'IP=$(md local-ipv4); NAME=$(md local-hostname)',
];
const lastLine = (text: string | undefined) => (text ?? '').trim().split('\n').at(-1);

async function terminate(instanceId: string): Promise<void> {
  await sim.ec2.send(new ec2.TerminateInstancesCommand({ InstanceIds: [instanceId] }));
}

beforeAll(async () => {
  sim = await startSim();
  subnet = await network(sim);
}, 60_000);
afterAll(() => stopSim(sim));

describe('an etcd snapshot restored on a control plane', () => {
  it('brings back what the snapshot held, once etcd restarts on the restored data', async () => {
    const cp = await launch(sim, subnet);
    const made = await runScript(sim, cp, [
      ...INIT,
      `${ADMIN} create configmap before --from-literal=a=b`,
      `${ETCDCTL} snapshot save /root/snap.db`,
      `${ADMIN} create configmap after --from-literal=c=d`,
    ]);
    expect(made.Status, made.StandardErrorContent).toBe('Success');

    // Bad requests: an existing data directory, a name outside the initial cluster.
    const refused = await runScript(sim, cp, [...IDENTITY, RESTORE_DATA('/var/lib/etcd/data', 'x')]);
    expect(refused.StandardErrorContent).toContain('Error: data-dir "/var/lib/etcd/data" exists');
    const stranger = await runScript(sim, cp, ['ETCDCTL_API=3 etcdctl snapshot restore /root/snap.db --data-dir /var/lib/etcd/other --name nobody --initial-cluster "somebody=https://10.0.0.9:2380"']);
    expect(stranger.StandardErrorContent).toContain('couldn\'t find local name "nobody" in the initial cluster configuration');
    const elsewhere = await runScript(sim, cp, [...IDENTITY, 'ETCDCTL_API=3 etcdctl snapshot restore /root/snap.db --data-dir /var/lib/etcd/other --name "$NAME" --initial-cluster "$NAME=https://10.0.0.9:2380" --initial-advertise-peer-urls "https://$IP:2380"']);
    expect(elsewhere.StandardErrorContent).toContain('but missing from --initial-advertise-peer-urls=');

    // Swapped under a running etcd, the new data changes nothing until etcd restarts.
    const swapped = await runScript(sim, cp, [
      'set -euo pipefail',
      ...IDENTITY,
      RESTORE_DATA('/var/lib/etcd/restored-1', 'restore-1'),
      'mv /var/lib/etcd/data /var/lib/etcd/data.before-1 && mv /var/lib/etcd/restored-1 /var/lib/etcd/data',
      `${ADMIN} get configmap after -o name`,
    ]);
    expect(swapped.Status, swapped.StandardErrorContent).toBe('Success');
    expect(lastLine(swapped.StandardOutputContent)).toBe('configmap/after');

    // The documented way: static pods stopped, then started on the restored data.
    const restored = await runScript(sim, cp, [
      'set -euo pipefail',
      'mkdir -p /etc/kubernetes/held',
      'mv /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/held/',
      'test -z "$(crictl ps --name etcd -q)"',
      `if ${ADMIN} get nodes >/dev/null 2>&1; then echo "the API server still answers" >&2; exit 1; fi`,
      `if ${ETCDCTL} snapshot save /root/again.db 2>/dev/null; then echo "etcd still answers" >&2; exit 1; fi`,
      'mv /etc/kubernetes/held/*.yaml /etc/kubernetes/manifests/',
      `${ADMIN} get configmap before -o name`,
      `${ADMIN} get configmap after -o name 2>&1 || true`,
    ]);
    expect(restored.Status, restored.StandardErrorContent).toBe('Success');
    expect(restored.StandardOutputContent).toContain('configmap/before');
    expect(lastLine(restored.StandardOutputContent)).toBe('Error from server (NotFound): configmaps "after" not found');
    await terminate(cp);
  }, 180_000);

  it('on one member of three changes nothing; a lost member is removed by id', async () => {
    // Three members; only the first is restored and restarted: the other two keep the quorum.
    const first = await launch(sim, subnet);
    const init = await runScript(sim, first, [
      ...INIT.map((l) => (l.startsWith('kubeadm init') ? `${l} --upload-certs --certificate-key 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef` : l)),
      `${ADMIN} create configmap before --from-literal=a=b`,
      `${ETCDCTL} snapshot save /root/snap.db`,
      `${ADMIN} create configmap after --from-literal=c=d`,
      'kubeadm token create --print-join-command',
    ]);
    expect(init.Status, init.StandardErrorContent).toBe('Success');
    const join = `${lastLine(init.StandardOutputContent)} --control-plane --certificate-key 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef`;
    const others = [await launch(sim, subnet), await launch(sim, subnet)];
    for (const other of others) {
      const joined = await runScript(sim, other, [...PREPARE, 'apt-get install -y etcd-client', `${join} --node-name "$NAME"`]);
      expect(joined.Status, joined.StandardErrorContent).toBe('Success');
    }
    const list = await runScript(sim, first, [`${ETCDCTL} member list -w json`]);
    const listed = JSON.parse(lastLine(list.StandardOutputContent)!) as { members: { ID: string; name: string; peerURLs: string[]; started: boolean }[] };
    expect(listed.members.map((m) => m.started)).toEqual([true, true, true]);
    // In join order: the first, then the others.
    const names = listed.members.map((m) => `${m.name}=${m.peerURLs[0]}`);
    const lonely = await runScript(sim, first, [
      'set -euo pipefail',
      ...IDENTITY,
      'mkdir -p /etc/kubernetes/held && mv /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/held/',
      'test -z "$(crictl ps --name etcd -q)"',
      `ETCDCTL_API=3 etcdctl snapshot restore /root/snap.db --data-dir /var/lib/etcd/restored --name "$NAME" --initial-cluster ${names.join(',')} --initial-advertise-peer-urls "https://$IP:2380" --initial-cluster-token alone`,
      'mv /var/lib/etcd/data /var/lib/etcd/data.before && mv /var/lib/etcd/restored /var/lib/etcd/data',
      'mv /etc/kubernetes/held/etcd.yaml /etc/kubernetes/manifests/',
    ]);
    expect(lonely.Status, lonely.StandardErrorContent).toBe('Success');
    // The two others still have a quorum: "after" is still there, seen from one of them.
    const seen = await runScript(sim, others[0], [`${ADMIN} get configmap after -o name`]);
    expect(seen.Status, seen.StandardErrorContent).toBe('Success');
    expect(lastLine(seen.StandardOutputContent)).toBe('configmap/after');

    // Its old data put back and etcd restarted, the first member is one of the three again.
    const back = await runScript(sim, first, [
      'set -euo pipefail',
      'mv /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/held/',
      'test -z "$(crictl ps --name etcd -q)"',
      'rm -rf /var/lib/etcd/data && mv /var/lib/etcd/data.before /var/lib/etcd/data',
      'mv /etc/kubernetes/held/etcd.yaml /etc/kubernetes/manifests/',
      `${ETCDCTL} member list`,
    ]);
    expect(back.Status, back.StandardErrorContent).toBe('Success');

    // A lost member is removed by id; the two left keep a quorum of two.
    const id = listed.members.find((m) => names[2].startsWith(`${m.name}=`))!.ID;
    await terminate(others[1]);
    const removed = await runScript(sim, others[0], [`${ETCDCTL} member remove ${id}`, `${ETCDCTL} member list`]);
    expect(removed.Status, removed.StandardErrorContent).toBe('Success');
    expect(removed.StandardOutputContent).toContain(`Member ${id} removed from cluster`);
    expect(removed.StandardOutputContent).not.toContain(names[2].split('=')[0]);
    await Promise.all([terminate(first), terminate(others[0])]);
  }, 300_000);
});
