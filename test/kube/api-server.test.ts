/**
 * The simulated cluster's API server, checked with clients no one here wrote: the official
 * Kubernetes client for JavaScript, and kubectl. Both reach it over TLS at a local address,
 * verify its certificate as the endpoint's name, and authenticate with certificates the
 * cluster CA signed; what they change is the same model the hosts' kubeadm and kubectl see.
 */
import { request } from 'node:https';
import { readFile } from 'node:fs/promises';
import { AppsV1Api, CoreV1Api, KubeConfig, Watch, type V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createCa } from '../../local/sim/kube/pki';
import { ENDPOINT_HOST, startKubeFixture, type KubeFixture } from './fixture';
import { kubectl, whenKubectl } from './kubectl';

let f: KubeFixture;
let admin: string;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  f = await startKubeFixture();
  admin = await f.kubeconfig('alice', ['kubeadm:cluster-admins']);
  kc = new KubeConfig();
  kc.loadFromFile(admin);
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(() => f?.stop());

/** A raw request with a kubeconfig's credentials (or none), for what the clients would not send. */
async function raw(kubeconfig: string | undefined, method: string, path: string, body?: string, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
  const doc = kubeconfig ? (parse(await readFile(kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[]; users: { user: Record<string, string> }[] }) : undefined;
  const user = doc?.users[0].user ?? {};
  const b64 = (v?: string) => (v ? Buffer.from(v, 'base64') : undefined);
  const [host, port] = f.address.split(':');
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port: Number(port), method, path, servername: ENDPOINT_HOST, ca: f.cluster.ca.certPem, cert: b64(user['client-certificate-data']), key: b64(user['client-key-data']), headers: body ? { 'Content-Type': contentType } : {} },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the API server, to the official Kubernetes client', () => {
  it('lists the nodes the hosts joined, Ready, with their kubelet version', async () => {
    const nodes = await core.listNode();
    expect(nodes.items.map((n) => n.metadata?.name)).toEqual(['cp-1', 'worker-1', 'worker-2']);
    for (const n of nodes.items) {
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(n.status?.nodeInfo?.kubeletVersion).toBe('v1.33.5');
    }
    const workers = await core.listNode({ labelSelector: '!node-role.kubernetes.io/control-plane' });
    expect(workers.items.map((n) => n.metadata?.name)).toEqual(['worker-1', 'worker-2']);
  });

  it('creates, reads, updates and deletes a ConfigMap, with optimistic concurrency', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'settings', labels: { app: 'demo' } }, data: { color: 'blue' } } });
    expect(created.metadata?.uid).toBeTruthy();
    const read = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'default' });
    expect(read.data).toEqual({ color: 'blue' });
    const replaced = await core.replaceNamespacedConfigMap({ name: 'settings', namespace: 'default', body: { ...read, data: { color: 'green' } } });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(read.metadata?.resourceVersion));
    // The stale version is refused: someone else changed it since.
    await expect(core.replaceNamespacedConfigMap({ name: 'settings', namespace: 'default', body: { ...read, data: { color: 'red' } } })).rejects.toMatchObject({ code: 409 });
    expect((await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'app=demo' })).items.map((c) => c.data)).toEqual([{ color: 'green' }]);
    await core.deleteNamespacedConfigMap({ name: 'settings', namespace: 'default' });
    await expect(core.readNamespacedConfigMap({ name: 'settings', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
  });

  it('runs a Deployment: its pods are scheduled on the workers, and a deleted pod is replaced', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: 'shop' } } });
    await apps.createNamespacedDeployment({
      namespace: 'shop',
      body: { metadata: { name: 'api' }, spec: { replicas: 2, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'nginx:1.27' }] } } } },
    });
    const pods = await core.listNamespacedPod({ namespace: 'shop' });
    expect(pods.items).toHaveLength(2);
    expect(pods.items.every((p) => p.spec?.nodeName?.startsWith('worker-'))).toBe(true);
    await core.deleteNamespacedPod({ name: pods.items[0].metadata!.name!, namespace: 'shop' });
    const after = await core.listNamespacedPod({ namespace: 'shop' });
    expect(after.items).toHaveLength(2);
    expect(after.items.map((p) => p.metadata?.name)).not.toContain(pods.items[0].metadata?.name);
    expect((await apps.readNamespacedDeployment({ name: 'api', namespace: 'shop' })).status?.readyReplicas).toBe(2);
    // A new image rolls the pods onto a new template.
    const current = await apps.readNamespacedDeployment({ name: 'api', namespace: 'shop' });
    current.spec!.template.spec!.containers[0].image = 'nginx:1.28';
    await apps.replaceNamespacedDeployment({ name: 'api', namespace: 'shop', body: current });
    const rolled = await core.listNamespacedPod({ namespace: 'shop' });
    expect(rolled.items.map((p) => p.spec?.containers[0].image)).toEqual(['nginx:1.28', 'nginx:1.28']);
    expect((await apps.readNamespacedDeployment({ name: 'api', namespace: 'shop' })).metadata?.generation).toBe(2);
    await core.deleteNamespace({ name: 'shop' });
    expect(f.cluster.pods.filter((p) => p.namespace === 'shop')).toEqual([]);
  });

  it('watches nodes: a node that joins is ADDED, and turns Ready as a MODIFIED', async () => {
    const seen: { type: string; name: string; ready?: string }[] = [];
    const list = await core.listNode();
    const watch = new Watch(kc);
    const done = new Promise<void>((resolve, reject) => {
      void watch
        .watch('/api/v1/nodes', { resourceVersion: list.metadata?.resourceVersion }, (type: string, node: V1Node) => {
          seen.push({ type, name: node.metadata?.name ?? '', ready: node.status?.conditions?.find((c) => c.type === 'Ready')?.status });
          if (seen.some((e) => e.name === 'worker-3' && e.ready === 'True')) resolve();
        }, (err: unknown) => (err ? reject(err as Error) : undefined))
        .then((ctl) => done.finally(() => ctl.abort()));
    });
    f.addWorker('worker-3'); // as a host's kubeadm join does
    await new Promise((r) => setTimeout(r, 300));
    f.advance(60); // the kubelet becomes Ready
    await done;
    expect(seen[0]).toEqual({ type: 'ADDED', name: 'worker-3', ready: 'False' });
    expect(seen.at(-1)).toEqual({ type: 'MODIFIED', name: 'worker-3', ready: 'True' });
  });
});

