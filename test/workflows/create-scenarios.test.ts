/**
 * The create workflow's remaining scenarios, end to end over the embedded control plane
 * (HTTP API, the real ASL, the real steps, the simulator, dynalite): a cluster in a brought
 * VPC, crash recovery with every step crashing once after its side effect, a kubeadm init
 * that fails, and the dry run.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';
import { buildBroughtNetwork, snapshotBrought, withSharedTag } from './brought';
import { bakeImage, createCluster } from '../../workflows';
import { anyTagged, clusterResources, countByKind, createAndWait, inventory, inventoryGaps, withCrashes } from './world';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
}, 60_000);
afterAll(() => cp?.stop());

/**
 * Every step of create-cluster and bake-image that creates or changes something: each
 * crashes once right after its side effect. The read-only pollers (Check*) are left out:
 * crashing them cannot duplicate anything, and the local runner's retry backoff counts a
 * state's NotReadyError polls as attempts of its Lambda.ServiceException retrier, so a
 * poller that crashes after dozens of polls waits 2 s × 2^n (hours) — see the report.
 * Read from the definitions, so a step added to either workflow is crashed too.
 */
const SIDE_EFFECT_STEPS = [
  ...new Set(
    [createCluster, bakeImage]
      .flatMap((w) => w.tasks())
      // Every step that acts: not the checks a poll repeats, but a poll that sends (SendJoin, once its instance is online).
      .filter((t) => (!t.poll || t.step.fenced) && !t.onFailurePath)
      .map((t) => t.step.name),
  ),
];

const owned = (cluster: string) => (r: { tags: Record<string, string> }) => r.tags[`kubernetes.io/cluster/${cluster}`] === 'owned';

