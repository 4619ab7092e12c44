/**
 * Who is calling and what they may do, as a kubeadm cluster's API server decides it.
 *
 * Authentication: a client certificate signed by the cluster CA and valid on the simulated
 * clock names the user (CN) and groups (O); a certificate that does not verify is a 401. No
 * certificate at all is `system:anonymous` — kubeadm leaves anonymous access on, because
 * `kubeadm join` reads kube-public's `cluster-info` without credentials — and gets what the
 * default RBAC gives it: `/version` and the health paths, and that one ConfigMap; anything
 * else is a 403.
 *
 * Authorization (the default RBAC roles plus kubeadm's bindings, and the Node authorizer):
 * `system:masters` and `kubeadm:cluster-admins` may do anything; a node's credential
 * (`system:node:<name>` in `system:nodes`) may read nodes, pods and services, update its own
 * Node and Lease, and write events; every authenticated user may read discovery.
 */
import type { Obj } from './derived';
import type { ResourceType } from './resources';

export interface Caller {
  user: string;
  groups: string[];
}

export const ANONYMOUS: Caller = { user: 'system:anonymous', groups: ['system:unauthenticated'] };

const ADMIN_GROUPS = ['system:masters', 'kubeadm:cluster-admins'];
const PUBLIC_PATHS = ['/version', '/healthz', '/livez', '/readyz'];
const DISCOVERY = /^\/(api|apis|openapi)(\/|$)/;

export interface ResourceRequest {
  verb: string;
  type: ResourceType;
  /** `eviction`, `status`. */
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** Undefined when allowed; else the API server's "forbidden" message. */
export function forbidNonResource(caller: Caller, verb: string, path: string): string | undefined {
  if (caller.groups.some((g) => ADMIN_GROUPS.includes(g))) return undefined;
  if (PUBLIC_PATHS.includes(path) && verb === 'get') return undefined;
  if (caller !== ANONYMOUS && DISCOVERY.test(path) && verb === 'get') return undefined;
  return `forbidden: User "${caller.user}" cannot ${verb} path "${path}"`;
}

export function forbidResource(caller: Caller, r: ResourceRequest): string | undefined {
  if (caller.groups.some((g) => ADMIN_GROUPS.includes(g))) return undefined;
  if (allowed(caller, r)) return undefined;
  const resource = r.subresource ? `${r.type.plural}/${r.subresource}` : r.type.plural;
  const what = `${r.type.group ? `${r.type.plural}.${r.type.group}` : r.type.plural}${r.name ? ` "${r.name}"` : ''}`;
  const scope = r.namespace ? `in the namespace "${r.namespace}"` : 'at the cluster scope';
  return `${what} is forbidden: User "${caller.user}" cannot ${r.verb} resource "${resource}" in API group "${r.type.group}" ${scope}`;
}

const READ = ['get', 'list', 'watch'];

function allowed(caller: Caller, r: ResourceRequest): boolean {
  const { verb, type, namespace, name } = r;
  if (caller === ANONYMOUS) return verb === 'get' && type.plural === 'configmaps' && namespace === 'kube-public' && name === 'cluster-info';
  const node = caller.groups.includes('system:nodes') && caller.user.startsWith('system:node:') ? caller.user.slice('system:node:'.length) : undefined;
  if (!node) return false;
  switch (type.plural) {
    case 'nodes':
      return READ.includes(verb) || verb === 'create' || (['update', 'patch'].includes(verb) && name === node);
    case 'pods':
    case 'services':
      return READ.includes(verb) && !r.subresource;
    case 'events':
      return ['create', 'update', 'patch'].includes(verb);
    case 'leases':
      return namespace === 'kube-node-lease' && (verb === 'create' || name === node);
    default:
      return false;
  }
}

/** Kubernetes' `Status` body for 401 and 403. */
export function statusOf(code: 401 | 403, message: string, details?: Obj): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: code === 401 ? 'Unauthorized' : 'Forbidden', ...(details ? { details } : {}), code };
}