describe('bad requests change nothing', () => {
  it('answers a certificate another CA signed, or an expired one, with 401', async () => {
    const foreign = await f.kubeconfig('mallory', ['system:masters'], { ca: await createCa(Date.now()) });
    expect((await raw(foreign, 'GET', '/api/v1/nodes')).status).toBe(401);
    const soon = await f.kubeconfig('bob', ['kubeadm:cluster-admins']);
    expect((await raw(soon, 'GET', '/api/v1/nodes')).status).toBe(200);
    f.advance(366 * 86_400); // a year and a day on the simulated clock
    try {
      const expired = await raw(soon, 'GET', '/api/v1/nodes');
      expect(expired.status).toBe(401);
      expect(expired.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    } finally {
      f.advance(-366 * 86_400);
    }
  });

  it('treats no certificate as anonymous: /version and cluster-info only (what kubeadm join reads), else 403', async () => {
    expect((await raw(undefined, 'GET', '/version')).json).toMatchObject({ gitVersion: 'v1.33.5' });
    const info = await raw(undefined, 'GET', '/api/v1/namespaces/kube-public/configmaps/cluster-info');
    expect(info.status).toBe(200);
    expect(String((info.json.data as Record<string, string>).kubeconfig)).toContain(`server: https://${ENDPOINT_HOST}:6443`);
    const nodes = await raw(undefined, 'GET', '/api/v1/nodes');
    expect(nodes.status).toBe(403);
    expect(nodes.json.message).toBe('nodes is forbidden: User "system:anonymous" cannot list resource "nodes" in API group "" at the cluster scope');
  });

  it("refuses a node's credential what the Node authorizer refuses, in Kubernetes' Status form", async () => {
    const kubelet = await f.kubeconfig('system:node:worker-1', ['system:nodes']);
    expect((await raw(kubelet, 'GET', '/api/v1/nodes')).status).toBe(200);
    const del = await raw(kubelet, 'DELETE', '/api/v1/namespaces/default');
    expect(del.status).toBe(403);
    expect(del.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: 'namespaces "default" is forbidden: User "system:node:worker-1" cannot delete resource "namespaces" in API group "" at the cluster scope' });
    const other = await raw(kubelet, 'PATCH', '/api/v1/nodes/worker-2', '{"spec":{"unschedulable":true}}', 'application/merge-patch+json');
    expect(other.status).toBe(403);
    expect(f.cluster.nodes.get('worker-2')?.unschedulable).toBe(false);
    expect((await raw(kubelet, 'GET', '/api/v1/namespaces/kube-system/secrets')).status).toBe(403);
    // Its own Node, yes — but it cannot make itself a control plane or taint itself (NodeRestriction).
    const role = await raw(kubelet, 'PATCH', '/api/v1/nodes/worker-1', '{"metadata":{"labels":{"node-role.kubernetes.io/control-plane":""}}}', 'application/merge-patch+json');
    expect(role.status).toBe(403);
    expect(role.json.message).toContain('is not allowed to modify labels: node-role.kubernetes.io/control-plane');
    const taint = await raw(kubelet, 'PATCH', '/api/v1/nodes/worker-1', '{"spec":{"taints":[{"key":"dedicated","value":"x","effect":"NoSchedule"}]}}', 'application/merge-patch+json');
    expect(taint.status).toBe(403);
    expect(f.cluster.nodes.get('worker-1')?.labels['node-role.kubernetes.io/control-plane']).toBeUndefined();
    const allowed = await raw(kubelet, 'PATCH', '/api/v1/nodes/worker-1', '{"metadata":{"labels":{"topology.kubernetes.io/zone":"us-east-1a"}}}', 'application/merge-patch+json');
    expect(allowed.status).toBe(200);
  });

  it('answers unknown resources with 404 and malformed bodies with 400, creating nothing', async () => {
    const unknown = await raw(admin, 'GET', '/api/v1/widgets');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    const before = (await core.listNamespacedConfigMap({ namespace: 'default' })).items.length;
    const bad = await raw(admin, 'POST', '/api/v1/namespaces/default/configmaps', '{"metadata": {"name": "half"');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    const badName = await raw(admin, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'Not_A_Name' } }));
    expect(badName.status).toBe(422);
    const noNamespace = await raw(admin, 'POST', '/api/v1/namespaces/nowhere/configmaps', JSON.stringify({ metadata: { name: 'x' } }));
    expect(noNamespace.json).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });
    expect((await core.listNamespacedConfigMap({ namespace: 'default' })).items.length).toBe(before);
    expect((await raw(admin, 'DELETE', '/api/v1/namespaces/kube-system')).status).toBe(403);
    // A malformed Service is refused before it is stored (a table or watch would trip on it later).
    expect((await raw(admin, 'POST', '/api/v1/namespaces/default/services', JSON.stringify({ metadata: { name: 'bad' }, spec: { ports: { port: 80 } } }))).status).toBe(422);
  });
});

