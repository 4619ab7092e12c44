/**
 * A cluster's API objects, as the API server holds them: the ones the cluster keeps itself
 * (rendered from the model, `derived.ts`) and the ones clients made (kept here), each with a
 * resourceVersion, and every change kept as a watch event.
 *
 * The model changes underneath (a host's kubeadm joins a node, time makes it Ready), so
 * versions are found by looking: each `observe` renders a type, compares every object with
 * what was last seen, and gives what changed the next version — a watch sees a node join or
 * turn Ready as the next `MODIFIED`, whichever door the change came through.
 */
import { randomUUID } from 'node:crypto';
import type { KubeCluster } from '../cluster';
import type { SimPod } from '../model';
import type { KubeRegistry } from '../registry';
import * as derived from './derived';
import { type Obj, SYSTEM_NAMESPACES, iso } from './derived';
import { ApiError, alreadyExists, badRequest, invalid, notFound } from './errors';
import { apiVersionOf, type ResourceType } from './resources';

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
  rv: number;
}

/** Events kept per type for watches that resume from a version. */
const LOG_LIMIT = 1000;
/** Taints the node lifecycle controller sets from conditions: not the client's to set. */
const CONDITION_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unschedulable', 'node.kubernetes.io/unreachable'];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const keyOf = (o: Obj) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
/** What a version is about: not the version itself, nor the kubelet's heartbeat stamps. */
function fingerprint(o: Obj): string {
  return JSON.stringify(o, (k, v: unknown) => (k === 'resourceVersion' || k === 'lastHeartbeatTime' ? undefined : v));
}
const described = (t: ResourceType) => (t.group ? `${t.plural}.${t.group}` : t.plural);

export class ApiObjects {
  private counter = 1;
  /** What clients made, by `plural` then `namespace/name`. */
  private readonly stored = new Map<string, Map<string, Obj>>();
  /** Labels and annotations clients set on objects the cluster keeps itself. */
  private readonly overlays = new Map<string, { labels?: Record<string, string>; annotations?: Record<string, string> }>();
  private readonly seen = new Map<string, Map<string, { fp: string; rv: number; obj: Obj }>>();
  private readonly logs = new Map<string, { since: number; events: WatchEvent[] }>();
  private serviceIps = 100;

  constructor(
    private readonly cluster: KubeCluster,
    private readonly registry: KubeRegistry,
  ) {}

  /**
   * What clients made, as etcd would hold it (`etcdctl snapshot save`): every stored object by
   * type, and the labels and annotations set on the cluster's own objects.
   */
  exportStored(): { objects: Record<string, Obj[]>; overlays: Record<string, unknown>; revision: number } {
    return {
      objects: Object.fromEntries([...this.stored].map(([plural, bucket]) => [plural, [...bucket.values()].map(clone)])),
      overlays: Object.fromEntries([...this.overlays].map(([k, v]) => [k, clone(v)])),
      revision: this.counter,
    };
  }

  /**
   * etcd came back from a snapshot (`etcdctl snapshot restore` on a quorum of members): what
   * clients made is what the snapshot holds — objects made since are gone, objects deleted
   * since are back. Versions keep counting up (watchers relist: their logs start afresh), and
   * Deployments run their pods as restored.
   */
  importStored(snapshot: { objects: Record<string, Obj[]>; overlays: Record<string, unknown>; revision: number }): void {
    const before = [...this.bucket('deployments').values()];
    this.stored.clear();
    for (const [plural, list] of Object.entries(snapshot.objects)) {
      const bucket = this.bucket(plural);
      for (const obj of list) bucket.set(keyOf(obj), clone(obj));
    }
    this.overlays.clear();
    for (const [k, v] of Object.entries(snapshot.overlays)) this.overlays.set(k, clone(v) as { labels?: Record<string, string>; annotations?: Record<string, string> });
    this.counter = Math.max(this.counter, snapshot.revision) + 1;
    for (const plural of [...this.logs.keys()]) this.logs.set(plural, { since: this.counter, events: [] });
    this.seen.clear();
    const restored = this.bucket('deployments');
    for (const d of before) if (!restored.has(keyOf(d))) this.cluster.scaleDeployment(d.metadata.namespace, d.metadata.name, '', 0);
    for (const d of restored.values()) this.runDeployment(d);
  }

