/**
 * Launch template user data of worker nodes: cloud-init runs it once, at first boot of an
 * instance from the baked image, and it joins the instance to the cluster.
 */
import { findGroup, RenderError, resolveContext, validateGroup } from './context';
import { joinFill, readJoinData } from './control-plane';
import { joinConfigTemplate } from './kubeadm';
import { awsVariables, IMDS, ALREADY_JOINED, NODE_IDENTITY, PARAMETERS, REQUIRE_FORMAT, RUN_LOGGED, script, WAIT_FOR_DISCOVERY, writeTemplate } from './shell';
import type { NodeGroupContext, RenderContext } from './types';

/** EC2 refuses user data over 16 KB (before base64). */
export const USER_DATA_LIMIT = 16 * 1024;
/**
 * Join attempts, and seconds between them: about ten minutes while the join data is not
 * there yet. Once it is, an attempt's own discovery waits up to five minutes for the API
 * server and the token (kubeadm's), so a control plane that never comes up keeps a node
 * trying for hours: it joins whenever the cluster can take it.
 */
const ATTEMPTS = 120;
// Short enough to add little after the join data appears (half the pause on average), long
// enough that a large group stays inside Parameter Store's request rate: while the data is
// missing each attempt reads one parameter, so 100 nodes ask 20 times a second (the
// standard throughput is 40).
const PAUSE_SECONDS = 5;

/**
 * The user data of a node group (`group` by name from `ctx.instanceGroups`, or given):
 * reads the join data from Parameter Store and runs `kubeadm join` with the group's labels
 * and taints. The join data is read again before every attempt, because the control plane
 * may not be up yet and the token may have been rotated meanwhile.
 */
export function renderNodeUserData(ctx: RenderContext, group: NodeGroupContext | string): string {
  const r = resolveContext(ctx);
  const g = typeof group === 'string' ? findGroup(ctx, group) : group;
  validateGroup(g);
  const text = script(r, `join a node of instance group ${g.name} (kubeadm join)`, [
    awsVariables(r),
    REQUIRE_FORMAT,
    IMDS,
    NODE_IDENTITY,
    ALREADY_JOINED,
    PARAMETERS,
    RUN_LOGGED,
    WAIT_FOR_DISCOVERY,
    'mkdir -p /etc/kubernetes',
    `# get_param fails while the parameters do not exist yet: retry those reads.
read_join_data() {
  JOIN_TOKEN=$(get_param join/token) || return 1
  CA_CERT_HASH=$(get_param join/ca-cert-hash) || return 1
  JOIN_ENDPOINT=$(get_param join/endpoint) || return 1
}`,
    [
      'joined=false',
      `for attempt in $(seq 1 ${ATTEMPTS}); do`,
      '  if read_join_data; then',
      readJoinData({ controlPlane: false })
        .split('\n')
        .filter((line) => line.startsWith('require_format'))
        .map((line) => `    ${line}`)
        .join('\n'),
      // The heredoc inside the template must start at column 0, so this block is not indented.
      writeTemplate('/etc/kubernetes/kubeadm-join.yaml', joinConfigTemplate(ctx, { controlPlane: false, group: g }), joinFill(false)),
      '    wait_for_discovery "$JOIN_ENDPOINT" "$JOIN_TOKEN"',
      '    if run_logged kubeadm-join kubeadm join --config /etc/kubernetes/kubeadm-join.yaml; then',
      '      joined=true',
      '      break',
      '    fi',
      '    # Clean up the failed attempt, or the next one fails its preflight checks.',
      '    run_logged kubeadm-reset kubeadm reset -f || true',
      '  fi',
      `  echo "hopper: join attempt $attempt of ${ATTEMPTS} failed; retrying in ${PAUSE_SECONDS}s" >&2`,
      `  sleep ${PAUSE_SECONDS}`,
      'done',
      'if [[ $joined != true ]]; then',
      '  echo "hopper: $NODE_NAME could not join the cluster" >&2',
      '  exit 1',
      'fi',
      `echo "hopper: $NODE_NAME joined the cluster at $JOIN_ENDPOINT as a node of group ${g.name}"`,
    ].join('\n'),
  ]);
  const size = Buffer.byteLength(text, 'utf8');
  if (size > USER_DATA_LIMIT) {
    throw new RenderError(`user data of group ${g.name} is ${size} bytes, over EC2's ${USER_DATA_LIMIT}`, [{ path: 'group', message: 'too many labels or taints' }]);
  }
  return text;
}

/** {@link renderNodeUserData}, base64-encoded as a launch template's `UserData` wants it. */
export function renderNodeUserDataBase64(ctx: RenderContext, group: NodeGroupContext | string): string {
  return Buffer.from(renderNodeUserData(ctx, group), 'utf8').toString('base64');
}
