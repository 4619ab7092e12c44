/**
 * The user's path, end to end: `npm start` as a child process, driven only through the
 * `hopper` CLI (a child process too, not a TTY: progress comes as plain lines). An HA
 * cluster is created, listed, validated, scaled with `edit ig` + `update cluster`, and
 * deleted without leaving anything tagged for it in the simulated cloud.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CoreV1Api, KubeConfig, Watch, type V1Node } from '@kubernetes/client-node';
import { kubectl, whenKubectl } from '../kube/kubectl';
import { clusterResources, hopperCli, kubeNodes, simResources, sleep, startHopper, type CliResult, type Hopper } from './harness';

const NAME = 'e2e';

let hopper: Hopper;
let tmp: string;
const cli = (...args: string[]): Promise<CliResult> => hopperCli(hopper.api, args);
const show = (r: CliResult) => `exit ${r.code ?? r.signal}\n${r.all}\n--- npm start ---\n${hopper.output().slice(-4000)}`;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hopper-e2e-cli-'));
  hopper = await startHopper({ timeScale: 200 });
}, 60_000);

afterAll(async () => {
  await hopper?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const kubeconfigPath = () => join(tmp, 'kubeconfig');

interface NodeEvent {
  type: string;
  name: string;
  ready?: string;
}

/** Watches the cluster's nodes with @kubernetes/client-node, from the last list's version. */
async function watchNodes(): Promise<{ before: string[]; events: NodeEvent[]; until(done: (events: NodeEvent[]) => boolean): Promise<void>; stop(): void }> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  const list = await kc.makeApiClient(CoreV1Api).listNode();
  const events: NodeEvent[] = [];
  const waiters: (() => void)[] = [];
  const ctl = await new Watch(kc).watch('/api/v1/nodes', { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true }, (type: string, node: V1Node) => {
    if (type === 'BOOKMARK') return;
    events.push({ type, name: node.metadata?.name ?? '', ready: node.status?.conditions?.find((c) => c.type === 'Ready')?.status });
    for (const w of waiters.splice(0)) w();
  }, (err: unknown) => events.push({ type: 'END', name: String(err ?? 'closed') }));
  return {
    before: list.items.map((n) => n.metadata?.name ?? ''),
    events,
    async until(done) {
      const deadline = Date.now() + 20_000;
      while (!done(events) && Date.now() < deadline) await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 500); });
      expect(done(events), JSON.stringify(events)).toBe(true);
    },
    stop: () => ctl.abort(),
  };
}

/** The "nodes" Auto Scaling group of the cluster, as the simulator holds it. */
async function nodesGroup(): Promise<{ desiredCapacity: number; minSize: number; maxSize: number }> {
  const groups = (await simResources(hopper.cloud, 'autoScalingGroups')).autoScalingGroups ?? [];
  const mine = groups.filter((g) => g.tags?.[`kubernetes.io/cluster/${NAME}`] !== undefined);
  expect(mine, JSON.stringify(groups)).toHaveLength(1);
  return mine[0] as unknown as { desiredCapacity: number; minSize: number; maxSize: number };
}

