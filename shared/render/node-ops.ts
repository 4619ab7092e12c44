/**
 * SSM commands run on a control-plane instance to operate on nodes: drain before a
 * replacement, uncordon, delete, and read the cluster's state for validation.
 */
import { gunzipSync } from 'node:zlib';
import { parseCertificateExpiry } from './certificates';
import { RenderError, resolveContext } from './context';
import { KUBECTL, script, shellQuote } from './shell';
import type { RenderContext } from './types';

/** Options of {@link renderDrainScript}. */
export interface DrainOptions {
  node: string;
  /** Deadline of the drain; kubectl gives up after it. */
  timeoutSeconds: number;
  /** Delete pods directly, past PodDisruptionBudgets and unmanaged pods (kops' hang, #2537). */
  force: boolean;
}

function checkNode(node: string): void {
  if (node === '' || /[\r\n]/.test(node)) throw new RenderError('invalid node name', [{ path: 'node', message: 'must be one non-empty line' }]);
}

/**
 * Runs a kubectl subcommand on NODE; a node that no longer exists counts as done, so a
 * retried step succeeds.
 */
function onNode(verb: string, done: string): string {
  return `if ! OUTPUT=$(kc ${verb} "$NODE" 2>&1); then
  if [[ $OUTPUT == *NotFound* || $OUTPUT == *"not found"* ]]; then
    echo "hopper: node $NODE not found; ${done}"
    exit 0
  fi
  printf '%s\\n' "$OUTPUT" >&2
  exit 1
fi
printf '%s\\n' "$OUTPUT"`;
}

function nodeScript(ctx: RenderContext, node: string, title: string, body: string[]): string {
  const r = resolveContext(ctx);
  checkNode(node);
  return script(r, title, [KUBECTL, `NODE=${shellQuote(node)}`, ...body]);
}

/**
 * Cordons a node and drains it with a deadline. When `force` is set, pods are deleted
 * instead of evicted, so a PodDisruptionBudget cannot hold the rolling update forever.
 * Exits non-zero when the drain does not finish in time; a missing node is already drained.
 */
export function renderDrainScript(ctx: RenderContext, options: DrainOptions): string {
  if (!Number.isInteger(options.timeoutSeconds) || options.timeoutSeconds <= 0) {
    throw new RenderError('invalid drain timeout', [{ path: 'timeoutSeconds', message: 'must be a positive whole number of seconds' }]);
  }
  const flags = ['--ignore-daemonsets', '--delete-emptydir-data', `--timeout=${options.timeoutSeconds}s`, ...(options.force ? ['--disable-eviction', '--force'] : [])];
  return nodeScript(ctx, options.node, `drain a node${options.force ? ' (forced)' : ''}`, [
    onNode('cordon', 'nothing to drain'),
    `if ! kc drain "$NODE" ${flags.join(' ')}; then
  echo "hopper: drain of $NODE did not complete within ${options.timeoutSeconds}s" >&2
  exit 1
fi
echo "hopper: node $NODE drained"`,
  ]);
}

/** Makes a node schedulable again. */
export function renderUncordonScript(ctx: RenderContext, options: { node: string }): string {
  return nodeScript(ctx, options.node, 'uncordon a node', [onNode('uncordon', 'nothing to uncordon')]);
}

/** Removes a node object (after its instance is gone). A missing node is already deleted. */
export function renderDeleteNodeScript(ctx: RenderContext, options: { node: string }): string {
  return nodeScript(ctx, options.node, 'delete a node', [onNode('delete node', 'already deleted')]);
}

/** Marker lines in the status script's output; each is followed by one line of JSON. */
export const STATUS_MARKERS = { nodes: '### hopper:nodes', pods: '### hopper:kube-system-pods', certificates: '### hopper:certificates' } as const;

/**
 * Prints `kubectl get nodes -o json` and `kubectl get pods -n kube-system -o json`, each
 * after a marker line as one line of gzip + base64. SSM cuts a command's output at 24,000
 * characters; the lists of an HA cluster pass that as plain JSON, while compressed they
 * fit for clusters of a hundred-odd nodes (gzip and base64 are on every Ubuntu host).
 * See {@link parseNodesStatusOutput}.
 */
