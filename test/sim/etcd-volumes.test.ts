/**
 * EBS volumes, and a cluster's etcd data on one: the volume's rules as EC2 answers them, and
 * what a volume holds outliving the instance it was mounted on. A control plane whose etcd
 * data directory is on a volume is terminated; the cluster and its objects wait on the volume,
 * and come back when a new instance mounts it and runs `kubeadm init` over the data. Without a
 * volume — or once the volume is deleted — the cluster is gone with its last disk.
 */
import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREPARE } from './kube-scripts';
import { type Sim, launch, network, runScript, startSim, stopSim, until } from './ssm-helpers';

let sim: Sim;
let subnet: string;

const ADMIN = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';
/** Finds the volume's NVMe device by its serial, formats it if blank, mounts it at /var/lib/etcd. */
const mountVolume = (volumeId: string) => [
  `SERIAL=${volumeId.replace('-', '')}`,
  'DEV=$(lsblk -dnpo NAME,SERIAL | awk -v s="$SERIAL" \'$2 == s {print $1}\')',
  'test -n "$DEV"',
  'mkdir -p /var/lib/etcd',
  'blkid "$DEV" >/dev/null || mkfs.ext4 -q -L etcd "$DEV"',
  'mountpoint -q /var/lib/etcd || mount "$DEV" /var/lib/etcd',
];
/** kubeadm init with etcd's data directory on the volume; `extra` flags for a restore. */
const init = (extra = '') => [
  ...PREPARE,
  "printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: InitConfiguration\\nnodeRegistration:\\n  name: %s\\n---\\napiVersion: kubeadm.k8s.io/v1beta4\\nkind: ClusterConfiguration\\nkubernetesVersion: v1.31.4\\ncontrolPlaneEndpoint: %s:6443\\netcd:\\n  local:\\n    dataDir: /var/lib/etcd/data\\n' \"$NAME\" \"$IP\" > /etc/kubernetes/kubeadm-init.yaml",
  `kubeadm init --config /etc/kubernetes/kubeadm-init.yaml ${extra}`,
];

async function clusters(): Promise<{ endpoint: string; nodes: { instanceId: string }[] }[]> {
  return ((await (await fetch(`${sim.server.url}/_sim/kubernetes`)).json()) as { clusters: { endpoint: string; nodes: { instanceId: string }[] }[] }).clusters;
}

async function volume(id: string): Promise<ec2.Volume | undefined> {
  return (await sim.ec2.send(new ec2.DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [id] }] }))).Volumes?.[0];
}

