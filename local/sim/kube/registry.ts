/**
 * Every simulated Kubernetes cluster of one simulator, keyed by control-plane
 * endpoint (`host:port`), and which instance is which node. Faults for kubeadm and
 * evictions are read from the simulator's fault state (`POST /_sim/faults` with a
 * `hosts` object, see `KubeFaults`).
 */
import { KubeCluster, type KubeEnv } from './cluster';
import { nodeObject } from './objects';
import { formatVersion } from './version';

/** The `hosts` part of `POST /_sim/faults` that the Kubernetes model reads. */
export interface KubeFaults {
  /** The next N `kubeadm init` runs fail (after their usual duration). */
  kubeadmInitFailures?: number;
  /** The next N `kubeadm join` runs fail. */
  kubeadmJoinFailures?: number;
  /** Node names or instance ids whose workload pods refuse eviction (a PDB with no budget). */
  refuseEviction?: string[];
}

/** What kubeadm/kubectl need besides the cluster: waiting and the latency model. */
export interface KubeRuntime extends KubeEnv {
  /** aws-node's error on an instance (its EC2 calls, with the instance's role), or undefined. */
  awsNodeError?(instanceId: string, clusterName: string | undefined): Promise<string | undefined>;
  /** Resolves after `simSeconds` of simulated time. */
  sleep(simSeconds: number): Promise<void>;
  /** A latency draw in simulated seconds (`kubeadm.init`, `node.joined`, `drain`). */
  latency(key: string): number;
  /** The live fault settings; counters are decremented in place. */
  faults(): KubeFaults;
  /** The VPC an instance is in: an endpoint address means a cluster only within one network. */
  vpcOf?(instanceId: string): string | undefined;
  /** Whether any disk still holds etcd data of the cluster `id` under `dataDir` (`etcd.ts`). */
  holdsEtcdData?(id: string, dataDir: string): boolean;
  /**
   * Whether `host:port` reaches a serving target now: false for a load balancer that is not
   * active or has no healthy target yet, true for an address (see `elbv2/forwarding.ts`).
   */
  endpointForwards?(endpoint: string): boolean;
  /** The API server on an instance began answering on 6443 (health checks look again). */
  portOpened?(instanceId: string, port: number): void;
  /** Whether the instance reaches the internet (registries, AWS's endpoints): `ec2/egress.ts`. */
  reachesInternet?(instanceId: string): boolean;
}

export class KubeRegistry {
  /**
   * Clusters by network and endpoint (`vpc-…|172.20.32.4:6443`): two VPCs may both have a
   * control plane at the same private address, and each host reaches only its own.
   */
  readonly clusters = new Map<string, KubeCluster>();
  /** instance id → the cluster (its key) and node name it joined as. */
  readonly members = new Map<string, { key: string; nodeName: string }>();
  /**
   * Clusters whose etcd data no disk holds any more, by id, with the kubelets that still run
   * (instance id → node name): their objects are gone, but a kubelet keeps its kubeconfig and
   * reconnects when a control plane restored from a backup answers at the same endpoint with
   * the same CA (`revive`).
   */
  private readonly lost = new Map<string, { cluster: KubeCluster; kubelets: Map<string, string> }>();

  constructor(readonly runtime: KubeRuntime) {}

  keyOf(cluster: KubeCluster): string {
    return `${cluster.network}|${cluster.endpoint}`;
  }

  /** A cluster `kubeadm init` made. */
  add(cluster: KubeCluster): void {
    this.clusters.set(this.keyOf(cluster), cluster);
  }

  /** An instance joined `cluster` as `nodeName`. */
  join(instanceId: string, cluster: KubeCluster, nodeName: string): void {
    this.members.set(instanceId, { key: this.keyOf(cluster), nodeName });
  }

  /**
   * The cluster behind an endpoint or a kubeconfig `server:` URL, as seen from `fromInstance`
   * (in its VPC); without one, the first cluster with that endpoint.
   */
  find(endpointOrUrl: string, fromInstance?: string): KubeCluster | undefined {
    const endpoint = endpointOrUrl.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    const candidates = [endpoint, `${endpoint}:443`];
    const network = fromInstance ? this.runtime.vpcOf?.(fromInstance) : undefined;
    if (network !== undefined) {
      for (const e of candidates) {
        const found = this.clusters.get(`${network}|${e}`);
        if (found) return found;
      }
      return undefined;
    }
    return [...this.clusters.values()].find((c) => candidates.includes(c.endpoint));
  }

  /** The cluster and node an instance belongs to, if it has joined one. */
  membership(instanceId: string): { cluster: KubeCluster; nodeName: string } | undefined {
    const m = this.members.get(instanceId);
    const cluster = m && this.clusters.get(m.key);
    return m && cluster ? { cluster, nodeName: m.nodeName } : undefined;
  }

  /**
   * Starts the VPC CNI's aws-node on each node of `cluster` that has none running yet
   * (`restart`: on every node, as a changed DaemonSet rolls its pods). Each finds out
   * whether its EC2 calls are allowed; the node is Ready only if they are.
   */
  startAwsNode(cluster: KubeCluster, restart = false): void {
    if (cluster.cni?.name !== 'amazon-vpc-cni') return;
    if (restart) {
      cluster.awsNode.clear();
      cluster.awsNodeGeneration++;
    }
    const generation = cluster.awsNodeGeneration;
    const clusterName = cluster.daemonSetEnv.get('aws-node')?.CLUSTER_NAME;
    for (const [instanceId, m] of this.members) {
      if (m.key !== this.keyOf(cluster) || cluster.awsNode.has(m.nodeName) || !cluster.nodes.has(m.nodeName)) continue;
      cluster.awsNode.set(m.nodeName, { pending: true, generation });
      const report = (error: string | undefined) => {
        if (cluster.awsNodeGeneration === generation) cluster.awsNode.set(m.nodeName, { ...(error ? { error } : {}), generation });
      };
      void (this.runtime.awsNodeError?.(instanceId, clusterName) ?? Promise.resolve(undefined)).then(report, (err: Error) => report(err.message));
    }
  }