describe('the API server, to kubectl', () => {
  whenKubectl(
    () => {
      const run = (...args: string[]) => kubectl(admin, f.dir, args);
      it('gets nodes -o wide with the server-side columns', async () => {
        const r = await run('get', 'nodes', '-o', 'wide');
        expect(r.stderr).toBe('');
        const [head, ...rows] = r.stdout.trim().split('\n');
        expect(head.split(/\s{2,}/)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
        expect(rows.find((l) => l.startsWith('cp-1'))).toMatch(/^cp-1\s+Ready\s+control-plane\s+\S+\s+v1\.33\.5\s+10\.0\.0\.11\s+<none>\s+Ubuntu 24\.04\.1 LTS/);
      });

      it('creates a ConfigMap and prints it as YAML', async () => {
        expect((await run('create', 'configmap', 'app-config', '--from-literal=mode=fast')).stdout).toBe('configmap/app-config created\n');
        const yaml = parse((await run('get', 'cm', 'app-config', '-o', 'yaml')).stdout) as { kind: string; data: Record<string, string>; metadata: { namespace: string } };
        expect(yaml).toMatchObject({ kind: 'ConfigMap', data: { mode: 'fast' }, metadata: { namespace: 'default' } });
        const again = await run('create', 'configmap', 'app-config', '--from-literal=mode=slow');
        expect(again.code).not.toBe(0);
        expect(again.stderr).toContain('configmaps "app-config" already exists');
      });

      it('cordons and uncordons a node, which the model (and so Hopper\'s validation) sees', async () => {
        expect((await run('cordon', 'worker-1')).stdout).toBe('node/worker-1 cordoned\n');
        expect(f.cluster.nodes.get('worker-1')?.unschedulable).toBe(true);
        expect((await run('get', 'node', 'worker-1')).stdout).toMatch(/worker-1\s+Ready,SchedulingDisabled/);
        expect((await run('uncordon', 'worker-1')).stdout).toBe('node/worker-1 uncordoned\n');
        expect(f.cluster.nodes.get('worker-1')?.unschedulable).toBe(false);
      });

      it('drains a node through evictions, and stops at a disruption budget as the hosts\' drain does', async () => {
        f.faults.refuseEviction = ['worker-2'];
        const refused = await run('drain', 'worker-2', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=3s');
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
        f.faults.refuseEviction = [];
        const r = await run('drain', 'worker-2', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=30s');
        // kubectl 1.20 (Debian's) ends with "evicted" where newer ones say "drained".
        expect(r.stderr + r.stdout).toMatch(/node\/worker-2 (drained|evicted)/);
        expect(f.cluster.pods.filter((p) => p.nodeName === 'worker-2' && p.kind === 'deployment')).toEqual([]);
        expect(f.cluster.nodes.get('worker-2')?.unschedulable).toBe(true);
        await run('uncordon', 'worker-2');
      }, 60_000);
    },
    it,
    it.skip,
  );
});
