/**
 * The same flow as cli-flow, over raw HTTP with fetch against `npm start` in a child
 * process: create an HA cluster, follow its operation, validate, scale the node group
 * through desired state + update, upgrade one minor version, force a rolling update (a
 * ConfigMap made over SSM outlives every control-plane member being replaced), restore the
 * backup taken before another ConfigMap was made (it is gone, on every member), lose a
 * control plane behind Hopper's back (its seat is filled again, its etcd member removed), delete, and
 * nothing tagged for it is left. Every function runs as its own role here, so
 * a grant missing from any of these workflows fails this flow as it would on AWS.
 */
import { DeleteVolumeCommand, DescribeVolumesCommand, DetachVolumeCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupsBucket } from '../helpers/backups-bucket';
import type { OperationView } from '../../shared/api/types';
import { clusterResources, kubeNodes, simResources, sleep, startHopper, type Hopper } from './harness';
import { onHost } from '../helpers/on-host';

const NAME = 'e2e-http';
const KUBECTL = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';

const ETCDCTL = 'ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key';

/** etcd's members as `etcdctl member list` on a control plane shows them: id → "name at peer URL, status". */
async function etcdMembers(on: string): Promise<Record<string, string>> {
  const listed = await onHost(hopper.cloud, on, `${ETCDCTL} member list`);
  expect(listed.code, listed.err).toBe(0);
  return Object.fromEntries(listed.out.trim().split('\n').map((line) => line.split(', ')).map(([id, status, name, peer]) => [id, `${name} at ${peer}, ${status}`]));
}

/** The cluster's running control-plane instances. */
async function controlPlaneIds(): Promise<string[]> {
  const instances = (await simResources(hopper.cloud, 'instances')).instances ?? [];
  return instances
    .filter((i) => i.tags?.['hopper:cluster'] === NAME && i.tags['hopper:role'] === 'control-plane' && (typeof i.state === 'string' ? i.state : i.state?.name) === 'running')
    .map((i) => i.id);
}

let hopper: Hopper;
/** The backup taken after the upgrade, before `later` was made. */
let backupId = '';

beforeAll(async () => {
  // The schedules run, on the simulated clock, as they do in AWS: backups among them.
  hopper = await startHopper({ timeScale: 200, env: { HOPPER_SCHEDULES: 'on' } });
}, 60_000);

afterAll(() => hopper?.stop());

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${hopper.api}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Poll `GET /v1/operations/{id}` until it ends. */
async function follow(id: string, timeoutMs = 45_000): Promise<OperationView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await call<OperationView>('GET', `/v1/operations/${encodeURIComponent(id)}`);
    expect(status, JSON.stringify(body)).toBe(200);
    if (!['Pending', 'Running'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`operation ${id} still ${body.status} at ${body.currentStep} after ${timeoutMs} ms`);
    await sleep(150);
  }
}

async function accepted(res: { status: number; body: unknown }): Promise<OperationView> {
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const { operation } = res.body as { operation: OperationView };
  expect(operation.id).toBeTruthy();
  return operation;
}

function describeOp(op: OperationView): string {
  return JSON.stringify({ status: op.status, error: op.error, steps: op.steps.map((s) => `${s.name}:${s.status}`) });
}

/** The repair an EC2 event started about `instanceId`, once it has ended. */
async function repairOf(instanceId: string): Promise<OperationView> {
  const deadline = Date.now() + 60_000;
  let repair: OperationView | undefined;
  while (!repair && Date.now() < deadline) {
    const { operations } = (await call<{ operations: OperationView[] }>('GET', `/v1/clusters/${NAME}/operations`)).body;
    repair = operations.find((o) => o.type === 'repair' && JSON.stringify(o.input ?? {}).includes(instanceId));
    if (!repair) await sleep(250);
  }
  expect(repair, `no repair of ${instanceId} started`).toBeDefined();
  return follow(repair!.id, 90_000);
}

async function nodesGroup(): Promise<{ desiredCapacity: number; minSize: number; maxSize: number }> {
  const groups = (await simResources(hopper.cloud, 'autoScalingGroups')).autoScalingGroups ?? [];
  const mine = groups.filter((g) => g.tags?.[`kubernetes.io/cluster/${NAME}`] !== undefined);
  expect(mine).toHaveLength(1);
  return mine[0] as unknown as { desiredCapacity: number; minSize: number; maxSize: number };
}