describe('the hopper CLI against npm start', () => {
  it('creates an HA cluster and shows the workflow steps as plain progress lines', async () => {
    const r = await cli(
      'create', 'cluster',
      '--name', NAME,
      '--zones', 'us-east-1a,us-east-1b,us-east-1c',
      '--control-plane-count', '3',
      '--node-count', '2',
      '--yes',
    );
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Operation \\S+ \\(create\\) started for cluster ${NAME}`));
    for (const step of ['Network', 'Image', 'ControlPlane', 'Nodes', 'Validate']) {
      expect(r.stdout, show(r)).toMatch(new RegExp(`^\\[\\S+\\] ✓ ${step}\\b`, 'm'));
    }
    // Finished stages say what they made, with ids.
    expect(r.stdout, show(r)).toMatch(/^\[\S+\] ✓ Network: VPC vpc-[0-9a-f]+, \d+ subnets, NATs? nat-[0-9a-f]+.*, load balancer e2e-api \(/m);
    expect(r.stdout, show(r)).toMatch(/^\[\S+\] ✓ ControlPlane: control plane i-[0-9a-f]+, i-[0-9a-f]+, i-[0-9a-f]+ \(/m);
    // While it runs, lines end with what remains of the critical path (the API's estimate).
    expect(r.stdout, show(r)).toMatch(/^\[\S+\] [▸✓] \w+.* — (about \S+ left|finishing)$/m);
    // Not a TTY: no spinner frames or cursor control, one line per step change.
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stdout).toMatch(/succeeded in/);
    expect(r.stdout).toContain(`Cluster "${NAME}" is ready.`);
  }, 60_000);

  it('lists the cluster as Ready and prints its spec as YAML', async () => {
    const list = await cli('get', 'clusters');
    expect(list.code, show(list)).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+STATUS\s+REGION/m);
    expect(list.stdout).toMatch(new RegExp(`^${NAME}\\s+Ready\\s+us-east-1\\s`, 'm'));

    const yaml = await cli('get', 'cluster', NAME, '-o', 'yaml');
    expect(yaml.code, show(yaml)).toBe(0);
    const spec = parse(yaml.stdout) as { name: string; region: string; zones: string[]; controlPlane?: { count?: number }; instanceGroups?: Array<{ name: string; min?: number; max?: number }> };
    expect(spec.name).toBe(NAME);
    expect(spec.region).toBe('us-east-1');
    expect(spec.zones).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(spec.controlPlane?.count).toBe(3);
    expect(spec.instanceGroups?.find((g) => g.name === 'nodes')).toMatchObject({ min: 2, max: 2 });
  }, 30_000);

  it('validates the cluster', async () => {
    const r = await cli('validate', 'cluster', NAME);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain(`Your cluster ${NAME} is ready`);
    expect(r.stdout).toMatch(/INSTANCE GROUPS/);
  }, 30_000);

  describe('from this machine, through the public API load balancer', () => {
    whenKubectl(
      () => {
        it('exports a kubeconfig that kubectl uses: get nodes -o wide, create and read a ConfigMap, cordon and uncordon', async () => {
          // 24 hours of simulated time: at this time scale one hour would pass in 18 s.
          const exported = await cli('export', 'kubeconfig', NAME, '--kubeconfig', kubeconfigPath(), '--ttl', '24h');
          expect(exported.code, show(exported)).toBe(0);
          expect(exported.stderr).not.toContain('warning');
          const run = (...args: string[]) => kubectl(kubeconfigPath(), tmp, args);
          const nodes = await run('get', 'nodes', '-o', 'wide');
          expect(nodes.stderr, nodes.stderr).toBe('');
          const rows = nodes.stdout.trim().split('\n').slice(1);
          expect(rows.filter((r) => /\sReady\s+control-plane\s/.test(r)), nodes.stdout).toHaveLength(3);
          expect(rows.filter((r) => /\sReady\s+<none>\s/.test(r)), nodes.stdout).toHaveLength(2);
          expect((await run('create', 'configmap', 'hello', '--from-literal=from=kubectl')).stdout).toBe('configmap/hello created\n');
          expect(parse((await run('get', 'cm', 'hello', '-o', 'yaml')).stdout)).toMatchObject({ data: { from: 'kubectl' } });
          const worker = rows.find((r) => /\sReady\s+<none>\s/.test(r))!.split(/\s+/)[0];
          expect((await run('cordon', worker)).stdout).toBe(`node/${worker} cordoned\n`);
          expect((await kubeNodes(hopper.cloud, NAME)).find((n) => n.name === worker)?.unschedulable).toBe(true);
          expect((await run('uncordon', worker)).stdout).toBe(`node/${worker} uncordoned\n`);
        }, 60_000);
      },
      it,
      it.skip,
    );
  });

  it('scales the node group from 2 to 3 with edit ig and update cluster --yes', async () => {
    expect((await nodesGroup()).desiredCapacity).toBe(2);
    // The official Kubernetes client watches the nodes from this machine while the group grows.
    const watched = await watchNodes();
    // The "editor": rewrites min/max 2 → 3 in the file it is given, as a user would.
    const editor = join(tmp, 'editor.sh');
    await writeFile(editor, `#!/bin/sh\nsed -i -e 's/^\\( *\\)max: 2$/\\1max: 3/' -e 's/^\\( *\\)min: 2$/\\1min: 3/' "$1"\n`);
    await chmod(editor, 0o755);
    const edit = await hopperCli(hopper.api, ['edit', 'ig', '--name', NAME, 'nodes'], { EDITOR: editor, VISUAL: '' });
    expect(edit.code, show(edit)).toBe(0);
    expect(edit.stdout).toContain('Instance group "nodes" of cluster e2e updated');
    // Desired state only: the cloud has not changed yet.
    expect((await nodesGroup()).desiredCapacity).toBe(2);

    const dry = await cli('update', 'cluster', NAME);
    expect(dry.code, show(dry)).toBe(0);
    expect(dry.stdout).toContain('Must specify --yes to apply changes');

    const update = await cli('update', 'cluster', NAME, '--yes');
    expect(update.code, show(update)).toBe(0);
    expect(update.stdout).toContain('Cluster changes have been applied to the cloud.');
    expect(await nodesGroup()).toMatchObject({ desiredCapacity: 3, minSize: 3, maxSize: 3 });

    // The third machine joins Kubernetes and becomes Ready.
    const deadline = Date.now() + 30_000;
    let nodes = await kubeNodes(hopper.cloud, NAME);
    while (nodes.filter((n) => n.role !== 'control-plane' && n.ready).length < 3 && Date.now() < deadline) {
      await sleep(250);
      nodes = await kubeNodes(hopper.cloud, NAME);
    }
    expect(nodes.filter((n) => n.role !== 'control-plane' && n.ready), JSON.stringify(nodes)).toHaveLength(3);
    expect(nodes.filter((n) => n.role === 'control-plane')).toHaveLength(3);
    const joined = nodes.filter((n) => !watched.before.includes(n.name)).map((n) => n.name);
    expect(joined).toHaveLength(1);
    await watched.until((events) => events.some((e) => e.name === joined[0] && e.ready === 'True'));
    expect(watched.events.find((e) => e.name === joined[0])).toMatchObject({ type: 'ADDED' });
    watched.stop();

    // And validation says so.
    const validate = await cli('validate', 'cluster', NAME, '--wait', '10s');
    expect(validate.code, show(validate)).toBe(0);
    expect(validate.stdout).toMatch(/^nodes\s+Node\s+\S+\s+3\s+3\s/m);
  }, 60_000);

  it('lists the operations and describes the update: every stage with attempts and durations, the plan as its detail', async () => {
    const ops = await cli('get', 'operations', NAME);
    expect(ops.code, show(ops)).toBe(0);
    const line = ops.stdout.split('\n').find((l) => /\supdate\s+Succeeded\s/.test(l));
    expect(line, ops.stdout).toBeDefined();
    const id = line!.split(/\s+/)[0];
    const d = await cli('describe', 'operation', id);
    expect(d.code, show(d)).toBe(0);
    expect(d.stdout).toMatch(new RegExp(`^Operation: +${id}$`, 'm'));
    expect(d.stdout).toMatch(/^Status: +Succeeded$/m);
    expect(d.stdout).toMatch(/^ +STAGE +STATUS +ATTEMPTS +STARTED +DURATION +ERROR$/m);
    expect(d.stdout).toMatch(/^ +Prepare +Succeeded +1 +\+\S+ +\S+ +-$/m);
    expect(d.stdout).toMatch(/^ +Plan +Succeeded +1 +\+\S+ +\S+ +-$/m);
    // The plan the update applied, as the Plan stage recorded it.
    expect(d.stdout).toMatch(/^Details:\n {2}Plan:\n {4}summary: /m);
  }, 60_000);

  it('deletes the cluster and leaves nothing tagged for it', async () => {
    const r = await cli('delete', 'cluster', NAME, '--yes');
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain(`Deleted cluster: "${NAME}"`);
    expect(await clusterResources(hopper.cloud, NAME)).toEqual({});

    const list = await cli('get', 'clusters');
    expect(list.code, show(list)).toBe(0);
    expect(list.stdout).not.toMatch(new RegExp(`^${NAME}\\s`, 'm'));
  }, 60_000);
});
