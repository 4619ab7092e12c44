/**
 * `kubectl create|get|delete configmap` on a host: the same objects the cluster's API server
 * keeps (`api/store.ts`), so a ConfigMap made over SSM is one the Kubernetes client reads, and
 * lives exactly as long as the cluster's etcd data does.
 */
import { ApiError } from './api/errors';
import { serverFor } from './api/server';
import { RESOURCE_TYPES } from './api/resources';
import type { KubeCluster } from './cluster';
import { KubeError } from './cluster';
import { flag } from './host';
import type { ShimResult } from '../hosts/protocol';
import { ok } from '../hosts/protocol';
import type { KubeRegistry } from './registry';

export const CONFIGMAP_NAMES = new Set(['configmap', 'configmaps', 'cm']);
const CONFIGMAPS = RESOURCE_TYPES.find((t) => t.plural === 'configmaps')!;

function objects(registry: KubeRegistry, cluster: KubeCluster) {
  const api = serverFor(registry, cluster);
  if (!api) throw new KubeError(`The connection to the server ${cluster.endpoint} was refused - did you specify the right host or port?`);
  return api.objects;
}

/** The API server's refusal in kubectl's words (`Error from server (NotFound): …`). */
function asKubectl<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ApiError) throw new KubeError(`Error from server (${err.reason}): ${err.message}`);
    throw err;
  }
}

/** `kubectl create configmap NAME [--from-literal=k=v]… [-n NS]`. */
export function createConfigMap(registry: KubeRegistry, cluster: KubeCluster, name: string | undefined, args: string[]): ShimResult {
  if (!name) throw new KubeError('error: exactly one NAME is required, got 0');
  const namespace = flag(args, '-n', '--namespace') ?? 'default';
  const data: Record<string, string> = {};
  for (const a of args) {
    const literal = a.startsWith('--from-literal=') ? a.slice('--from-literal='.length) : undefined;
    if (literal === undefined) continue;
    const eq = literal.indexOf('=');
    if (eq <= 0) throw new KubeError(`error: invalid literal source ${literal}, expected key=value`);
    data[literal.slice(0, eq)] = literal.slice(eq + 1);
  }
  asKubectl(() => objects(registry, cluster).create(CONFIGMAPS, namespace, { metadata: { name }, data }, false));
  return ok(`configmap/${name} created\n`);
}

/** `kubectl get configmap NAME [-n NS] [-o name|json|jsonpath=…]`. */
export function getConfigMap(registry: KubeRegistry, cluster: KubeCluster, name: string | undefined, args: string[], jsonpath: (obj: Record<string, unknown>, template: string) => string): ShimResult {
  const namespace = flag(args, '-n', '--namespace') ?? 'default';
  const output = flag(args, '-o', '--output');
  const store = objects(registry, cluster);
  const found = name ? [asKubectl(() => store.get(CONFIGMAPS, namespace, name))] : store.observe(CONFIGMAPS).items.filter((o) => o.metadata.namespace === namespace);
  if (output === 'name') return ok(found.map((o) => `configmap/${o.metadata.name}\n`).join(''));
  if (output === 'json') return ok(`${JSON.stringify(name ? found[0] : { apiVersion: 'v1', kind: 'List', items: found }, null, 4)}\n`);
  if (output?.startsWith('jsonpath=') && name) return ok(jsonpath(found[0], output.slice('jsonpath='.length)));
  const rows = found.map((o) => `${String(o.metadata.name).padEnd(24)}${Object.keys((o.data as object) ?? {}).length}`);
  return ok(`${'NAME'.padEnd(24)}DATA\n${rows.join('\n')}\n`);
}

/** `kubectl delete configmap NAME [-n NS]`. */
export function deleteConfigMap(registry: KubeRegistry, cluster: KubeCluster, name: string | undefined, args: string[]): ShimResult {
  const namespace = flag(args, '-n', '--namespace') ?? 'default';
  asKubectl(() => objects(registry, cluster).remove(CONFIGMAPS, namespace, name ?? '', false));
  return ok(`configmap "${name}" deleted\n`);
}