  private bucket(plural: string): Map<string, Obj> {
    let b = this.stored.get(plural);
    if (!b) this.stored.set(plural, (b = new Map()));
    return b;
  }

  namespaces(): string[] {
    return [...SYSTEM_NAMESPACES, ...[...this.bucket('namespaces').values()].map((n) => n.metadata.name as string)];
  }

  /** Every object of a type as the cluster has it now, before versions. */
  private render(t: ResourceType): Obj[] {
    const c = this.cluster;
    c.runControllers();
    const own = [...this.bucket(t.plural).values()].map(clone);
    let system: Obj[];
    switch (t.plural) {
      case 'namespaces': system = SYSTEM_NAMESPACES.map((n) => derived.systemNamespace(c, n)); break;
      case 'nodes': system = derived.nodes(c); break;
      case 'pods': system = derived.pods(c); break;
      case 'configmaps': system = derived.systemConfigMaps(c, this.namespaces()); break;
      case 'services': system = derived.systemServices(c); break;
      case 'events': system = derived.nodeEvents(c); break;
      case 'daemonsets': system = derived.daemonSets(c); break;
      case 'leases': system = derived.nodeLeases(c); break;
      case 'deployments': {
        const mine = new Set(own.map(keyOf));
        system = derived.systemDeployments(c).filter((d) => !mine.has(keyOf(d)));
        for (let i = 0; i < own.length; i++) own[i] = derived.deployment(c, own[i].metadata.namespace, own[i].metadata.name, own[i]);
        break;
      }
      default: system = [];
    }
    for (const o of system) {
      const overlay = this.overlays.get(`${t.plural}/${keyOf(o)}`);
      if (overlay?.labels) o.metadata.labels = { ...o.metadata.labels, ...overlay.labels };
      if (overlay?.annotations) o.metadata.annotations = { ...o.metadata.annotations, ...overlay.annotations };
    }
    return [...system, ...own].map((o) => ({ apiVersion: apiVersionOf(t), kind: t.kind, ...o }));
  }

  /** The objects of a type now, each with its version, and the list's version; changes become watch events. */
  observe(t: ResourceType): { items: Obj[]; resourceVersion: number } {
    const seen = this.seen.get(t.plural) ?? new Map<string, { fp: string; rv: number; obj: Obj }>();
    this.seen.set(t.plural, seen);
    const log = this.logs.get(t.plural) ?? { since: this.counter, events: [] };
    this.logs.set(t.plural, log);
    const now = new Set<string>();
    const items = this.render(t);
    for (const obj of items) {
      const key = keyOf(obj);
      now.add(key);
      const fp = fingerprint(obj);
      const last = seen.get(key);
      if (!last || last.fp !== fp) {
        const rv = ++this.counter;
        obj.metadata.resourceVersion = String(rv);
        seen.set(key, { fp, rv, obj: clone(obj) });
        log.events.push({ type: last ? 'MODIFIED' : 'ADDED', object: clone(obj), rv });
      } else {
        obj.metadata.resourceVersion = String(last.rv);
      }
    }
    for (const [key, last] of seen) {
      if (now.has(key)) continue;
      seen.delete(key);
      const rv = ++this.counter;
      log.events.push({ type: 'DELETED', object: { ...last.obj, metadata: { ...last.obj.metadata, resourceVersion: String(rv) } }, rv });
    }
    if (log.events.length > LOG_LIMIT) {
      const dropped = log.events.splice(0, log.events.length - LOG_LIMIT);
      log.since = dropped[dropped.length - 1].rv;
    }
    items.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    return { items, resourceVersion: this.counter };
  }