export function renderNodesStatusScript(ctx: RenderContext, options: { settle?: NodesSettle; delaySeconds?: number } = {}): string {
  const r = resolveContext(ctx);
  const delay = Math.round((options.delaySeconds ?? 0) * 10) / 10;
  return script(r, 'report nodes and kube-system pods', [
    KUBECTL,
    ...(delay > 0 ? [`# Not before the pass interval has passed since the last pass ended on the host.\nsleep ${delay}`] : []),
    ...(options.settle && options.settle.seconds > 0 ? [settleNodes(options.settle)] : []),
    `pack() {
  gzip -c | base64 -w0
  echo
}
NODES_JSON=$(kc get nodes -o json)
PODS_JSON=$(kc get pods -n kube-system -o json)
echo '${STATUS_MARKERS.nodes}'
printf '%s\\n' "$NODES_JSON" | pack
echo '${STATUS_MARKERS.pods}'
printf '%s\\n' "$PODS_JSON" | pack
# When this control plane's certificates expire (kubeadm's table); nothing if kubeadm cannot say.
echo '${STATUS_MARKERS.certificates}'
{ kubeadm certs check-expiration 2>/dev/null || true; } | pack`,
  ]);
}

/** How long a status pass may wait for the machines still joining, and how many nodes it waits for. */
export interface NodesSettle {
  nodes: number;
  seconds: number;
}

/**
 * Before the snapshot, up to `seconds` for `nodes` nodes to be registered and every one
 * Ready: the first pass of a create then reports the cluster the moment it has come up,
 * instead of failing on a node seconds from Ready and trying again after a pause. Past that,
 * the snapshot shows what is missing, as any pass does.
 */
function settleNodes(settle: NodesSettle): string {
  const expected = Math.max(0, Math.floor(settle.nodes));
  const seconds = Math.ceil(settle.seconds);
  return `# Up to ${seconds} s for the nodes still joining (${expected} expected): registered, then Ready.
SETTLE_LEFT=${seconds}
while ((SETTLE_LEFT > 0)) && [[ $(kc get nodes -o name 2>/dev/null | wc -l) -lt ${expected} ]]; do
  sleep 1
  SETTLE_LEFT=$((SETTLE_LEFT - 1))
done
if ((SETTLE_LEFT > 0)); then
  kc wait --for=condition=Ready nodes --all --timeout="\${SETTLE_LEFT}s" >/dev/null 2>&1 || true
fi`;
}

/** The two kubectl lists printed by the status script, parsed. */
export interface NodesStatus {
  nodes: unknown;
  pods: unknown;
  /** The earliest certificate expiry kubeadm reported (ISO 8601), when it did. */
  certificatesExpireAt?: string;
}

/**
 * Parses the status script's output. Throws when a section is missing or its JSON is cut
 * (SSM's 24,000-character limit), rather than returning half a cluster.
 */
export function parseNodesStatusOutput(stdout: string): NodesStatus {
  const lines = stdout.split('\n');
  const section = (marker: string): unknown => {
    const at = lines.indexOf(marker);
    if (at < 0 || at + 1 >= lines.length) throw new Error(`status output has no ${marker} section`);
    const line = lines[at + 1].trim();
    // Compressed (gzip + base64) as the script prints it; plain JSON is accepted too.
    return JSON.parse(line.startsWith('{') ? line : gunzipSync(Buffer.from(line, 'base64')).toString('utf8'));
  };
  const at = lines.indexOf(STATUS_MARKERS.certificates);
  const table = at >= 0 && lines[at + 1]?.trim() ? gunzipSync(Buffer.from(lines[at + 1].trim(), 'base64')).toString('utf8') : '';
  const certificatesExpireAt = parseCertificateExpiry(table);
  return { nodes: section(STATUS_MARKERS.nodes), pods: section(STATUS_MARKERS.pods), ...(certificatesExpireAt ? { certificatesExpireAt } : {}) };
}
