/**
 * The shim directory: one small bash script per simulated command, first on every
 * host's PATH. A shim forwards its argv, the files it names and (for commands that
 * read it) stdin to the simulator as a multipart form, then sources the answer (see
 * `protocol.ts`). bash + curl start in a few milliseconds; a node script would take ~50 ms.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Commands answered by the simulator. Package commands fail unless installed. */
export const SHIMMED_COMMANDS = [
  'kubeadm', 'kubectl', 'kubelet', 'apt-get', 'apt', 'apt-mark', 'apt-key', 'gpg', 'systemctl', 'modprobe', 'sysctl',
  'containerd', 'ctr', 'crictl', 'aws', 'curl', 'hostnamectl',
  'etcdctl', 'lsblk', 'blkid', 'mkfs', 'mkfs.ext4', 'mkfs.xfs', 'mount', 'umount', 'mountpoint',
] as const;

const SHIM = String.raw`#!/bin/bash
# Hopper cloud simulator shim: forwards this command to the simulator (local/sim/hosts/protocol.ts).
# Only bash builtins build the request, so a call costs this bash and one curl.
__n=${'$'}{0##*/}
__form=(--form-string "cmd=$__n" --form-string "cwd=$PWD")
__stdin=
__file() {
  local p=$1 q
  [ -f "$p" ] && [ -r "$p" ] || return 0
  [[ $p == /* ]] || p="$PWD/$p"
  q=${'$'}{p//\\/\\\\}
  q=${'$'}{q//\"/\\\"}
  __form+=(--form-string "path=$p" -F "content=@\"$q\";type=application/octet-stream")
}
for __a in "$@"; do
  __form+=(--form-string "arg=$__a")
  [ "$__a" = - ] && __stdin=1
done
for __v in KUBECONFIG HOME HOPPER_SIM_NETNS AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_SESSION_NAME; do [ -n "${'$'}{!__v:-}" ] && __form+=(--form-string "env=$__v=${'$'}{!__v}"); done
for __a in "$@"; do __file "${'$'}{__a#--*=}"; case $__a in file://*) __file "${'$'}{__a#file://}" ;; esac; done
[ -n "${'$'}{KUBECONFIG:-}" ] && __file "$KUBECONFIG"
[ -n "${'$'}{AWS_WEB_IDENTITY_TOKEN_FILE:-}" ] && __file "$AWS_WEB_IDENTITY_TOKEN_FILE"
__file "${'$'}{HOME:-/root}/.kube/config"
case $__n in
  apt-get|apt) for __x in /etc/apt/sources.list.d/* /etc/apt/keyrings/*; do __file "$__x"; done ;;
  sysctl) for __x in /etc/sysctl.conf /etc/sysctl.d/*; do __file "$__x"; done ;;
  gpg|apt-key) __stdin=1 ;;
esac
[ -n "$__stdin" ] && [ ! -t 0 ] && __form+=(-F "stdin=@-;type=application/octet-stream")
__resp=$(/usr/bin/curl -sS --fail-with-body --max-time 86400 "${'$'}{__form[@]}" "$HOPPER_SIM_URL/_sim/hosts/$HOPPER_SIM_INSTANCE/exec")
__st=$?
if [ $__st -ne 0 ]; then echo "$__n: the simulator did not answer: $__resp" >&2; exit 255; fi
eval "$__resp"
exit "$__rc"
`;

/** sleep runs locally, shortened by the time scale, so scripts' waits stay short. */
const SLEEP = String.raw`#!/bin/bash
# Hopper cloud simulator: sleep for 1/HOPPER_SIM_TIME_SCALE of the asked time.
# Integer arithmetic in microseconds, so a sleep costs this bash and the real sleep.
__us=0
for __a in "$@"; do
  case $__a in
    *d) __k=86400; __a=${'$'}{__a%d} ;;
    *h) __k=3600; __a=${'$'}{__a%h} ;;
    *m) __k=60; __a=${'$'}{__a%m} ;;
    *s) __k=1; __a=${'$'}{__a%s} ;;
    *) __k=1 ;;
  esac
  __i=${'$'}{__a%%.*}
  __f=
  [[ $__a == *.* ]] && __f=${'$'}{__a#*.}
  __f=${'$'}{__f}000000
  __f=${'$'}{__f:0:6}
  # Not a plain duration (e.g. infinity): the real sleep decides.
  [[ ${'$'}{__i:-0}$__f =~ ^[0-9]+$ ]] || exec /usr/bin/sleep "$@"
  __us=$(( __us + (10#${'$'}{__i:-0} * 1000000 + 10#$__f) * __k ))
done
__scale=${'$'}{HOPPER_SIM_TIME_SCALE:-1}
if [[ $__scale =~ ^[1-9][0-9]*$ ]]; then
  __us=$(( __us / __scale ))
  printf -v __t '%d.%06d' $(( __us / 1000000 )) $(( __us % 1000000 ))
else
  __t=$(awk -v t="$__us" -v k="$__scale" 'BEGIN{printf "%.6f", t/1000000/k}')
fi
exec /usr/bin/sleep "$__t"
`;

/**
 * `ip netns exec <ns> <command…>`: runs a command in a pod's network namespace, as the CNI
 * makes one per pod. Only the namespace is simulated: the command runs here with
 * HOPPER_SIM_NETNS set, which the shims pass on, so the metadata service sees it one hop
 * further away (a pod's packets cross the node's bridge) — what the hop limit is about.
 */
const IP = String.raw`#!/bin/bash
# Hopper cloud simulator: ip netns (a pod's network namespace, one hop behind the host).
case "$1 $2" in
  "netns add"|"netns delete") exit 0 ;;
  "netns exec")
    [ -n "$3" ] && [ -n "$4" ] || { echo "Usage: ip netns exec NAME cmd ..." >&2; exit 1; }
    __ns=$3; shift 3
    HOPPER_SIM_NETNS=$__ns exec "$@" ;;
  *) echo "ip: only 'ip netns add|delete|exec' is simulated" >&2; exit 1 ;;
esac
`;

/** Writes the shim directory (one per simulator, in its data directory) and returns its path. */
export function writeShimDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const cmd of SHIMMED_COMMANDS) {
    writeFileSync(join(dir, cmd), SHIM);
    chmodSync(join(dir, cmd), 0o755);
  }
  writeFileSync(join(dir, 'sleep'), SLEEP);
  chmodSync(join(dir, 'sleep'), 0o755);
  writeFileSync(join(dir, 'ip'), IP);
  chmodSync(join(dir, 'ip'), 0o755);
  return dir;
}
