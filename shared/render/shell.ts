/**
 * Building blocks of the rendered bash scripts: quoting, heredocs, the script header and
 * the snippets several scripts share (instance metadata, Parameter Store, quiet kubeadm).
 * Every snippet follows the host contract the cloud simulator's shims are built to.
 */
import { RenderError, type ResolvedContext } from './context';

/**
 * Quotes a value for bash: single quotes, with embedded single quotes closed, escaped and
 * reopened. The result is one word, and nothing in it is expanded.
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

const HEREDOC_END = 'HOPPER_EOF';

/**
 * A quoted heredoc (`<<'HOPPER_EOF'`), whose body bash never expands: the way user values
 * reach files. Refuses a body holding the terminator line, which would end it early.
 */
export function heredoc(command: string, body: string): string {
  const text = body.endsWith('\n') ? body : `${body}\n`;
  if (text.split('\n').includes(HEREDOC_END)) {
    throw new RenderError('file content holds the heredoc terminator', [{ path: 'content', message: `a line equal to ${HEREDOC_END}` }]);
  }
  return `${command} <<'${HEREDOC_END}'\n${text}${HEREDOC_END}`;
}

/** Writes a file whose content is fully known at render time. */
export function writeFile(path: string, content: string): string {
  return heredoc(`cat >${path}`, content);
}

/**
 * Writes a file from a template whose placeholders are filled at run time from shell
 * variables (values read from instance metadata or Parameter Store). The template itself
 * is never expanded; each variable must have been checked with `require_format` first, so
 * it cannot break the YAML it lands in. Bash 5.2's `&` in a replacement is disabled by
 * quoting the replacement.
 */
export function writeTemplate(path: string, template: string, fill: Record<string, string>): string {
  const lines = [heredoc('HOPPER_TEMPLATE=$(cat', template) + '\n)'];
  for (const [placeholder, variable] of Object.entries(fill)) {
    if (!template.includes(placeholder)) continue;
    lines.push(`HOPPER_TEMPLATE=\${HOPPER_TEMPLATE//${placeholder}/"$${variable}"}`);
  }
  lines.push(`printf '%s\\n' "$HOPPER_TEMPLATE" >${path}`);
  return lines.join('\n');
}

/** Joins a script from a title and sections, with the strict-mode header every script has. */
export function script(r: ResolvedContext, title: string, sections: string[], options: { umask?: '077' | '022' } = {}): string {
  const header = [
    '#!/bin/bash',
    `# Hopper: ${title.replace(/[\r\n]/g, ' ')}`,
    `# Rendered for cluster ${r.ctx.clusterName}, Kubernetes ${r.versionTag}. Do not edit: Hopper renders it again.`,
    // SSM or cloud-init may hand the file to sh: get bash back before using bash syntax.
    'if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi',
    'set -euo pipefail',
    // Files written below may hold join secrets: owner-only by default. Apt's keyring and
    // sources must stay world-readable (apt downloads as the _apt user), hence 022 there.
    `umask ${options.umask ?? '077'}`,
    'export DEBIAN_FRONTEND=noninteractive',
  ].join('\n');
  return `${[header, ...sections.filter((s) => s !== '')].join('\n\n')}\n`;
}

/** Stops a script meant for a control plane that has run `kubeadm init` (or joined as one). */
export const REQUIRE_INITIALISED_CONTROL_PLANE = [
  'if [[ ! -f /etc/kubernetes/admin.conf ]]; then',
  '  echo "hopper: this instance is not an initialised control plane" >&2',
  '  exit 1',
  'fi',
].join('\n');

/** Shell variables with the cluster's region and parameter prefix, quoted. */
export function awsVariables(r: ResolvedContext): string {
  return [`REGION=${shellQuote(r.ctx.region)}`, `PARAM_PREFIX=${shellQuote(r.parameterPrefix)}`, `PARAM_KEY=${shellQuote(r.parameterKeyId)}`].join('\n');
}

/** `require_format NAME VALUE REGEX`: stops the script when a run-time value looks wrong, without printing it. */
export const REQUIRE_FORMAT = `# Run-time values are checked before they reach a config file, and never printed:
# some of them are secrets, and SSM output ends up in logs.
require_format() {
  if [[ ! $2 =~ $3 ]]; then
    echo "hopper: $1 has an unexpected format" >&2
    exit 1
  fi
}`;

