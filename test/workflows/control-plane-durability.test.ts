/**
 * A control plane whose etcd data lives on its seat's own volume: a single-control-plane
 * cluster's only instance is replaced by a forced rolling update, and an object made with
 * kubectl over SSM before is still there after — the replacement took the seat's volume and
 * address, and started the control plane again from the data (the API was down meanwhile).
 * The same when the instance is terminated behind Hopper's back: the EC2 event starts a repair
 * that fills the seat from its volume. Lost together with its volume, the control plane comes
 * back from the newest backup, with the node that kept running. Deleting the cluster deletes the
 * volume.
 */
import { DeleteVolumeCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupsBucket } from '../helpers/backups-bucket';
import type { BackupsList, OperationView } from '../../shared/api/types';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';
import { onHost as onCloudHost } from '../helpers/on-host';
import { clusterResources } from './world';

const NAME = 'solo';
const KUBECTL = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';
let cp: TestControlPlane;

interface Instance {
  id: string;
  state: string;
  privateIpAddress: string;
  availabilityZone: string;
  tags: Record<string, string>;
}
interface Volume {
  id: string;
  state: string;
  encrypted: boolean;
  availabilityZone: string;
  attachment?: { instanceId: string; state: string };
  tags: Record<string, string>;
}

async function controlPlanes(): Promise<Instance[]> {
  const all = (await cp.simResources()).instances as unknown as Instance[];
  return all.filter((i) => i.tags['hopper:cluster'] === NAME && i.tags['hopper:role'] === 'control-plane' && i.state === 'running');
}
async function etcdVolumes(): Promise<Volume[]> {
  return ((await cp.simResources()).volumes as unknown as Volume[]).filter((v) => v.tags['hopper:cluster'] === NAME);
}

