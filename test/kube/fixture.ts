/**
 * One simulated cluster and its API server on a 127.0.0.1 port, without the rest of the
 * simulator: a CA and serving certificate as `kubeadm init` makes them, a control plane and
 * two workers with the CNI applied, and kubeconfigs for any identity the CA signs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeCluster, type NewNode } from '../../local/sim/kube/cluster';
import { serverFor } from '../../local/sim/kube/api/server';
import { renderKubeconfig } from '../../local/sim/kube/kubeconfig';
import { createCa, issueServingCertificate, kubeadmClientCredentials, type ClusterCa } from '../../local/sim/kube/pki';
import { KubeRegistry, type KubeFaults } from '../../local/sim/kube/registry';
import { parseVersion } from '../../local/sim/kube/version';

export const ENDPOINT_HOST = 'demo-api-0123456789abcdef.elb.us-east-1.amazonaws.com';

export interface KubeFixture {
  cluster: KubeCluster;
  registry: KubeRegistry;
  faults: KubeFaults;
  /** 127.0.0.1:port where the API server answers. */
  address: string;
  dir: string;
  /** Moves the simulated clock. */
  advance(seconds: number): void;
  /** A kubeconfig file for a user and groups, signed by `ca` (the cluster's own by default). */
  kubeconfig(user: string, groups: string[], options?: { ca?: ClusterCa; noUser?: boolean }): Promise<string>;
  addWorker(name: string): void;
  stop(): Promise<void>;
}

export async function startKubeFixture(): Promise<KubeFixture> {
  let now = Date.parse('2026-06-01T00:00:00Z');
  let n = 0;
  const faults: KubeFaults = {};
  const registry = new KubeRegistry({
    now: () => now,
    hex: (len) => (n++).toString(16).padStart(len, '0').slice(-len),
    readyDelaySeconds: () => 20,
    sleep: async (s) => void (now += s * 1000),
    latency: () => 1,
    faults: () => faults,
  });
  const ca = await createCa(now);
  const endpoint = `${ENDPOINT_HOST}:6443`;
  const cluster = new KubeCluster(endpoint, 'kubernetes', parseVersion('1.33.5')!, '10.244.0.0/16', registry.runtime, ca);
  cluster.apiServerCertificate = await issueServingCertificate(ca, { dnsNames: ['kubernetes', 'cp-1', ENDPOINT_HOST], ips: ['10.96.0.1', '10.0.0.10'] }, now);
  registry.add(cluster);
  const node = (name: string, i: number): NewNode => ({
    name,
    host: { instanceId: `i-0000000000000000${i}`, availabilityZone: 'us-east-1a', internalIp: `10.0.0.${10 + i}`, hostname: name },
    kubeletVersion: parseVersion('1.33.5')!,
    externalCloudProvider: false,
  });
  let workers = 0;
  const addWorker = (name: string) => {
    workers++;
    cluster.addNode(node(name, 1 + workers), 'worker');
    registry.join(`i-0000000000000000${1 + workers}`, cluster, name);
  };
  cluster.addNode(node('cp-1', 1), 'control-plane');
  registry.join('i-00000000000000001', cluster, 'cp-1');
  cluster.applyCni('cilium');
  addWorker('worker-1');
  addWorker('worker-2');
  now += 60_000; // every node Ready

  const api = serverFor(registry, cluster)!;
  const sockets = new Set<Socket>();
  const listener: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    api.server.emit('connection', socket);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(listener.address() as { port: number }).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'hopper-kube-api-'));
  let files = 0;

  return {
    cluster,
    registry,
    faults,
    address,
    dir,
    advance: (seconds) => void (now += seconds * 1000),
    addWorker,
    async kubeconfig(user, groups, options = {}) {
      const signer = options.ca ?? ca;
      const text = renderKubeconfig(endpoint, 'demo', user, ca.certPem, await kubeadmClientCredentials(signer, { commonName: user, organizations: groups }, now))
        // Reached at the published address, verified as the endpoint's name (as Hopper's kubeconfig does).
        .replace(`server: https://${endpoint}`, `server: https://${address}\n    tls-server-name: ${ENDPOINT_HOST}`);
      const file = join(dir, `kubeconfig-${files++}`);
      await writeFile(file, options.noUser ? text.replace(/\n {4}client-(certificate|key)-data: .*/g, '') : text, { mode: 0o600 });
      return file;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