/** Reads the IMDSv2 session token (retrying while the metadata service starts) and defines `imds KEY`. */
export const IMDS = `# IMDSv2: instances require a session token first.
TOKEN=""
for _ in $(seq 1 30); do
  if TOKEN=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 21600"); then
    break
  fi
  sleep 2
done
if [[ -z $TOKEN ]]; then
  echo "hopper: instance metadata service unavailable" >&2
  exit 1
fi
imds() {
  curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"
}`;

/** Sets NODE_NAME (the private DNS name, which the AWS cloud controller manager expects) and NODE_IP. */
/** A machine that joined already (kubelet.conf exists) has nothing to do: joins are idempotent. */
export const ALREADY_JOINED = `if [[ -f /etc/kubernetes/kubelet.conf ]]; then
  echo "hopper: $NODE_NAME has joined already; nothing to do"
  exit 0
fi`;

export const NODE_IDENTITY = `NODE_NAME=$(imds local-hostname)
# With several domains in the DHCP options the name lists them all: the first is the node's.
NODE_NAME=\${NODE_NAME%% *}
NODE_NAME=\${NODE_NAME,,}
NODE_IP=$(imds local-ipv4)
require_format NODE_NAME "$NODE_NAME" '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'
require_format NODE_IP "$NODE_IP" '^[0-9]{1,3}([.][0-9]{1,3}){3}$'`;

/** `get_param NAME` and `put_param NAME VALUE` on SecureString parameters under the prefix. */
export const PARAMETERS = `get_param() {
  aws ssm get-parameter --region "$REGION" --name "$PARAM_PREFIX$1" --with-decryption --query Parameter.Value --output text
}
# Under the deployment's key, not the account's aws/ssm: only this cluster's host roles may
# use it for this cluster's parameters. Every value fits the standard (free) tier.
put_param() {
  aws ssm put-parameter --region "$REGION" --name "$PARAM_PREFIX$1" --type SecureString --key-id "$PARAM_KEY" --tier Standard --value "$2" --overwrite >/dev/null
}`;

/**
 * `wait_for_discovery HOST:PORT TOKEN`: until the API server there has what kubeadm join's
 * discovery looks for — kube-public's cluster-info (which kubeadm's RBAC lets anyone read)
 * signed for the token (`jws-kubeconfig-<token id>`, added by the bootstrap signer once init
 * made the token) — a look every half second, as kubeadm's own API check looks. Discovery
 * itself asks only every five seconds, and a look at /readyz alone can find the API server
 * answering a moment before the token exists: a join started on the signature is up to five
 * seconds sooner. Bounded (four minutes, and twice as many looks): then the join runs anyway
 * and its discovery, which waits five minutes more, says what is wrong — all inside a
 * control-plane join's command timeout.
 */
export const WAIT_FOR_DISCOVERY = `wait_for_discovery() {
  local _ info deadline=$((SECONDS + 240))
  for _ in $(seq 1 480); do
    info=$(curl -ksf --connect-timeout 1 --max-time 2 "https://$1/api/v1/namespaces/kube-public/configmaps/cluster-info" 2>/dev/null) &&
      [[ $info == *"\\"jws-kubeconfig-\${2%%.*}\\":"* ]] && return 0
    (( SECONDS < deadline )) || return 0
    sleep 0.5
  done
  return 0
}`;

/** Formats of the join data, shared by the scripts that write and read it. */
export const JOIN_FORMATS = {
  token: '^[a-z0-9]{6}[.][a-z0-9]{16}$',
  caCertHash: '^sha256:[0-9a-f]{64}$',
  certificateKey: '^[0-9a-f]{64}$',
  endpoint: '^[A-Za-z0-9.-]+:[0-9]{1,5}$',
} as const;

/**
 * `run_logged NAME COMMAND…`: kubeadm prints join commands with tokens and certificate
 * keys, so its output goes to a root-only log; on failure only lines without secrets are
 * shown.
 */
export const RUN_LOGGED = `LOG_DIR=/var/log/hopper
mkdir -p "$LOG_DIR"
run_logged() {
  local log="$LOG_DIR/$1.log"
  shift
  local status=0
  "$@" >"$log" 2>&1 || status=$?
  if [[ $status -ne 0 ]]; then
    echo "hopper: $1 failed with status $status; last lines of $log:" >&2
    tail -n 40 "$log" | grep -v -i -E 'token|certificate-key|private key' >&2 || true
  fi
  return "$status"
}`;

/** `kc ARGS…`: kubectl, always as the cluster admin (the host contract). */
export const KUBECTL = `kc() {
  kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"
}`;