describe('create-cluster scenarios', () => {
  it('dry run: returns the plan, kops-like, and creates nothing', async () => {
    const before = await cp.simResources();
    const res = await cp.request<{ cluster: string; changes: Array<{ action: string; kind: string; name: string; fields: unknown[] }>; summary: string }>(
      'POST',
      '/v1/clusters?dryRun=true',
      { name: 'planned', region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], controlPlane: { count: 3 }, bastion: { enabled: true } },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const plan = res.body;
    expect(plan.cluster).toBe('planned');
    expect(plan.changes.every((c) => c.action === 'create' && /^[A-Z][A-Za-z]+$/.test(c.kind) && c.name.length > 0)).toBe(true);
    const byKind = new Map<string, string[]>();
    for (const c of plan.changes) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c.name]);
    expect(byKind.get('VPC')).toEqual(['planned']);
    expect(byKind.get('Subnet')).toHaveLength(6);
    expect(byKind.get('NatGateway')).toHaveLength(3);
    expect(byKind.get('ElasticIP')).toHaveLength(3);
    expect(byKind.get('LoadBalancer')).toEqual(['planned-api']);
    expect(byKind.get('Instance')!.filter((n) => n.startsWith('control-plane'))).toHaveLength(3);
    expect(byKind.get('Instance')!.filter((n) => n.startsWith('bastion'))).toHaveLength(1);
    expect(byKind.get('AutoscalingGroup')).toEqual(['nodes.planned']);
    // The summary counts each kind, as kops's "Will create resources" block lists them.
    for (const [kind, names] of byKind) expect(plan.summary).toContain(`${names.length} ${kind}`);
    expect(plan.summary).toMatch(new RegExp(`^Will create ${plan.changes.length} resources`));

    expect(await cp.simResources()).toEqual(before);
    expect((await cp.request('GET', '/v1/clusters/planned')).status).toBe(404);
    const list = await cp.request<{ clusters: Array<{ name: string }> }>('GET', '/v1/clusters');
    expect(list.body.clusters.map((c) => c.name)).not.toContain('planned');
  });

  it('builds a cluster in a brought VPC and changes nothing of it but the shared tag', async () => {
    const zones = ['us-east-1a', 'us-east-1b'];
    const net = await buildBroughtNetwork(cp, zones);
    const before = await snapshotBrought(cp, net);
    const vpcsBefore = (await cp.simResources()).vpcs.length;

    const op = await createAndWait(cp, {
      name: 'brought',
      region: 'us-east-1',
      zones,
      vpcId: net.vpcId,
      networkCidr: net.networkCidr,
      subnets: net.subnets,
      natGateways: net.natGateways,
    });
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect((await cp.request<{ status: string }>('GET', '/v1/clusters/brought')).body.status).toBe('Ready');

    const after = await snapshotBrought(cp, net);
    const sharedTagged = Object.keys(after).filter((id) =>
      ((after[id].Tags as Array<{ Key: string; Value: string }>) ?? []).some((t) => t.Key === 'kubernetes.io/cluster/brought' && t.Value === 'shared'),
    );
    // The VPC and the subnets carry the shared tag; only network resources Hopper uses may.
    expect(sharedTagged).toEqual(expect.arrayContaining([net.vpcId, ...net.subnets.map((s) => s.id)]));
    const mayTag = [net.vpcId, net.internetGatewayId, ...net.subnets.map((s) => s.id), ...net.natGateways.map((n) => n.id)];
    expect(sharedTagged.filter((id) => !mayTag.includes(id))).toEqual([]);
    for (const id of Object.keys(before)) expect(after[id], id).toEqual(withSharedTag(before, 'brought', sharedTagged)[id]);

    // Hopper made no network of its own.
    const world = await cp.simResources();
    expect(world.vpcs.length).toBe(vpcsBefore);
    const mine = await clusterResources(cp, 'brought');
    for (const kind of ['vpcs', 'subnets', 'natGateways', 'internetGateways', 'addresses']) {
      expect((mine[kind] ?? []).filter(owned('brought')).map((r) => r.id), kind).toEqual([]);
    }
    const subnetsOfVpc = (world.subnets as Array<{ vpcId: string }>).filter((s) => s.vpcId === net.vpcId);
    expect(subnetsOfVpc).toHaveLength(net.subnets.length);
    // Its instances live in the brought subnets.
    const ids = new Set(net.subnets.map((s) => s.id));
    expect(mine.instances.length).toBeGreaterThanOrEqual(3);
    for (const i of mine.instances) expect(ids.has(i.subnetId as string), i.id).toBe(true);
    const records = await inventory(cp, 'brought');
    for (const id of [net.vpcId, ...net.subnets.map((s) => s.id), ...net.natGateways.map((n) => n.id)]) {
      expect(records.find((r) => r.id === id)?.ownership, id).toBe('shared');
    }
  }, 120_000);

  it('recovers from every creating step crashing once after its side effect: exactly one of each resource', async () => {
    const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    const op = await withCrashes(SIDE_EFFECT_STEPS.join(','), () =>
      createAndWait(cp, { name: 'crashy', region: 'us-east-1', zones, topology: 'private', controlPlane: { count: 3 } }, 180_000),
    );
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect((await cp.request<{ status: string }>('GET', '/v1/clusters/crashy')).body.status).toBe('Ready');
    // The crashes did happen: the execution's history shows them, state by state.
    const history = cp.embedded.stepFunctions.history(op.executionArn!) as unknown as Array<{ type: string; taskFailedEventDetails?: { stateName?: string; cause?: string } }>;
    const crashedStates = new Set(
      history.filter((e) => e.type === 'TaskFailed' && e.taskFailedEventDetails?.cause?.includes('injected fault')).map((e) => e.taskFailedEventDetails!.stateName),
    );
    expect([...crashedStates]).toEqual(
      expect.arrayContaining(['EnsureVpc', 'EnsureInternetGateway', 'EnsureZoneSubnets', 'EnsureNatGateway', 'EnsureApiLoadBalancer', 'LaunchControlPlane', 'InitControlPlane', 'SendJoin', 'EnsureLaunchTemplate', 'EnsureAutoScalingGroup']),
    );

    const res = await clusterResources(cp, 'crashy');
    const counts = countByKind(res);
    expect(counts.vpcs).toBe(1);
    expect(counts.internetGateways).toBe(1);
    expect(counts.subnets).toBe(2 * zones.length);
    expect(counts.natGateways).toBe(zones.length);
    expect(counts.addresses).toBe(zones.length);
    expect(counts.loadBalancers).toBe(1);
    expect(counts.targetGroups).toBe(1);
    expect(counts.listeners).toBe(1);
    expect(counts.autoScalingGroups).toBe(1);
    expect(counts.launchTemplates).toBe(1);
    // One public table, one private per zone.
    expect(counts.routeTables).toBe(1 + zones.length);
    const roles = res.instances.map((i) => i.tags['hopper:role']);
    expect(roles.filter((r) => r === 'control-plane')).toHaveLength(3);
    expect(roles.filter((r) => r === 'node')).toHaveLength(2);
    expect(roles.filter((r) => r !== 'control-plane' && r !== 'node')).toEqual([]);
    // Security groups: one per role, none twice.
    const sgRoles = res.securityGroups.map((g) => g.tags['hopper:role']);
    expect(new Set(sgRoles).size).toBe(sgRoles.length);
    const all = await cp.simResources();
    expect((all.vpcs as unknown[]).length).toBeGreaterThanOrEqual(1);
    // Untagged leftovers in its VPC: none but the VPC's main table and default group.
    const vpcId = res.vpcs[0].id;
    expect((all.routeTables as Array<{ vpcId: string; main?: boolean; tags: Record<string, string> }>).filter((t) => t.vpcId === vpcId && !t.main && !t.tags['hopper:cluster'])).toEqual([]);
    expect(
      (all.securityGroups as Array<{ vpcId: string; groupName: string; tags: Record<string, string> }>).filter((g) => g.vpcId === vpcId && g.groupName !== 'default' && !g.tags['hopper:cluster']),
    ).toEqual([]);
    expect((all.addresses as Array<{ tags: Record<string, string> }>).filter((a) => !a.tags?.['hopper:cluster'] && !a.tags?.team)).toEqual([]);

    const gaps = await inventoryGaps(cp, 'crashy');
    expect(gaps.unknown, 'tagged for the cluster but not in the inventory').toEqual([]);
    expect(gaps.missing, 'in the inventory but never in the cloud').toEqual([]);
  }, 240_000);

  it('fails readably when kubeadm init fails, releases the lock and leaves nothing the inventory does not know', async () => {
    // The init script resets the host and exits 1; CheckInit's failure is terminal (not
    // retried), so one failure fails the create. Counted down in place: 0 again after.
    await cp.faults({ hosts: { kubeadmInitFailures: 1 } });
    try {
      const op = await createAndWait(cp, { name: 'noinit', region: 'us-east-1', zones: ['us-east-1a'], topology: 'public' });
      expect(op.status).toBe('Failed');
      expect(op.error?.step).toBe('ControlPlane');
      expect(op.error?.message).toMatch(/InitControlPlane/);
      expect(op.error?.message).toMatch(/kubeadm|could not initialize a Kubernetes cluster|wait-control-plane/);
      const stage = op.steps.find((s) => s.name === 'ControlPlane');
      expect(stage?.status).toBe('Failed');
      const cluster = await cp.request<{ status: string; lock?: unknown }>('GET', '/v1/clusters/noinit');
      expect(cluster.body.status).toBe('Failed');
      expect(cluster.body.lock).toBeUndefined();

      // The token and certificate key published before init name nothing now: withdrawn, so no
      // node joins with them (the CA hash and the endpoint stay; the next attempt rewrites all).
      const ssm = new SSMClient({ endpoint: cp.cloud, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
      const param = (name: string) => ssm.send(new GetParameterCommand({ Name: `/hopper/noinit/join/${name}`, WithDecryption: true })).then(() => 'present', (err: { name?: string }) => err.name ?? 'error');
      expect(await param('token')).toBe('ParameterNotFound');
      expect(await param('certificate-key')).toBe('ParameterNotFound');
      expect(await param('endpoint')).toBe('present');
      ssm.destroy();

      const gaps = await inventoryGaps(cp, 'noinit');
      expect(gaps.unknown).toEqual([]);
      expect(gaps.missing).toEqual([]);
      expect((await anyTagged(cp, 'noinit')).length).toBeGreaterThan(0);

      // The lock is free: a delete is accepted.
      const del = await cp.request<{ operation: { id: string } }>('DELETE', '/v1/clusters/noinit');
      expect(del.status, JSON.stringify(del.body)).toBe(202);
      const deleted = await cp.waitForOperation(del.body.operation.id, 120_000);
      expect(deleted.status, JSON.stringify(deleted.error)).toBe('Succeeded');
    } finally {
      await cp.faults({ hosts: { kubeadmInitFailures: 0 } });
    }
  }, 180_000);
});