/** Waits (real time) for an operation of `type` about `instanceId` to start, and returns it once ended. */
async function operationOf(type: string, instanceId: string): Promise<OperationView> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await cp.embedded.eventBridge.idle();
    const { operations } = (await cp.request<{ operations: OperationView[] }>('GET', `/v1/clusters/${NAME}/operations`)).body;
    const found = operations.find((o) => o.type === type && JSON.stringify(o.input ?? {}).includes(instanceId));
    if (found) return cp.waitForOperation(found.id, 300_000);
    if (Date.now() > deadline) throw new Error(`no ${type} operation about ${instanceId}: ${JSON.stringify(operations.map((o) => [o.type, o.status]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function accepted(method: string, path: string, body?: unknown): Promise<OperationView> {
  const res = await cp.request<{ operation: OperationView }>(method, path, body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return cp.waitForOperation(res.body.operation.id, 300_000);
}

beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
  const op = await accepted('POST', '/v1/clusters', { name: NAME, region: 'us-east-1', zones: ['us-east-1a'], topology: 'public', instanceGroups: [{ name: 'nodes', min: 1, max: 1 }] });
  expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
}, 360_000);
afterAll(() => cp?.stop());
const onHost = (instanceId: string, command: string) => onCloudHost(cp.cloud, instanceId, command);

describe('a single control plane with its etcd data on the seat volume', () => {
  it('keeps its data on an encrypted volume in its seat zone, attached to the control plane', async () => {
    const [instance] = await controlPlanes();
    const volumes = await etcdVolumes();
    expect(volumes).toHaveLength(1);
    expect(volumes[0]).toMatchObject({ state: 'in-use', encrypted: true, availabilityZone: instance.availabilityZone, attachment: { instanceId: instance.id, state: 'attached' } });
    expect(volumes[0].tags).toMatchObject({ 'hopper:role': 'etcd', 'hopper:control-plane-seat': '0', [`kubernetes.io/cluster/${NAME}`]: 'owned' });
  });

  it('survives a forced rolling update that replaces the control plane: the same object, the same address, the same volume', async () => {
    const [before] = await controlPlanes();
    const made = await onHost(before.id, `${KUBECTL} create configmap keep --from-literal=kept=yes`);
    expect(made.code, made.err).toBe(0);
    const caBefore = await onHost(before.id, 'sha256sum /etc/kubernetes/pki/ca.crt');

    const op = await accepted('POST', `/v1/clusters/${NAME}/rolling-update`, { force: true, instanceGroups: ['control-plane'] });
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');

    const [after] = await controlPlanes();
    expect(after.id).not.toBe(before.id);
    expect(after.privateIpAddress).toBe(before.privateIpAddress);
    expect((await etcdVolumes())[0].attachment).toMatchObject({ instanceId: after.id, state: 'attached' });
    const read = await onHost(after.id, `${KUBECTL} get configmap keep -o jsonpath='{.data.kept}'`);
    expect(read.code, read.err).toBe(0);
    expect(read.out.trim()).toBe('yes');
    // The CA came back from Parameter Store: kubelets that joined before still trust the API server.
    expect((await onHost(after.id, 'sha256sum /etc/kubernetes/pki/ca.crt')).out).toBe(caBefore.out);
    // The node joined before still works with the cluster: same CA, same endpoint.
    const nodes = await onHost(after.id, `${KUBECTL} get nodes`);
    expect(nodes.out.split('\n').filter((l) => / Ready /.test(l))).toHaveLength(2);
  }, 300_000);

  it('survives its only instance being terminated behind Hopper\'s back: a repair fills the seat from the volume', async () => {
    const [before] = await controlPlanes();
    const ec2 = new EC2Client({ endpoint: cp.cloud, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [before.id] }));
    ec2.destroy();
    const repair = await operationOf('repair', before.id);
    expect(repair.status, JSON.stringify(repair.error)).toBe('Succeeded');
    const [after] = await controlPlanes();
    expect(after.id).not.toBe(before.id);
    expect(after.privateIpAddress).toBe(before.privateIpAddress);
    const read = await onHost(after.id, `${KUBECTL} get configmap keep -o jsonpath='{.data.kept}'`);
    expect(read.code, read.err).toBe(0);
    expect(read.out.trim()).toBe('yes');
    const cluster = await cp.request<{ status: string }>('GET', `/v1/clusters/${NAME}`);
    expect(cluster.body.status).toBe('Ready');
  }, 300_000);

  it('has its seat filled by the health sweep when the event of its only instance going never came', async () => {
    const [before] = await controlPlanes();
    // EventBridge delivers EC2's events at most once and best effort (and one that finds the
    // cluster busy starts nothing): here it is lost on the way.
    const endpoints = async (events: string) => {
      const res = await fetch(`${cp.cloud}/_sim/endpoints`, { method: 'PUT', body: JSON.stringify({ events }) });
      expect(res.status, await res.text()).toBe(200);
    };
    await endpoints('http://127.0.0.1:9/');
    try {
      const ec2 = new EC2Client({ endpoint: cp.cloud, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [before.id] }));
      ec2.destroy();
      for (let i = 0; i < 200; i++) {
        const all = (await cp.simResources()).instances as unknown as Instance[];
        if (all.find((x) => x.id === before.id)?.state === 'terminated') break;
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await endpoints(cp.embedded.urls.eventBridge);
    }
    await cp.embedded.eventBridge.idle();
    const repairsOf = async () => (await cp.request<{ operations: OperationView[] }>('GET', `/v1/clusters/${NAME}/operations`)).body.operations.filter((o) => o.type === 'repair' && JSON.stringify(o.input ?? {}).includes(before.id));
    expect(await repairsOf()).toEqual([]);
    expect(await controlPlanes()).toEqual([]);

    // The sweep finds the seat empty and fills it from its volume.
    const findings = ((await cp.embedded.lambda.invoke('instanceHealthSweep', {})) as { findings: { action: string; cluster: string; instanceId?: string; operationId?: string }[] }).findings;
    const started = findings.find((f) => f.cluster === NAME);
    expect(started, JSON.stringify(findings)).toMatchObject({ action: 'started', instanceId: before.id });
    const repair = await cp.waitForOperation(started!.operationId!, 300_000);
    expect(repair.status, JSON.stringify(repair.error)).toBe('Succeeded');
    const [after] = await controlPlanes();
    expect(after.privateIpAddress).toBe(before.privateIpAddress);
    const read = await onHost(after.id, `${KUBECTL} get configmap keep -o jsonpath='{.data.kept}'`);
    expect(read.out.trim(), read.err).toBe('yes');
    expect((await cp.request<{ status: string }>('GET', `/v1/clusters/${NAME}`)).body.status).toBe('Ready');
    // A full seat is left alone.
    const again = ((await cp.embedded.lambda.invoke('instanceHealthSweep', {})) as { findings: { cluster: string }[] }).findings;
    expect(again.filter((f) => f.cluster === NAME)).toEqual([]);
  }, 300_000);

  it('has a seat whose repair failed tried again by the sweep once an hour has passed on the jumped clock, not before', async () => {
    const [before] = await controlPlanes();
    // The seat's zone has no capacity: the repair the termination starts cannot launch.
    await cp.faults({ zonesOutOfCapacity: ['us-east-1a'] });
    try {
      const ec2 = new EC2Client({ endpoint: cp.cloud, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [before.id] }));
      ec2.destroy();
      const failed = await operationOf('repair', before.id);
      expect(failed.status).toBe('Failed');
    } finally {
      await cp.faults({ zonesOutOfCapacity: [] });
    }
    const sweep = async () => ((await cp.embedded.lambda.invoke('instanceHealthSweep', {})) as { findings: { action: string; cluster: string; operationId?: string }[] }).findings.filter((f) => f.cluster === NAME);
    // Within the hour: the seat stays empty and the cluster says why, however often the sweep looks.
    expect(await sweep()).toMatchObject([{ action: 'degraded' }]);
    // Fifty minutes on, EC2 shows the terminated instance no more (an hour of simulated time has
    // passed since it went); the sweep still knows the seat's repair failed.
    await fetch(`${cp.cloud}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 50 * 60 }) });
    expect(await sweep()).toMatchObject([{ action: 'degraded' }]);
    expect((await cp.request<{ status: string }>('GET', `/v1/clusters/${NAME}`)).body.status).toBe('Degraded');
    // Past the hour: tried again, and the zone has room now.
    await fetch(`${cp.cloud}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 11 * 60 }) });
    const [again] = await sweep();
    expect(again).toMatchObject({ action: 'started' });
    const repair = await cp.waitForOperation(again.operationId!, 300_000);
    expect(repair.status, JSON.stringify(repair.error)).toBe('Succeeded');
    const [after] = await controlPlanes();
    const read = await onHost(after.id, `${KUBECTL} get configmap keep -o jsonpath='{.data.kept}'`);
    expect(read.out.trim(), read.err).toBe('yes');
    expect((await cp.request<{ status: string }>('GET', `/v1/clusters/${NAME}`)).body.status).toBe('Ready');
  }, 300_000);

  it('is backed up: a snapshot in the bucket, listed with its time, revision, size and SHA-256', async () => {
    const sent = (await cp.embedded.lambda.invoke('etcdBackups', {})) as { backups: { cluster: string; id?: string; skipped?: string }[] };
    const mine = sent.backups.find((b) => b.cluster === NAME);
    expect(mine?.skipped, JSON.stringify(sent)).toBeUndefined();
    let list: BackupsList | undefined;
    for (let i = 0; i < 200 && !list?.backups.length; i++) {
      list = (await cp.request<BackupsList>('GET', `/v1/clusters/${NAME}/backups`)).body;
      if (!list.backups.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(list?.backups).toHaveLength(1);
    const [backup] = list!.backups;
    expect(backup.id).toBe(mine?.id);
    expect(backup.revision).toBeGreaterThan(1);
    expect(list!.overdue).toBe(false);
    // The cluster's own view shows it too.
    const view = (await cp.request<{ lastBackup?: { id: string; overdue: boolean } }>('GET', `/v1/clusters/${NAME}`)).body;
    expect(view.lastBackup).toMatchObject({ id: backup.id, overdue: false });
    // The checksum is the object's, and the snapshot holds the ConfigMap.
    const { s3, bucket } = await backupsBucket(cp.cloud);
    const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${NAME}/etcd/${backup.id}.db` }))).Body!.transformToByteArray());
    s3.destroy();
    expect(body.length).toBe(backup.sizeBytes);
    expect(createHash('sha256').update(body).digest('hex')).toBe(backup.sha256);
    expect(body.toString()).toContain('"keep"');
  }, 120_000);

  it('is restored to a backup: what was made since is gone, what it held is there; bad requests change nothing', async () => {
    const [instance] = await controlPlanes();
    const later = await onHost(instance.id, `${KUBECTL} create configmap later --from-literal=made=after-the-backup`);
    expect(later.code, later.err).toBe(0);
    const [backup] = (await cp.request<BackupsList>('GET', `/v1/clusters/${NAME}/backups`)).body.backups;
    const refused = async (body: unknown) => {
      const res = await cp.request<{ error: { message: string } }>('POST', `/v1/clusters/${NAME}/restore`, body);
      return `${res.status} ${res.body.error?.message}`;
    };
    const operationCount = async () => (await cp.request<{ operations: OperationView[] }>('GET', `/v1/clusters/${NAME}/operations`)).body.operations.length;
    const before = await operationCount();
    expect(await refused({ backup: 'yesterday' })).toMatch(/^400 /);
    expect(await refused({ backup: '2020-01-01T00-00-00Z' })).toBe(`404 cluster ${NAME} has no backup 2020-01-01T00-00-00Z (hopper get backups ${NAME} lists them)`);
    expect(await refused({ backup: `other/etcd/${backup.id}.db` })).toBe(`422 backup other/etcd/${backup.id}.db is cluster other's: a cluster is restored from its own backups only`);
    // None of those became an operation: nothing was started, nothing changed.
    expect(await operationCount()).toBe(before);
    // Another operation holds the cluster.
    const renewal = await cp.request<{ operation: OperationView }>('POST', `/v1/clusters/${NAME}/renew-certificates`);
    expect(renewal.status).toBe(202);
    expect(await refused({ backup: backup.id })).toMatch(/^409 /);
    expect((await cp.waitForOperation(renewal.body.operation.id, 300_000)).status).toBe('Succeeded');

    // A damaged copy (its bytes changed, its recorded checksum kept): refused on the hosts before anything stops.
    const { s3, bucket } = await backupsBucket(cp.cloud);
    const original = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${NAME}/etcd/${backup.id}.db` }));
    const bytes = Buffer.from(await original.Body!.transformToByteArray());
    const damagedId = '2020-02-02T02-02-02Z';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${NAME}/etcd/${damagedId}.db`, Body: Buffer.concat([bytes, Buffer.from(' ')]), Metadata: original.Metadata }));
    // A snapshot under this cluster's prefix that another cluster took (or an earlier cluster of
    // this name): its recorded uid is not this cluster's, so it is refused before anything starts.
    const foreignId = '2020-03-03T03-03-03Z';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${NAME}/etcd/${foreignId}.db`, Body: bytes, Metadata: { ...original.Metadata, 'cluster-uid': 'uid-of-another-cluster' } }));
    s3.destroy();
    const beforeForeign = await operationCount();
    expect(await refused({ backup: foreignId })).toMatch(new RegExp(`^422 backup ${foreignId} was taken from an earlier cluster named ${NAME} \\(uid uid-of-another-cluster\\), not from this one \\(uid [^)]+\\): a cluster is restored from its own backups only$`));
    expect(await operationCount()).toBe(beforeForeign);
    const damaged = await accepted('POST', `/v1/clusters/${NAME}/restore`, { backup: damagedId });
    expect(damaged.status).toBe('Failed');
    expect(damaged.error?.message).toContain(`backup ${damagedId} is damaged: its SHA-256 is`);
    expect((await cp.request<{ status: string }>('GET', `/v1/clusters/${NAME}`)).body.status).toBe('Ready');
    expect((await onHost(instance.id, `${KUBECTL} get configmap later -o name`)).out.trim()).toBe('configmap/later');

    // A restore that fails once the control plane is stopping (here: the container runtime gone,
    // so nobody can tell etcd stopped) leaves no control plane stopped: the old data serves again.
    expect((await onHost(instance.id, 'systemctl stop containerd')).code).toBe(0);
    const broken = await accepted('POST', `/v1/clusters/${NAME}/restore`, { backup: backup.id });
    expect(broken.status).toBe('Failed');
    expect((await cp.request<{ status: string }>('GET', `/v1/clusters/${NAME}`)).body.status).toBe('Degraded');
    expect((await onHost(instance.id, 'systemctl start containerd')).code).toBe(0);
    let answered = '';
    for (let i = 0; i < 100 && answered !== 'configmap/later'; i++) {
      answered = (await onHost(instance.id, `${KUBECTL} get configmap later -o name`)).out.trim();
      if (answered !== 'configmap/later') await new Promise((r) => setTimeout(r, 100));
    }
    expect(answered).toBe('configmap/later');

    const op = await accepted('POST', `/v1/clusters/${NAME}/restore`, { backup: backup.id });
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect((await onHost(instance.id, `${KUBECTL} get configmap keep -o jsonpath='{.data.kept}'`)).out.trim()).toBe('yes');
    const gone = await onHost(instance.id, `${KUBECTL} get configmap later -o name`);
    expect(gone.code).not.toBe(0);
    expect(gone.err).toContain('configmaps "later" not found');
    expect(op.steps.map((st) => `${st.name} ${st.status}`)).toEqual(['Verify Succeeded', 'Restore Succeeded', 'Validate Succeeded']);
    expect((await cp.request<{ status: string }>('GET', `/v1/clusters/${NAME}`)).body.status).toBe('Ready');
  }, 300_000);

  it('comes back from its newest backup when its only instance and its etcd volume are lost together', async () => {
    const [before] = await controlPlanes();
    const [lostVolume] = await etcdVolumes();
    // A backup of the cluster as it is now: the schedule's run at the simulated now, past the interval.
    const simNow = ((await (await fetch(`${cp.cloud}/_sim/clock`)).json()) as { now: string }).now;
    const sent = (await cp.embedded.lambda.invoke('etcdBackups', { 'detail-type': 'Scheduled Event', source: 'aws.events', time: simNow })) as { backups: { cluster: string; id?: string }[] };
    const taken = sent.backups.find((b) => b.cluster === NAME);
    expect(taken?.id, JSON.stringify(sent)).toBeDefined();
    for (let i = 0; i < 200; i++) {
      const list = (await cp.request<BackupsList>('GET', `/v1/clusters/${NAME}/backups`)).body;
      if (list.backups.some((b) => b.id === taken!.id && b.sha256)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const since = await onHost(before.id, `${KUBECTL} create configmap since --from-literal=made=after-the-last-backup`);
    expect(since.code, since.err).toBe(0);

    // The instance and its volume go together (a lost event keeps the repair from racing the delete).
    const endpoints = async (events: string) => {
      const res = await fetch(`${cp.cloud}/_sim/endpoints`, { method: 'PUT', body: JSON.stringify({ events }) });
      expect(res.status, await res.text()).toBe(200);
    };
    const ec2 = new EC2Client({ endpoint: cp.cloud, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
    await endpoints('http://127.0.0.1:9/');
    try {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [before.id] }));
      for (let i = 0; i < 300 && (await etcdVolumes()).find((v) => v.id === lostVolume.id)?.state !== 'available'; i++) await new Promise((r) => setTimeout(r, 20));
      await ec2.send(new DeleteVolumeCommand({ VolumeId: lostVolume.id }));
    } finally {
      ec2.destroy();
      await endpoints(cp.embedded.urls.eventBridge);
    }
    // Its data is nowhere now: the simulated cluster is gone with it.
    const simClusters = async () => ((await (await fetch(`${cp.cloud}/_sim/kubernetes`)).json()) as { clusters: unknown[] }).clusters;
    for (let i = 0; i < 200 && (await simClusters()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await simClusters()).toEqual([]);

    const findings = ((await cp.embedded.lambda.invoke('instanceHealthSweep', {})) as { findings: { action: string; cluster: string; operationId?: string }[] }).findings;
    const started = findings.find((f) => f.cluster === NAME);
    expect(started, JSON.stringify(findings)).toMatchObject({ action: 'started' });
    const repair = await cp.waitForOperation(started!.operationId!, 300_000);
    expect(repair.status, JSON.stringify(repair.error)).toBe('Succeeded');

    const [after] = await controlPlanes();
    expect(after.privateIpAddress).toBe(before.privateIpAddress);
    const [volume] = await etcdVolumes();
    expect(volume.id).not.toBe(lostVolume.id);
    expect(volume).toMatchObject({ encrypted: true, availabilityZone: lostVolume.availabilityZone, attachment: { instanceId: after.id, state: 'attached' } });
    // What the backup held is back; what was made after it is not.
    const kept = await onHost(after.id, `${KUBECTL} get configmap keep -o jsonpath='{.data.kept}'`);
    expect(kept.out.trim(), kept.err).toBe('yes');
    const gone = await onHost(after.id, `${KUBECTL} get configmap since -o name`);
    expect(gone.err).toContain('configmaps "since" not found');
    // The node that kept running reconnects: same endpoint, same CA.
    let ready: string[] = [];
    for (let i = 0; i < 100 && ready.length < 2; i++) {
      ready = (await onHost(after.id, `${KUBECTL} get nodes`)).out.split('\n').filter((l) => / Ready /.test(l));
      if (ready.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toHaveLength(2);
    expect((await cp.request<{ status: string }>('GET', `/v1/clusters/${NAME}`)).body.status).toBe('Ready');
    // Said plainly, once: which backup, and that what changed after it is lost.
    const events = (await cp.request<{ events: { type: string; message: string }[] }>('GET', `/v1/clusters/${NAME}/events`)).body.events.filter((e) => e.type === 'EtcdRestoredFromBackup');
    expect(events).toHaveLength(1);
    expect(events[0].message).toContain(`from backup ${taken!.id}`);
    expect(events[0].message).toContain('what changed after it is lost');
  }, 300_000);

  it('is flagged when its newest backup is older than twice the interval, by the simulated clock', async () => {
    const view = async () => (await cp.request<{ lastBackup?: { id: string; overdue: boolean } }>('GET', `/v1/clusters/${NAME}`)).body.lastBackup;
    expect((await view())?.overdue).toBe(false);
    // Two hours pass (no schedule runs here): Hopper goes by the simulator's clock, not this machine's.
    const jumped = await fetch(`${cp.cloud}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 2 * 3600 }) });
    expect(jumped.status).toBe(200);
    expect((await view())?.overdue).toBe(true);
    const list = (await cp.request<BackupsList>('GET', `/v1/clusters/${NAME}/backups`)).body;
    expect(list.overdue).toBe(true);
  }, 60_000);

  it('goes with the cluster: delete removes the volume, and the backups when asked to', async () => {
    const op = await accepted('DELETE', `/v1/clusters/${NAME}?deleteBackups=true`);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(await clusterResources(cp, NAME)).toEqual({});
    expect(await etcdVolumes()).toEqual([]);
    // Every version of every backup: the bucket is versioned, a plain delete would only hide them.
    const { s3, bucket } = await backupsBucket(cp.cloud);
    const left = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `${NAME}/etcd/` }));
    s3.destroy();
    expect([...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])]).toEqual([]);
  }, 300_000);
});