  /** Takes one from a fault counter; true when this run should fail. */
  takeFault(key: 'kubeadmInitFailures' | 'kubeadmJoinFailures'): boolean {
    const f = this.runtime.faults();
    const n = Number(f[key] ?? 0);
    if (n <= 0) return false;
    f[key] = n - 1;
    return true;
  }

  /** Whether workload pods on this node refuse eviction (fault). */
  refusesEviction(nodeName: string, instanceId: string): boolean {
    const list = this.runtime.faults().refuseEviction ?? [];
    return list.includes(nodeName) || list.includes(instanceId);
  }

  /** The instance stopped answering (or answers again): its node stops (resumes) reporting. */
  instanceDown(instanceId: string): void {
    for (const cluster of this.clusters.values()) cluster.hostDown(instanceId);
  }

  instanceUp(instanceId: string): void {
    for (const cluster of this.clusters.values()) cluster.hostUp(instanceId);
  }

  /** The instance is gone (terminated): its node stops reporting. */
  instanceGone(instanceId: string): void {
    for (const cluster of this.clusters.values()) cluster.hostGone(instanceId);
    this.members.delete(instanceId);
    for (const [id, lost] of [...this.lost]) {
      if (!lost.kubelets.delete(instanceId)) continue;
      lost.cluster.hostGone(instanceId);
      // No kubelet left to reconnect: nothing of the cluster remains anywhere.
      if (lost.kubelets.size === 0) this.lost.delete(id);
    }
  }

  /** The cluster with this etcd id, if its data still exists. */
  byId(id: string): KubeCluster | undefined {
    return [...this.clusters.values()].find((c) => c.id === id);
  }

  /**
   * Clusters whose etcd data no disk holds any more are gone, with all their objects: the
   * last member's root volume went with its instance, or its EBS volume was deleted or
   * formatted.
   */
  dropLostClusters(): void {
    const holds = this.runtime.holdsEtcdData;
    if (!holds) return;
    for (const [key, cluster] of [...this.clusters]) {
      if (holds(cluster.id, cluster.etcdDataDir)) continue;
      this.clusters.delete(key);
      const kubelets = new Map<string, string>();
      for (const [instanceId, m] of [...this.members]) {
        if (m.key !== key) continue;
        this.members.delete(instanceId);
        if (cluster.nodes.get(m.nodeName)?.role === 'worker') kubelets.set(instanceId, m.nodeName);
      }
      if (kubelets.size) this.lost.set(cluster.id, { cluster, kubelets });
    }
  }

  /**
   * A lost cluster whose data a control plane brings back from a backup (`kubeadm init` over a
   * data directory `etcdctl snapshot restore` made of one of its snapshots): the cluster, and
   * the kubelets that kept running and reconnect to it (`kubeadm init` adds them once it is
   * serving). Undefined when nothing of that cluster is left.
   */
  revive(id: string): { cluster: KubeCluster; kubelets: [instanceId: string, nodeName: string][] } | undefined {
    const lost = this.lost.get(id);
    if (!lost) return undefined;
    this.lost.delete(id);
    return { cluster: lost.cluster, kubelets: [...lost.kubelets] };
  }

  /** A cluster that now answers at another endpoint (a control plane restored at a new address). */
  rekey(cluster: KubeCluster, oldKey: string): void {
    if (oldKey === this.keyOf(cluster)) return;
    this.clusters.delete(oldKey);
    this.clusters.set(this.keyOf(cluster), cluster);
    for (const m of this.members.values()) if (m.key === oldKey) m.key = this.keyOf(cluster);
  }

  /** `GET /_sim/kubernetes`: clusters with their nodes, as tests and people read them. */
  inspect(): Record<string, unknown> {
    for (const c of this.clusters.values()) c.runControllers();
    return {
      clusters: [...this.clusters.values()].map((c) => ({
        endpoint: c.endpoint,
        clusterName: c.clusterName,
        version: formatVersion(c.version),
        cni: c.cni?.name ?? null,
        cloudControllerManager: c.cloudControllerManager,
        certificateKeyExpiresAt: c.certificateKey ? new Date(c.certificateKey.expiresAt).toISOString() : null,
        tokens: c.tokens.length,
        certificateSigningRequests: [...c.csrs.keys()],
        daemonSetEnv: Object.fromEntries(c.daemonSetEnv),
        nodes: [...c.nodes.values()].map((n) => ({
          name: n.name,
          role: n.role,
          instanceId: n.instanceId,
          ready: c.isReady(n),
          readyReason: c.readyCondition(n).reason,
          readyMessage: c.readyCondition(n).message,
          unschedulable: n.unschedulable,
          kubeletVersion: formatVersion(n.kubeletVersion),
          controlPlaneVersion: n.controlPlaneVersion ? formatVersion(n.controlPlaneVersion) : null,
          providerID: (nodeObject(c, n).spec as { providerID: string }).providerID,
          labels: n.labels,
          taints: n.taints,
        })),
        pods: c.pods.map((p) => ({ namespace: p.namespace, name: p.name, node: p.nodeName ?? null, kind: p.kind })),
      })),
    };
  }
}
