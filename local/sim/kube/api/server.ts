/**
 * The simulated cluster's kube-apiserver over HTTPS: TLS with the serving certificate
 * `kubeadm init` made, client certificates checked against the cluster CA on the simulated
 * clock, then discovery, the resource types of `resources.ts` (get, list, watch, create,
 * update, patch, delete, with label and field selectors, `as=Table`, `dryRun=All`) and pod
 * eviction, all on the one model the hosts' kubeadm and kubectl act on.
 *
 * The server never listens itself: connections arrive from a load balancer's published
 * port (`elbv2/published.ts`) through the control-plane instance's port 6443.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import type { KubeCluster } from '../cluster';
import { verifyClientCertificate } from '../pki';
import type { KubeRegistry } from '../registry';
import { formatVersion } from '../version';
import { ANONYMOUS, type Caller, forbidNonResource, forbidResource, type ResourceRequest, statusOf } from './access';
import type { Obj } from './derived';
import { ApiError, badRequest } from './errors';
import { applyPatch } from './patch';
import { decodeProtobuf } from './protobuf';
import { apiGroupDoc, apiGroupList, apiVersionOf, apiVersions, findType, resourceList, type ResourceType } from './resources';
import { fieldSelector, labelSelector } from './selectors';
import { ApiObjects } from './store';
import { table } from './tables';
import { rawIssuerDocument, serviceAccountUid } from '../kubectl-service-accounts';
import { issueToken } from '../service-accounts';

/** Bodies above this are refused, as the API server's 3 MiB request limit does. */
const MAX_BODY = 3 * 1024 * 1024;
/** How often a watch looks for changes (real time). */
const WATCH_POLL_MS = 100;
/** The API server's default `--min-request-timeout`: a watch lasts between one and two of it. */
const MIN_REQUEST_TIMEOUT_SECONDS = 1800;
/** How often a quiet watch that allows bookmarks gets one (real time). */
const BOOKMARK_EVERY_MS = 10_000;

const servers = new WeakMap<KubeCluster, { server: Server; cert: string; objects: ApiObjects }>();

/** The cluster's API server, or undefined before `kubeadm init` made its certificate. */
export function serverFor(registry: KubeRegistry, cluster: KubeCluster): { server: Server; objects: ApiObjects } | undefined {
  const serving = cluster.apiServerCertificate;
  if (!serving) return undefined;
  let entry = servers.get(cluster);
  if (!entry) {
    const objects = new ApiObjects(cluster, registry);
    // Any client certificate is asked for and none is refused at the handshake: the API server
    // decides (401 for one that does not verify, anonymous for none).
    const server = createServer({ cert: serving.certPem, key: serving.keyPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      void handle(cluster, objects, req, res).catch((err: Error) => send(res, 500, new ApiError(500, 'InternalError', `Internal error occurred: ${err.message}`).status()));
    });
    server.on('tlsClientError', () => undefined);
    entry = { server, cert: serving.certPem, objects };
    servers.set(cluster, entry);
  } else if (entry.cert !== serving.certPem) {
    // kubeadm certs renew: the running server presents the new certificate from now on.
    entry.server.setSecureContext({ cert: serving.certPem, key: serving.keyPem });
    entry.cert = serving.certPem;
  }
  return entry;
}

/**
 * An anonymous GET of `path` (a host's `curl -k https://<endpoint>/...` with no client
 * certificate), answered by the same routing and rules as a request through the server: the
 * health paths and kube-public's cluster-info to anyone, a 403 for the rest.
 */