async function newVolume(zone = 'us-east-1a'): Promise<string> {
  const v = await sim.ec2.send(
    new ec2.CreateVolumeCommand({ AvailabilityZone: zone, Size: 20, VolumeType: 'gp3', Encrypted: true, TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Name', Value: 'etcd' }] }] }),
  );
  await until(async () => ((await volume(v.VolumeId!))?.State === 'available' ? true : undefined));
  return v.VolumeId!;
}

async function attach(volumeId: string, instanceId: string): Promise<void> {
  await sim.ec2.send(new ec2.AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/sdf' }));
  await until(async () => ((await volume(volumeId))?.Attachments?.[0]?.State === 'attached' ? true : undefined));
}

async function terminate(instanceId: string): Promise<void> {
  await sim.ec2.send(new ec2.TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  await until(async () => {
    const r = await sim.ec2.send(new ec2.DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return r.Reservations?.[0]?.Instances?.[0]?.State?.Name === 'terminated' ? true : undefined;
  });
}

const refused = (p: Promise<unknown>) => p.then(() => undefined, (e: Error) => `${e.name}: ${e.message}`);

beforeAll(async () => {
  sim = await startSim();
  subnet = await network(sim);
}, 60_000);
afterAll(() => stopSim(sim));

describe('EBS volumes', () => {
  it('attach in their own zone only, to one instance at a time, and cannot be deleted while attached', async () => {
    const instance = await launch(sim, subnet);
    const elsewhere = await newVolume('us-east-1b');
    expect(await refused(sim.ec2.send(new ec2.AttachVolumeCommand({ VolumeId: elsewhere, InstanceId: instance, Device: '/dev/sdf' })))).toMatch(/^InvalidVolume\.ZoneMismatch/);
    const v = await newVolume();
    expect(await volume(v)).toMatchObject({ Encrypted: true, Size: 20, VolumeType: 'gp3', State: 'available', Tags: [{ Key: 'Name', Value: 'etcd' }] });
    await attach(v, instance);
    expect((await volume(v))?.State).toBe('in-use');
    expect(await refused(sim.ec2.send(new ec2.DeleteVolumeCommand({ VolumeId: v })))).toMatch(/^VolumeInUse/);
    const second = await launch(sim, subnet);
    expect(await refused(sim.ec2.send(new ec2.AttachVolumeCommand({ VolumeId: v, InstanceId: second, Device: '/dev/sdf' })))).toMatch(/^VolumeInUse/);
    // Terminating the instance detaches a volume AttachVolume attached; it is not deleted.
    await terminate(instance);
    await until(async () => ((await volume(v))?.State === 'available' ? true : undefined));
    await sim.ec2.send(new ec2.DeleteVolumeCommand({ VolumeId: v }));
    await until(async () => ((await volume(v)) === undefined ? true : undefined));
    expect(await refused(sim.ec2.send(new ec2.DescribeVolumesCommand({ VolumeIds: [v] })))).toMatch(/^InvalidVolume\.NotFound/);
    await Promise.all([terminate(second), sim.ec2.send(new ec2.DeleteVolumeCommand({ VolumeId: elsewhere }))]);
  }, 120_000);
});

describe('a requested private address', () => {
  it('is refused while an instance holds it, and free once that instance is terminated', async () => {
    const holder = await launch(sim, subnet);
    const ip = (await sim.ec2.send(new ec2.DescribeInstancesCommand({ InstanceIds: [holder] }))).Reservations![0].Instances![0].PrivateIpAddress!;
    const image = (await sim.ec2.send(new ec2.DescribeInstancesCommand({ InstanceIds: [holder] }))).Reservations![0].Instances![0].ImageId!;
    const again = () => sim.ec2.send(new ec2.RunInstancesCommand({ ImageId: image, InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, SubnetId: subnet, PrivateIpAddress: ip }));
    expect(await refused(again())).toBe(`InvalidIPAddress.InUse: Address ${ip} is in use.`);
    expect(await refused(sim.ec2.send(new ec2.RunInstancesCommand({ ImageId: image, InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, SubnetId: subnet, PrivateIpAddress: '10.1.0.9' })))).toMatch(/^InvalidParameterValue/);
    await terminate(holder);
    const out = await again();
    expect(out.Instances![0].PrivateIpAddress).toBe(ip);
    await terminate(out.Instances![0].InstanceId!);
  }, 120_000);
});

describe('etcd data on a volume', () => {
  it('outlives its control plane: a new instance mounting it gets the cluster and its objects back; deleting the volume loses them', async () => {
    const v = await newVolume();
    const first = await launch(sim, subnet);
    await attach(v, first);
    const made = await runScript(sim, first, [...mountVolume(v), ...init(), `${ADMIN} create configmap keep --from-literal=kept=yes`]);
    expect(made.Status, made.StandardErrorContent).toBe('Success');

    await terminate(first);
    // Nothing runs the cluster now, but its data is on the volume.
    expect(await clusters(), JSON.stringify(await clusters(), null, 1)).toHaveLength(1);
    await until(async () => ((await volume(v))?.State === 'available' ? true : undefined));

    const second = await launch(sim, subnet);
    await attach(v, second);
    // kubeadm refuses a data directory that is not empty unless told to use it.
    const refusedInit = await runScript(sim, second, [...mountVolume(v), ...init()]);
    expect(refusedInit.Status).toBe('Failed');
    expect(refusedInit.StandardErrorContent).toContain('[ERROR DirAvailable--var-lib-etcd-data]: /var/lib/etcd/data is not empty');
    const restored = await runScript(sim, second, [...mountVolume(v), ...init('--ignore-preflight-errors=DirAvailable--var-lib-etcd-data'), `${ADMIN} get configmap keep -o jsonpath='{.data.kept}'`]);
    expect(restored.Status, restored.StandardErrorContent).toBe('Success');
    expect((restored.StandardOutputContent ?? '').trim().split('\n').at(-1)).toBe('yes');
    expect((await clusters())[0].nodes.map((n) => n.instanceId)).toContain(second);

    await terminate(second);
    expect(await clusters()).toHaveLength(1);
    await until(async () => ((await volume(v))?.State === 'available' ? true : undefined));
    await sim.ec2.send(new ec2.DeleteVolumeCommand({ VolumeId: v }));
    await until(async () => ((await clusters()).length === 0 ? true : undefined));
  }, 240_000);

  it('is saved by etcdctl snapshot save on a control plane, objects and revision, and refused elsewhere', async () => {
    const cp = await launch(sim, subnet);
    const etcdctl = 'ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key';
    const saved = await runScript(sim, cp, [
      ...init(),
      'apt-get install -y etcd-client',
      `${ADMIN} create configmap kept --from-literal=a=b`,
      `${etcdctl} snapshot save /var/lib/etcd/snap.db`,
      'etcdctl snapshot status /var/lib/etcd/snap.db -w json',
    ]);
    expect(saved.Status, saved.StandardErrorContent).toBe('Success');
    const status = JSON.parse((saved.StandardOutputContent ?? '').trim().split('\n').at(-1)!) as { revision: number; totalKey: number; totalSize: number };
    expect(status.totalKey).toBe(1);
    expect(status.revision).toBeGreaterThan(1);
    expect(status.totalSize).toBeGreaterThan(0);
    const elsewhere = await launch(sim, subnet);
    const refused = await runScript(sim, elsewhere, ['apt-get update', 'apt-get install -y etcd-client', `${etcdctl} snapshot save /tmp/snap.db`]);
    expect(refused.Status).toBe('Failed');
    expect(refused.StandardErrorContent).toContain('connection refused');
    await Promise.all([terminate(cp), terminate(elsewhere)]);
  }, 120_000);

  it('on the root volume dies with the only control plane', async () => {
    const only = await launch(sim, subnet);
    const made = await runScript(sim, only, init());
    expect(made.Status, made.StandardErrorContent).toBe('Success');
    expect(await clusters()).toHaveLength(1);
    await terminate(only);
    expect(await clusters()).toHaveLength(0);
  }, 120_000);
});