  /** Events of a type after version `rv`, or 'expired' when the log no longer reaches back that far. */
  eventsAfter(t: ResourceType, rv: number): WatchEvent[] | 'expired' {
    this.observe(t);
    const log = this.logs.get(t.plural)!;
    if (rv < log.since) return 'expired';
    return log.events.filter((e) => e.rv > rv);
  }

  get(t: ResourceType, namespace: string | undefined, name: string): Obj {
    const found = this.observe(t).items.find((o) => o.metadata.name === name && (o.metadata.namespace ?? undefined) === (t.namespaced ? namespace : undefined));
    if (!found) throw notFound(described(t), name);
    return found;
  }

  private requireNamespace(t: ResourceType, namespace: string | undefined): void {
    if (t.namespaced && !this.namespaces().includes(namespace ?? '')) throw notFound('namespaces', namespace ?? '');
  }

  private checkNew(t: ResourceType, namespace: string | undefined, body: unknown): Obj {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`the body of the request was not a ${t.kind} object`);
    const obj = clone(body as Obj);
    if (obj.kind !== undefined && obj.kind !== t.kind) throw badRequest(`the kind of the provided object (${String(obj.kind)}) does not match the resource (${t.kind})`);
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(t)) throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(t)})`);
    const md = (obj.metadata ??= {}) as Obj;
    if (!md.name && typeof md.generateName === 'string') md.name = `${md.generateName}${randomUUID().replace(/-/g, '').slice(0, 5)}`;
    const name = String(md.name ?? '');
    const re = t.plural === 'namespaces' ? DNS_LABEL : DNS_SUBDOMAIN;
    if (!name) throw invalid(t.kind, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    if (!re.test(name) || name.length > (t.plural === 'namespaces' ? 63 : 253)) {
      throw invalid(t.kind, name, [{ field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 ${t.plural === 'namespaces' ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` }]);
    }
    if (t.namespaced) {
      if (md.namespace !== undefined && md.namespace !== '' && md.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      md.namespace = namespace;
    } else delete md.namespace;
    return obj;
  }

  create(t: ResourceType, namespace: string | undefined, body: unknown, dryRun: boolean): Obj {
    const obj = this.checkNew(t, namespace, body);
    this.requireNamespace(t, namespace);
    const name = obj.metadata.name as string;
    if (this.observe(t).items.some((o) => keyOf(o) === keyOf(obj))) throw alreadyExists(described(t), name);
    if (t.plural === 'nodes' || t.plural === 'daemonsets') throw notAllowed(t, 'create');
    obj.metadata = { ...obj.metadata, uid: randomUUID(), creationTimestamp: iso(this.cluster.now()) };
    delete obj.metadata.resourceVersion;
    if (t.plural === 'pods') {
      const image = containerImage(t, obj);
      if (dryRun) return obj;
      this.cluster.addBarePod(namespace ?? 'default', name, image, { ...obj.metadata.labels }, obj.spec?.nodeName);
      return this.get(t, namespace, name);
    }
    this.prepareStored(t, obj);
    if (dryRun) return obj;
    this.bucket(t.plural).set(keyOf(obj), obj);
    if (t.plural === 'deployments') this.runDeployment(obj);
    return this.get(t, namespace, name);
  }

  /** PUT: the whole object; a stale resourceVersion is a conflict, as with optimistic concurrency. */
  replace(t: ResourceType, namespace: string | undefined, name: string, body: unknown, dryRun: boolean): Obj {
    const current = this.get(t, namespace, name);
    const obj = this.checkNew(t, namespace, body);
    if (obj.metadata.name !== name) throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`);
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== current.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${described(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, kind: t.plural });
    }
    const key = keyOf(current);
    const mine = this.bucket(t.plural).get(key);
    if (mine) {
      obj.metadata = { ...obj.metadata, uid: mine.metadata.uid, creationTimestamp: mine.metadata.creationTimestamp };
      delete obj.metadata.resourceVersion;
      delete obj.status;
      if (t.plural === 'deployments') obj.metadata.generation = (mine.metadata.generation ?? 1) + (JSON.stringify(obj.spec) === JSON.stringify(mine.spec) ? 0 : 1);
      this.prepareStored(t, obj);
      if (dryRun) return obj;
      this.bucket(t.plural).set(key, obj);
      if (t.plural === 'deployments') this.runDeployment(obj);
      return this.get(t, namespace, name);
    }
    if (dryRun) return obj;
    if (t.plural === 'nodes') this.updateNode(name, obj);
    else if (t.plural === 'pods') this.updatePod(t, current, obj);
    else this.updateMetadataOnly(t, current, obj);
    return this.get(t, namespace, name);
  }

  remove(t: ResourceType, namespace: string | undefined, name: string, dryRun: boolean): Obj {
    const current = this.get(t, namespace, name);
    if (t.plural === 'namespaces' && SYSTEM_NAMESPACES.includes(name)) {
      throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    }
    if (dryRun) return current;
    const key = keyOf(current);
    if (t.plural === 'nodes') this.cluster.deleteNode(name);
    else if (t.plural === 'pods') this.cluster.deletePod(this.pod(namespace, name));
    else if (t.plural === 'namespaces') {
      for (const b of this.stored.values()) for (const [k, o] of b) if (o.metadata.namespace === name) b.delete(k);
      for (const p of this.cluster.pods.filter((x) => x.namespace === name)) this.cluster.pods = this.cluster.pods.filter((x) => x !== p);
      this.bucket('namespaces').delete(key);
    } else if (t.plural === 'deployments') {
      this.cluster.scaleDeployment(namespace ?? 'default', name, '', 0);
      this.bucket('deployments').delete(key);
    } else if (this.bucket(t.plural).has(key)) this.bucket(t.plural).delete(key);
    else throw notAllowed(t, 'delete');
    this.observe(t);
    return current;
  }

  /**
   * `POST …/pods/NAME/eviction`: refused with 429 while a disruption budget allows no
   * disruption (the same rule the hosts' `kubectl drain` meets), else the pod is deleted and
   * its controller replaces it.
   */
  evict(namespace: string, name: string): void {
    const pod = this.pod(namespace, name);
    const node = pod.nodeName ? this.cluster.nodes.get(pod.nodeName) : undefined;
    const budgetless = pod.kind !== 'daemonset' && pod.kind !== 'static' && (pod.refusesEviction || (node !== undefined && this.registry.refusesEviction(node.name, node.instanceId)));
    if (budgetless) {
      throw new ApiError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
        causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pod.owner}-pdb needs 1 healthy pods and has 1 currently` }],
      });
    }
    this.cluster.deletePod(pod);
  }

  private pod(namespace: string | undefined, name: string): SimPod {
    const pod = this.cluster.pods.find((p) => p.namespace === namespace && p.name === name);
    if (!pod) throw notFound('pods', name);
    return pod;
  }

  /** Defaults the API server fills in on objects it keeps: service IPs, secret data. */
  private prepareStored(t: ResourceType, obj: Obj): void {
    if (t.plural === 'secrets') {
      obj.type ??= 'Opaque';
      const data: Record<string, string> = { ...obj.data };
      for (const [k, v] of Object.entries(data)) {
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw invalid('Secret', obj.metadata.name, [{ field: `data[${k}]`, message: 'Invalid value: illegal base64 data' }]);
      }
      for (const [k, v] of Object.entries((obj.stringData ?? {}) as Record<string, string>)) data[k] = Buffer.from(String(v)).toString('base64');
      delete obj.stringData;
      obj.data = data;
    }
    if (t.plural === 'services') {
      if (obj.spec?.ports !== undefined && !Array.isArray(obj.spec.ports)) throw invalid('Service', obj.metadata.name, [{ field: 'spec.ports', message: 'Invalid value: must be a list of ports' }]);
      obj.spec = { type: 'ClusterIP', sessionAffinity: 'None', ...obj.spec };
      if (!obj.spec.clusterIP) {
        const n = this.serviceIps++;
        obj.spec.clusterIP = `10.96.${Math.floor(n / 250)}.${(n % 250) + 2}`;
        obj.spec.clusterIPs = [obj.spec.clusterIP];
      }
    }
    if (t.plural === 'deployments') {
      if (!obj.spec?.selector || !obj.spec?.template) throw invalid('Deployment', obj.metadata.name, [{ field: 'spec.selector', message: 'Required value' }, { field: 'spec.template', message: 'Required value' }].filter((c) => !obj.spec?.[c.field.split('.')[1]]));
      containerImage(t, obj.spec.template);
      obj.spec.replicas ??= 1;
      obj.metadata.generation ??= 1;
    }
  }

  private runDeployment(obj: Obj): void {
    this.cluster.scaleDeployment(obj.metadata.namespace, obj.metadata.name, containerImage({ kind: 'Deployment' } as ResourceType, obj.spec.template), Number(obj.spec.replicas));
  }

  /** A node's labels, annotations, taints and cordon are the model's; the rest is the kubelet's. */
  private updateNode(name: string, obj: Obj): void {
    const node = this.cluster.node(name);
    const fixed = ['kubeadm.alpha.kubernetes.io/cri-socket', 'node.alpha.kubernetes.io/ttl', 'volumes.kubernetes.io/controller-managed-attach-detach'];
    node.labels = { ...(obj.metadata.labels ?? {}) };
    node.annotations = Object.fromEntries(Object.entries((obj.metadata.annotations ?? {}) as Record<string, string>).filter(([k]) => !fixed.includes(k)));
    node.taints = ((obj.spec?.taints ?? []) as Obj[]).filter((t) => !CONDITION_TAINTS.includes(t.key)).map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect as 'NoSchedule' }));
    this.cluster.setUnschedulable(name, obj.spec?.unschedulable === true);
  }

  /** A pod's labels and annotations may change; its spec may not (but for what the API allows, not modelled). */
  private updatePod(t: ResourceType, current: Obj, obj: Obj): void {
    if (obj.spec !== undefined && JSON.stringify(obj.spec) !== JSON.stringify(current.spec)) {
      throw invalid('Pod', current.metadata.name, [{ field: 'spec', message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)' }]);
    }
    const pod = this.pod(current.metadata.namespace, current.metadata.name);
    pod.labels = { ...(obj.metadata.labels ?? {}) };
    this.overlays.set(`${t.plural}/${keyOf(current)}`, { annotations: { ...(obj.metadata.annotations ?? {}) } });
  }

  private updateMetadataOnly(t: ResourceType, current: Obj, obj: Obj): void {
    const strip = (o: Obj) => fingerprint({ ...o, metadata: undefined, status: undefined });
    if (strip({ apiVersion: current.apiVersion, kind: current.kind, ...obj }) !== strip(current)) {
      throw invalid(t.kind, current.metadata.name, [{ field: 'spec', message: `Forbidden: the simulated cluster keeps this ${t.kind} itself; only labels and annotations can change` }]);
    }
    this.overlays.set(`${t.plural}/${keyOf(current)}`, { labels: { ...(obj.metadata.labels ?? {}) }, annotations: { ...(obj.metadata.annotations ?? {}) } });
  }
}

function containerImage(t: ResourceType, withSpec: Obj): string {
  const containers = withSpec.spec?.containers as Obj[] | undefined;
  if (!Array.isArray(containers) || containers.length === 0) throw invalid(t.kind, withSpec.metadata?.name ?? '', [{ field: 'spec.containers', message: 'Required value' }]);
  const image = containers[0].image;
  if (typeof image !== 'string' || !image) throw invalid(t.kind, withSpec.metadata?.name ?? '', [{ field: 'spec.containers[0].image', message: 'Required value' }]);
  return image;
}

function notAllowed(t: ResourceType, verb: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource: ${verb} ${described(t)} (the simulated cluster keeps its ${t.plural} itself)`);
}