export function anonymousGet(registry: KubeRegistry, cluster: KubeCluster, path: string): { status: number; body: string } {
  const answer = (status: number, body: unknown) => ({ status, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const clean = path.replace(/\/+$/, '') || '/';
  try {
    const target = resourceTarget(clean);
    if (!target) return answer(200, nonResourceGet(cluster, ANONYMOUS, 'GET', clean));
    const denied = forbidResource(ANONYMOUS, resourceRequest(target, target.name ? 'get' : 'list'));
    if (denied) return answer(403, forbiddenStatus(target, denied));
    const objects = serverFor(registry, cluster)?.objects;
    if (!objects || !target.name) throw noSuchPath();
    return answer(200, objects.get(target.type, target.namespace, target.name));
  } catch (err) {
    if (err instanceof ApiError) return answer(err.code, err.status());
    throw err;
  }
}

/** A path the server serves nothing at. */
const noSuchPath = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource');

/** The resource a path names (`/api/v1/...`, `/apis/<group>/<version>/...`), undefined for a non-resource path; a 404 for a resource the server does not serve. */
function resourceTarget(path: string): Target | undefined {
  const segs = path.split('/').filter(Boolean);
  const isResource = (segs[0] === 'api' && segs.length > 2) || (segs[0] === 'apis' && segs.length > 3);
  if (!isResource) return undefined;
  const [group, version, rest] = segs[0] === 'api' ? ['', segs[1], segs.slice(2)] : [segs[1], segs[2], segs.slice(3)];
  const target = resolve(group, version, rest);
  if (!target) throw noSuchPath();
  return target;
}

/** A non-resource path's document, as `caller` may read it: a 403 when it may not, a 404 for any other method or an unknown path. */
function nonResourceGet(cluster: KubeCluster, caller: Caller, method: string, path: string): unknown {
  const denied = forbidNonResource(caller, method === 'GET' ? 'get' : method.toLowerCase(), path);
  if (denied) throw new ApiError(403, 'Forbidden', denied);
  const doc = nonResource(cluster, path);
  if (doc === undefined || method !== 'GET') throw noSuchPath();
  return doc;
}

/** What the authorizer is asked for a request on `target`. */
function resourceRequest(target: Target, verb: string): ResourceRequest {
  return { verb, type: target.type, ...(target.subresource ? { subresource: target.subresource } : {}), ...(target.namespace ? { namespace: target.namespace } : {}), ...(target.name ? { name: target.name } : {}) };
}

/** The API server's 403 for a resource request, with the details it gives. */
function forbiddenStatus(target: Target, denied: string) {
  return statusOf(403, denied, { ...(target.name ? { name: target.name } : {}), ...(target.type.group ? { group: target.type.group } : {}), kind: target.type.plural });
}

function send(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

async function authenticate(cluster: KubeCluster, req: IncomingMessage): Promise<Caller | undefined> {
  const peer = (req.socket as TLSSocket).getPeerCertificate?.();
  if (!peer || !peer.raw) return ANONYMOUS;
  return verifyClientCertificate(cluster.ca, peer.raw, cluster.now());
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large: limit is 3145728 bytes');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function decode(body: Buffer, contentType: string | undefined): unknown {
  if (/protobuf/.test(contentType ?? '')) return decodeProtobuf(body);
  if (/cbor/.test(contentType ?? '')) throw new ApiError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  try {
    return /yaml/.test(contentType ?? '') ? parseYaml(body.toString('utf8')) : JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded: ${(err as Error).message.split('\n')[0]}`);
  }
}

interface Target {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** `/api/v1/...` or `/apis/<group>/<version>/...` after the group version. */
function resolve(group: string, version: string, segs: string[]): Target | undefined {
  let namespace: string | undefined;
  if (segs[0] === 'namespaces' && segs.length >= 3) {
    namespace = segs[1];
    segs = segs.slice(2);
  }
  const type = findType(group, version, segs[0] ?? '');
  if (!type || segs.length > 3) return undefined;
  if (namespace !== undefined && !type.namespaced) return undefined;
  const target: Target = { type, ...(namespace !== undefined ? { namespace } : {}), ...(segs[1] ? { name: segs[1] } : {}), ...(segs[2] ? { subresource: segs[2] } : {}) };
  if (target.subresource && !['status', 'eviction'].includes(target.subresource)) return undefined;
  if (target.subresource === 'eviction' && type.plural !== 'pods') return undefined;
  if (type.namespaced && target.name && namespace === undefined) return undefined;
  return target;
}

async function handle(cluster: KubeCluster, objects: ApiObjects, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const caller = await authenticate(cluster, req);
  if (!caller) return send(res, 401, statusOf(401, 'Unauthorized'));
  const url = new URL(req.url ?? '/', 'https://apiserver');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = (req.method ?? 'GET').toUpperCase();
  try {
    const tokenRequest = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token$/.exec(path);
    if (tokenRequest) return send(res, 201, await requestToken(cluster, caller, method, tokenRequest[1], tokenRequest[2], req));
    const target = resourceTarget(path);
    if (!target) return send(res, 200, nonResourceGet(cluster, caller, method, path));
    const q = url.searchParams;
    const watching = q.get('watch') === 'true' || q.get('watch') === '1';
    const verb =
      method === 'GET' ? (watching ? 'watch' : target.name ? 'get' : 'list')
      : method === 'POST' ? 'create'
      : method === 'PUT' ? 'update'
      : method === 'PATCH' ? 'patch'
      : method === 'DELETE' ? (target.name ? 'delete' : 'deletecollection')
      : method.toLowerCase();
    const denied = forbidResource(caller, resourceRequest(target, verb));
    if (denied) return send(res, 403, forbiddenStatus(target, denied));
    const asTable = /as=Table/.test(req.headers.accept ?? '');
    const dryRun = q.get('dryRun') === 'All';
    const { type, namespace, name } = target;

    if (target.subresource === 'eviction') {
      if (verb !== 'create') throw methodNotAllowed();
      const body = decode(await readBody(req), req.headers['content-type']) as Obj;
      if (body?.metadata?.name !== undefined && body.metadata.name !== name) throw badRequest(`name in URL does not match name in Eviction object`);
      if (!dryRun) objects.evict(namespace ?? '', name ?? '');
      return send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    switch (verb) {
      case 'list':
      case 'watch': {
        const matches = combine(namespace, labelSelector(q.get('labelSelector')), fieldSelector(q.get('fieldSelector')), name);
        if (verb === 'watch') return watch(cluster, objects, type, matches, q, asTable, req, res);
        const { items, resourceVersion } = objects.observe(type);
        const page = paginate(items.filter(matches), q);
        if (asTable) return send(res, 200, { ...table(type, page.items, String(resourceVersion), cluster.now(), q.get('includeObject')), metadata: { resourceVersion: String(resourceVersion), ...(page.next ? { continue: page.next } : {}) } });
        return send(res, 200, { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(resourceVersion), ...(page.next ? { continue: page.next } : {}) }, items: page.items });
      }
      case 'get': {
        const obj = objects.get(type, namespace, name!);
        return send(res, 200, asTable ? table(type, [obj], obj.metadata.resourceVersion, cluster.now(), q.get('includeObject')) : obj);
      }
      case 'create':
        return send(res, 201, objects.create(type, namespace, decode(await readBody(req), req.headers['content-type']), dryRun));
      case 'update': {
        const next = decode(await readBody(req), req.headers['content-type']);
        if (type.plural === 'nodes') nodeRestriction(caller, objects.get(type, namespace, name!), next as Obj);
        return send(res, 200, objects.replace(type, namespace, name!, next, dryRun));
      }
      case 'patch': {
        const current = objects.get(type, namespace, name!);
        const patched = applyPatch(current, (await readBody(req)).toString('utf8'), req.headers['content-type'] ?? '');
        if (type.plural === 'nodes') nodeRestriction(caller, current, patched);
        return send(res, 200, objects.replace(type, namespace, name!, patched, dryRun));
      }
      case 'delete':
        return send(res, 200, objects.remove(type, namespace, name!, dryRun));
      default:
        throw methodNotAllowed();
    }
  } catch (err) {
    if (err instanceof ApiError) return send(res, err.code, err.status());
    throw err;
  }
}

/** Labels a kubelet may set on its own Node (NodeRestriction): the well-known ones and the kubelet's namespaces. */
const KUBELET_LABELS = /^(kubernetes\.io\/(hostname|arch|os)|beta\.kubernetes\.io\/(arch|os|instance-type)|node\.kubernetes\.io\/instance-type|topology\.kubernetes\.io\/(region|zone)|failure-domain\.beta\.kubernetes\.io\/(region|zone)|([^/]+\.)?(kubelet|node)\.kubernetes\.io\/.+)$/;

/**
 * The NodeRestriction admission plugin: a node's credential may update its own Node, but not
 * its taints, nor labels outside what a kubelet may set (a node cannot make itself a control
 * plane or move itself to a tainted pool).
 */
function nodeRestriction(caller: Caller, current: Obj, next: Obj): void {
  if (!caller.groups.includes('system:nodes')) return;
  const who = current.metadata?.name;
  // Taints the node lifecycle controller sets from conditions are not the node's to keep or drop.
  const own = (o: Obj) => JSON.stringify(((o?.spec?.taints ?? []) as Obj[]).filter((t) => !String(t.key).startsWith('node.kubernetes.io/')));
  if (own(next) !== own(current)) {
    throw new ApiError(403, 'Forbidden', `nodes "${who}" is forbidden: node "${who}" is not allowed to modify taints`, { name: who, kind: 'nodes' });
  }
  const before = (current.metadata?.labels ?? {}) as Record<string, string>;
  const after = (next?.metadata?.labels ?? {}) as Record<string, string>;
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k] && !KUBELET_LABELS.test(k));
  if (changed.length) {
    throw new ApiError(403, 'Forbidden', `nodes "${who}" is forbidden: is not allowed to modify labels: ${changed.sort().join(', ')}`, { name: who, kind: 'nodes' });
  }
}

const methodNotAllowed = () => new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

function combine(namespace: string | undefined, labels: (o: Obj) => boolean, fields: (o: Obj) => boolean, name?: string): (o: Obj) => boolean {
  return (o) => (namespace === undefined || o.metadata?.namespace === namespace) && (name === undefined || o.metadata?.name === name) && labels(o) && fields(o);
}

/** `limit` and `continue`: the token is the offset into the list (lists here are small and sorted). */
function paginate(items: Obj[], q: URLSearchParams): { items: Obj[]; next?: string } {
  const limit = Number(q.get('limit') ?? 0);
  const start = q.get('continue') ? Number(Buffer.from(q.get('continue')!, 'base64url').toString()) || 0 : 0;
  if (!(limit > 0)) return { items: items.slice(start) };
  const end = start + limit;
  return { items: items.slice(start, end), ...(end < items.length ? { next: Buffer.from(String(end)).toString('base64url') } : {}) };
}

/**
 * `POST …/serviceaccounts/<name>/token` (TokenRequest, authentication.k8s.io/v1): a token for
 * the ServiceAccount, signed with the cluster's service-account key. Only administrators here
 * (no RBAC grants `serviceaccounts/token` to anyone else in a kubeadm cluster's defaults).
 */
async function requestToken(cluster: KubeCluster, caller: Caller, method: string, namespace: string, name: string, req: IncomingMessage): Promise<unknown> {
  if (method !== 'POST') throw methodNotAllowed();
  const denied = forbidNonResource(caller, 'create', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`);
  if (denied) throw new ApiError(403, 'Forbidden', `serviceaccounts "${name}" is forbidden: User "${caller.user}" cannot create resource "serviceaccounts/token" in API group "" in the namespace "${namespace}"`);
  const uid = serviceAccountUid(cluster, namespace, name);
  if (!uid) throw new ApiError(404, 'NotFound', `serviceaccounts "${name}" not found`, { name, kind: 'serviceaccounts' });
  if (!cluster.serviceAccountSigner) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const body = decode(await readBody(req), req.headers['content-type']) as Obj;
  const spec = (body?.spec ?? {}) as { audiences?: string[]; expirationSeconds?: number };
  let issued: { token: string; expiresAt: number };
  try {
    issued = await issueToken(cluster.serviceAccountSigner, cluster.serviceAccountIssuer, { namespace, name, uid, audiences: spec.audiences ?? [], ...(spec.expirationSeconds ? { expirationSeconds: spec.expirationSeconds } : {}) }, cluster.now());
  } catch (err) {
    throw new ApiError(422, 'Invalid', (err as Error).message.replace(/^error: failed to create token: /, ''));
  }
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: { audiences: spec.audiences?.length ? spec.audiences : [cluster.serviceAccountIssuer.issuers[0]], expirationSeconds: spec.expirationSeconds ?? 3600, boundObjectRef: null },
    status: { token: issued.token, expirationTimestamp: new Date(issued.expiresAt).toISOString() },
  };
}

function nonResource(cluster: KubeCluster, path: string): unknown {
  const issuerDocument = rawIssuerDocument(cluster, path);
  if (issuerDocument) return issuerDocument;
  const v = cluster.version;
  if (path === '/version') {
    return { major: String(v.major), minor: String(v.minor), gitVersion: formatVersion(v), gitCommit: '', gitTreeState: 'clean', buildDate: new Date(cluster.createdAt).toISOString(), goVersion: 'go1.24.0', compiler: 'gc', platform: 'linux/amd64' };
  }
  if (['/healthz', '/livez', '/readyz'].includes(path)) return 'ok';
  if (path === '/api') return apiVersions(cluster.endpoint);
  if (path === '/api/v1') return resourceList('', 'v1');
  if (path === '/apis') return apiGroupList();
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (m) return m[2] ? resourceList(m[1], m[2]) : apiGroupDoc(m[1]);
  return undefined;
}

/**
 * A watch: newline-delimited events, from the state now (`resourceVersion` unset or 0: an
 * ADDED for each object first) or from a version a list returned; an ERROR 410 when that
 * version is older than the events kept. Ends after `timeoutSeconds` (real time) or when the
 * client goes.
 */
function watch(cluster: KubeCluster, objects: ApiObjects, type: ResourceType, matches: (o: Obj) => boolean, q: URLSearchParams, asTable: boolean, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  // The client learns the watch is established now, not with the first event.
  res.flushHeaders();
  const emit = (evType: string, object: Obj) => res.write(`${JSON.stringify({ type: evType, object: asTable && evType !== 'ERROR' && evType !== 'BOOKMARK' ? table(type, [object], object.metadata?.resourceVersion ?? '', cluster.now(), q.get('includeObject')) : object })}\n`);
  const from = q.get('resourceVersion');
  let last: number;
  if (!from || from === '0') {
    const { items, resourceVersion } = objects.observe(type);
    for (const o of items.filter(matches)) emit('ADDED', o);
    last = resourceVersion;
  } else {
    last = Number(from);
    if (!Number.isFinite(last)) {
      emit('ERROR', new ApiError(400, 'BadRequest', `invalid resource version "${from}"`).status());
      return void res.end();
    }
  }
  const tick = () => {
    try {
      pass();
    } catch (err) {
      // A watch that cannot go on ends with an ERROR event, as the API server's does; the server goes on.
      emit('ERROR', new ApiError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`).status());
      stop();
    }
  };
  const pass = () => {
    const events = objects.eventsAfter(type, last);
    if (events === 'expired') {
      emit('ERROR', new ApiError(410, 'Expired', `too old resource version: ${last}`).status());
      stop();
      return;
    }
    for (const e of events) {
      last = e.rv;
      if (matches(e.object)) emit(e.type, e.object);
    }
  };
  // BOOKMARK events (when asked for) tell a quiet watch's client the version it has reached.
  let sinceBookmark = 0;
  const bookmarks = q.get('allowWatchBookmarks') === 'true';
  const timer = setInterval(() => {
    tick();
    sinceBookmark += WATCH_POLL_MS;
    if (bookmarks && sinceBookmark >= BOOKMARK_EVERY_MS) {
      sinceBookmark = 0;
      emit('BOOKMARK', { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(last) } });
    }
  }, WATCH_POLL_MS);
  // Without timeoutSeconds the API server ends a watch after 30 to 60 minutes (--min-request-timeout); clients start another.
  const asked = Number(q.get('timeoutSeconds') ?? 0);
  const timeoutSeconds = asked > 0 ? asked : MIN_REQUEST_TIMEOUT_SECONDS * (1 + Math.random());
  const deadline = setTimeout(() => stop(), timeoutSeconds * 1000);
  deadline.unref();
  const stop = () => {
    clearInterval(timer);
    clearTimeout(deadline);
    res.end();
  };
  tick();
  req.on('close', () => {
    clearInterval(timer);
    clearTimeout(deadline);
  });
}
