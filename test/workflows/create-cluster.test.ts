/**
 * The create-cluster workflow end to end: the real ASL on the local Step Functions runner,
 * the real steps, the cloud simulator (whose hosts run the rendered scripts) and dynalite,
 * driven over the HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';
import { clusterResources, countByKind, haPrivateWithBastion, kubernetesNodes } from './world';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
}, 60_000);
afterAll(() => cp?.stop());

type Stage = { name: string; status: string; startedAt?: string; endedAt?: string; attempts?: number };
const stage = (op: { steps: Stage[] }, name: string) => {
  const found = op.steps.find((s) => s.name === name);
  expect(found, `${name} in ${JSON.stringify(op.steps)}`).toBeDefined();
  return { ...found!, started: Date.parse(found!.startedAt ?? ''), ended: Date.parse(found!.endedAt ?? '') };
};

async function create(spec: Record<string, unknown>) {
  const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', spec);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return cp.waitForOperation(res.body.operation.id, 240_000);
}

/** Create, reading the operation as a watching CLI does: every `Stage: activity` it showed. */
async function createWatching(spec: Record<string, unknown>) {
  const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', spec);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const seen = new Set<string>();
  const deadline = Date.now() + 240_000;
  for (;;) {
    const { body } = await cp.request<{ status: string; steps: Array<Stage & { activity?: { text: string } }> }>('GET', `/v1/operations/${res.body.operation.id}`);
    for (const s of body.steps) if (s.activity) seen.add(`${s.name}: ${s.activity.text}`);
    if (!['Pending', 'Running'].includes(body.status) || Date.now() > deadline) return { op: await cp.waitForOperation(res.body.operation.id), seen: [...seen] };
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('create-cluster', () => {
  it('builds a single-control-plane public cluster that ends Ready with its nodes in Kubernetes', async () => {
    const { op, seen } = await createWatching({ name: 'solo', region: 'us-east-1', zones: ['us-east-1a'], topology: 'public' });
    expect(op.error, JSON.stringify(op.error)).toBeUndefined();
    expect(op.status).toBe('Succeeded');
    expect(op.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['Network', 'Image', 'ControlPlane', 'Nodes', 'Validate']));
    // Each stage ends when its own work is done: the image when the bake has, the network with
    // its last part — the NAT gateways' routing, which comes up while the control plane boots.
    const network = stage(op, 'Network');
    const image = stage(op, 'Image');
    expect(network).toMatchObject({ status: 'Succeeded', attempts: 1 });
    expect(network.started).toBeLessThan(image.ended);
    expect(image.ended).toBeLessThanOrEqual(stage(op, 'ControlPlane').started);
    expect(network.ended).toBeGreaterThanOrEqual(stage(op, 'ControlPlane').started);
    // What each running stage was doing, in words with the ids: the bake's own execution
    // reports on the create's Image stage.
    expect(seen, seen.join('\n')).toContainEqual(expect.stringMatching(/^Image: (installing Kubernetes \S+ packages on builder|waiting for install packages on) i-\w+$/));
    expect(seen, seen.join('\n')).toContainEqual(expect.stringMatching(/^ControlPlane: (kubeadm init|waiting for init control plane) on i-\w+$/));
    // A finished stage shows none.
    expect(op.steps.filter((s) => (s as { activity?: unknown }).activity)).toEqual([]);
    const cluster = await cp.request<{ status: string; kubernetesVersion: string; lock?: unknown }>('GET', '/v1/clusters/solo');
    expect(cluster.body.status).toBe('Ready');
    const res = countByKind(await clusterResources(cp, 'solo'));
    expect(res.vpcs).toBe(1);
    expect(res.natGateways).toBeUndefined(); // public topology: no NAT
    expect(res.autoScalingGroups).toBe(1);
    const nodes = await kubernetesNodes(cp);
    expect(nodes.filter((n) => n.ready !== false).length).toBeGreaterThanOrEqual(3); // 1 control plane + 2 nodes
  }, 300_000);

  it('reuses the cached image for a second cluster, with no bake', async () => {
    const imagesBefore = ((await cp.simResources()).images ?? []).length;
    const op = await create({ name: 'again', region: 'us-east-1', zones: ['us-east-1a'], topology: 'public' });
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(((await cp.simResources()).images ?? []).length).toBe(imagesBefore);
    // The image was known at once: its stage ended then, not when the control plane launched.
    const image = stage(op, 'Image');
    expect(image).toMatchObject({ status: 'Succeeded', attempts: 1 });
    expect(image.ended).toBeLessThan(stage(op, 'ControlPlane').started);
    // The control plane launches without waiting for the network's NAT part.
    expect(stage(op, 'Network').ended).toBeGreaterThanOrEqual(stage(op, 'ControlPlane').started);
    const instances = (await cp.simResources()).instances as Array<{ tags: Record<string, string> }>;
    expect(instances.filter((i) => i.tags['hopper:role'] === 'image-builder' && i.tags['hopper:cluster'] === 'again')).toHaveLength(0);
  }, 300_000);

  it('builds an HA private cluster over three zones with a bastion', async () => {
    const op = await create(haPrivateWithBastion('ha'));
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    // The image is cached by now (the first test baked it): its stage ends at once, and the
    // network's — NAT gateways, the load balancer, the bastion, the roles — minutes later.
    expect(stage(op, 'Network')).toMatchObject({ status: 'Succeeded', attempts: 1 });
    expect(stage(op, 'Image').ended).toBeLessThan(stage(op, 'Network').ended);
    const res = await clusterResources(cp, 'ha');
    const counts = countByKind(res);
    expect(counts.natGateways).toBe(3);
    expect(counts.loadBalancers).toBe(1);
    const roles = res.instances.map((i) => i.tags['hopper:role']);
    expect(roles.filter((r) => r === 'control-plane')).toHaveLength(3);
    expect(roles.filter((r) => r === 'bastion')).toHaveLength(1);
    const zones = new Set(res.instances.filter((i) => i.tags['hopper:role'] === 'control-plane').map((i) => i.availabilityZone));
    expect(zones.size).toBe(3);
    // The API load balancer sends to every control-plane instance.
    const controlPlane = res.instances.filter((i) => i.tags['hopper:role'] === 'control-plane').map((i) => i.id).sort();
    const targets = (res.targetGroups[0].targets as Array<{ id: string }>).map((t) => t.id).sort();
    expect(targets).toEqual(controlPlane);
  }, 300_000);
});