describe('the REST API against npm start', () => {
  it('creates an HA cluster: 202, the operation runs its steps and the cluster ends Ready', async () => {
    const op = await accepted(
      await call('POST', '/v1/clusters', {
        name: NAME,
        region: 'us-east-1',
        zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        kubernetesVersion: '1.33.5', // one minor behind the newest, so that it can be upgraded below
        controlPlane: { count: 3 },
        instanceGroups: [{ name: 'nodes', min: 2, max: 2 }],
      }),
    );
    expect(op.type).toBe('create');
    const done = await follow(op.id);
    expect(done.status, describeOp(done)).toBe('Succeeded');
    expect(done.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['Network', 'Image', 'ControlPlane', 'Nodes', 'Validate']));
    for (const step of done.steps) expect(['Succeeded', 'Skipped'], step.name).toContain(step.status);

    const cluster = await call<{ name: string; status: string; lock?: unknown; instanceGroups: Array<{ name: string; min: number; max: number }> }>('GET', `/v1/clusters/${NAME}`);
    expect(cluster.status).toBe(200);
    expect(cluster.body.status).toBe('Ready');
    expect(cluster.body.lock ?? undefined).toBeUndefined();
    expect(cluster.body.instanceGroups.find((g) => g.name === 'nodes')).toMatchObject({ min: 2, max: 2 });

    const list = await call<{ clusters: Array<{ name: string; status: string }> }>('GET', '/v1/clusters');
    expect(list.body.clusters).toContainEqual(expect.objectContaining({ name: NAME, status: 'Ready' }));
  }, 60_000);

  it('validates: the operation\'s Validate step carries the report {ok: true}', async () => {
    const op = await accepted(await call('POST', `/v1/clusters/${NAME}/validate`, {}));
    const done = await follow(op.id);
    expect(done.status, describeOp(done)).toBe('Succeeded');
    const report = done.steps.find((s) => s.name === 'Validate')?.detail as { ok?: boolean } | undefined;
    expect(report, describeOp(done)).toMatchObject({ ok: true });
  }, 60_000);

  it('scales the node group to 3 with PUT instance-groups + POST update', async () => {
    const put = await call<{ instanceGroups: Array<{ name: string; min: number; max: number }> }>('PUT', `/v1/clusters/${NAME}/instance-groups/nodes`, { min: 3, max: 3 });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.instanceGroups.find((g) => g.name === 'nodes')).toMatchObject({ min: 3, max: 3 });
    expect((await nodesGroup()).desiredCapacity).toBe(2); // desired state only, so far

    const op = await accepted(await call('POST', `/v1/clusters/${NAME}/update`));
    const done = await follow(op.id);
    expect(done.status, describeOp(done)).toBe('Succeeded');
    expect(await nodesGroup()).toMatchObject({ desiredCapacity: 3, minSize: 3, maxSize: 3 });

    const deadline = Date.now() + 30_000;
    let workers = 0;
    while (Date.now() < deadline) {
      workers = (await kubeNodes(hopper.cloud, NAME)).filter((n) => n.role !== 'control-plane' && n.ready).length;
      if (workers >= 3) break;
      await sleep(250);
    }
    expect(workers).toBe(3);
  }, 60_000);

  it('upgrades one minor version: every instance is replaced and the cluster reports the new version', async () => {
    // An object made with kubectl over SSM must outlive every control-plane member being replaced.
    const made = await onHost(hopper.cloud, (await controlPlaneIds())[0], `${KUBECTL} create configmap keep --from-literal=kept=yes`);
    expect(made.code, made.err).toBe(0);
    const before = await kubeNodes(hopper.cloud, NAME);
    const membersBefore = await etcdMembers((await controlPlaneIds())[0]);
    const op = await accepted(await call('POST', `/v1/clusters/${NAME}/upgrade`, {}));
    expect(op.type).toBe('upgrade');
    const done = await follow(op.id, 90_000);
    expect(done.status, describeOp(done)).toBe('Succeeded');
    const cluster = await call<{ status: string; kubernetesVersion: string }>('GET', `/v1/clusters/${NAME}`);
    expect(cluster.body.status).toBe('Ready');
    const after = await kubeNodes(hopper.cloud, NAME);
    // Every instance is new; the control planes took their seats' addresses, so their names.
    expect(after.filter((n) => before.some((b) => b.instanceId === n.instanceId)), 'instances of the old version left').toEqual([]);
    expect(after.filter((n) => n.role === 'worker' && before.some((b) => b.name === n.name))).toEqual([]);
    expect(after.filter((n) => n.role === 'control-plane').map((n) => n.name).sort()).toEqual(before.filter((n) => n.role === 'control-plane').map((n) => n.name).sort());
    expect(after.filter((n) => n.unschedulable), 'cordoned nodes left').toEqual([]);
    expect(new Set(after.map((n) => n.kubeletVersion)), JSON.stringify(after)).toEqual(new Set([`v${cluster.body.kubernetesVersion}`]));
    // Each etcd member started again from its data on the seat's volume: the same members, by id.
    expect(await etcdMembers((await controlPlaneIds())[0])).toEqual(membersBefore);
  }, 120_000);

  it('backs etcd up on its schedule: a snapshot of the upgraded cluster, then an object made after it', async () => {
    // Fifteen simulated minutes on: the backup schedule fires (a catch-up of the jump), on the upgraded cluster.
    const before = ((await (await fetch(`${hopper.cloud}/_sim/clock`)).json()) as { now: string }).now;
    const jumped = await fetch(`${hopper.cloud}/_sim/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advanceSeconds: 900 }) });
    expect(jumped.status).toBe(200);
    const deadline = Date.now() + 60_000;
    let backups: { id: string; takenAt: string; revision?: number; sha256?: string }[] = [];
    while (backups.length === 0 && Date.now() < deadline) {
      backups = (await call<{ backups: typeof backups }>('GET', `/v1/clusters/${NAME}/backups`)).body.backups.filter((b) => b.takenAt > before);
      if (backups.length === 0) await sleep(250);
    }
    expect(backups.length).toBeGreaterThan(0);
    expect(backups[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    backupId = backups[0].id;
    const made = await onHost(hopper.cloud, (await controlPlaneIds())[0], `${KUBECTL} create configmap later --from-literal=made=after-the-backup`);
    expect(made.code, made.err).toBe(0);
  }, 90_000);

  it('a forced rolling update replaces every instance again', async () => {
    const before = await kubeNodes(hopper.cloud, NAME);
    const membersBefore = await etcdMembers((await controlPlaneIds())[0]);
    const op = await accepted(await call('POST', `/v1/clusters/${NAME}/rolling-update`, { force: true }));
    expect(op.type).toBe('rolling-update');
    const done = await follow(op.id, 90_000);
    expect(done.status, describeOp(done)).toBe('Succeeded');
    const after = await kubeNodes(hopper.cloud, NAME);
    expect(after.filter((n) => n.ready && !n.unschedulable)).toHaveLength(6);
    expect(after.filter((n) => before.some((b) => b.instanceId === n.instanceId))).toEqual([]);
    expect(await etcdMembers((await controlPlaneIds())[0])).toEqual(membersBefore);
    // Every member replaced twice over (upgrade, then this), one seat at a time: the object is still there.
    const read = await onHost(hopper.cloud, (await controlPlaneIds())[0], `${KUBECTL} get configmap keep -o jsonpath='{.data.kept}'`);
    expect(read.code, read.err).toBe(0);
    expect(read.out.trim()).toBe('yes');
    const later = await onHost(hopper.cloud, (await controlPlaneIds())[0], `${KUBECTL} get configmap later -o name`);
    expect(later.out.trim(), later.err).toBe('configmap/later');
  }, 120_000);

  it('restores the backup on all three members at once: the object made after it is gone, the cluster validates', async () => {
    const op = await accepted(await call('POST', `/v1/clusters/${NAME}/restore`, { backup: backupId }));
    expect(op.type).toBe('restore');
    const done = await follow(op.id, 90_000);
    expect(done.status, describeOp(done)).toBe('Succeeded');
    for (const id of await controlPlaneIds()) {
      const gone = await onHost(hopper.cloud, id, `${KUBECTL} get configmap later -o name`);
      expect(gone.err, id).toContain('configmaps "later" not found');
      const kept = await onHost(hopper.cloud, id, `${KUBECTL} get configmap keep -o jsonpath='{.data.kept}'`);
      expect(kept.out.trim(), kept.err).toBe('yes');
    }
    expect((await kubeNodes(hopper.cloud, NAME)).filter((n) => n.ready)).toHaveLength(6);
    expect((await call<{ status: string }>('GET', `/v1/clusters/${NAME}`)).body.status).toBe('Ready');
  }, 120_000);

  it('replaces a member terminated behind its back: the seat\'s member starts again from its volume at its address, nothing is lost', async () => {
    const [lost, ...rest] = await controlPlaneIds();
    const membersBefore = await etcdMembers(rest[0]);
    const ec2 = new EC2Client({ endpoint: hopper.cloud, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [lost] }));
    ec2.destroy();
    // The EC2 state-change event starts a repair of the seat.
    const done = await repairOf(lost);
    expect(done.status, describeOp(done)).toBe('Succeeded');
    const now = await controlPlaneIds();
    expect(now).toHaveLength(3);
    expect(now).not.toContain(lost);
    // The lost member never left etcd: the replacement at its address is that member again.
    expect(await etcdMembers(rest[0])).toEqual(membersBefore);
    const kept = await onHost(hopper.cloud, now.find((i) => !rest.includes(i))!, `${KUBECTL} get configmap keep -o jsonpath='{.data.kept}'`);
    expect(kept.out.trim(), kept.err).toBe('yes');
    expect((await kubeNodes(hopper.cloud, NAME)).filter((n) => n.ready)).toHaveLength(6);
  }, 120_000);

  it('replaces a member lost with its etcd volume: a new, empty volume in the seat, a new member that syncs from the others', async () => {
    const [lost, ...rest] = await controlPlaneIds();
    const membersBefore = await etcdMembers(rest[0]);
    const volumes = (await simResources(hopper.cloud, 'volumes')).volumes ?? [];
    const volume = volumes.find((v) => v.tags?.['hopper:cluster'] === NAME && (v as { attachment?: { instanceId?: string } }).attachment?.instanceId === lost);
    expect(volume, 'the member has its seat volume').toBeDefined();
    // The volume fails under the instance (taken away and deleted), then the instance goes too.
    const ec2 = new EC2Client({ endpoint: hopper.cloud, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
    await ec2.send(new DetachVolumeCommand({ VolumeId: volume!.id, Force: true }));
    for (let i = 0; i < 100; i++) {
      const state = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volume!.id] }))).Volumes?.[0]?.State;
      if (state === 'available') break;
      await sleep(50);
    }
    await ec2.send(new DeleteVolumeCommand({ VolumeId: volume!.id }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [lost] }));
    ec2.destroy();
    const done = await repairOf(lost);
    expect(done.status, describeOp(done)).toBe('Succeeded');
    const now = await controlPlaneIds();
    expect(now).toHaveLength(3);
    const newcomer = now.find((i) => !rest.includes(i))!;
    const seatVolumes = ((await simResources(hopper.cloud, 'volumes')).volumes ?? []).filter((v) => v.tags?.['hopper:cluster'] === NAME);
    expect(seatVolumes.map((v) => v.id)).not.toContain(volume!.id);
    expect(seatVolumes.find((v) => (v as { attachment?: { instanceId?: string } }).attachment?.instanceId === newcomer), 'the newcomer has a seat volume').toBeDefined();
    // Its data gone, the seat's member was removed and a new one (a new id) added.
    const membersAfter = await etcdMembers(rest[0]);
    expect(Object.keys(membersAfter)).toHaveLength(3);
    expect(Object.values(membersAfter).every((m) => m.endsWith(', started'))).toBe(true);
    expect(Object.keys(membersAfter).filter((id) => !(id in membersBefore))).toHaveLength(1);
    // The new member synced from the others: the object is there on it.
    const kept = await onHost(hopper.cloud, newcomer, `${KUBECTL} get configmap keep -o jsonpath='{.data.kept}'`);
    expect(kept.out.trim(), kept.err).toBe('yes');
    expect((await kubeNodes(hopper.cloud, NAME)).filter((n) => n.ready)).toHaveLength(6);
  }, 120_000);

  it('deletes: 202, the operation succeeds, the cluster is gone and nothing tagged for it is left', async () => {
    const op = await accepted(await call('DELETE', `/v1/clusters/${NAME}`));
    expect(op.type).toBe('delete');
    const done = await follow(op.id);
    expect(done.status, describeOp(done)).toBe('Succeeded');
    expect(await clusterResources(hopper.cloud, NAME)).toEqual({});
    expect((await call('GET', `/v1/clusters/${NAME}`)).status).toBe(404);
    const list = await call<{ clusters: Array<{ name: string }> }>('GET', '/v1/clusters');
    expect(list.body.clusters.map((c) => c.name)).not.toContain(NAME);
    // Not asked to, the delete kept the etcd backups.
    const { s3, bucket } = await backupsBucket(hopper.cloud);
    const kept = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${NAME}/etcd/` }));
    s3.destroy();
    expect((kept.Contents ?? []).map((o) => o.Key)).toContain(`${NAME}/etcd/${backupId}.db`);
  }, 60_000);
});
