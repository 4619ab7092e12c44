/**
 * The shim directory: one small bash script per simulated command, first on every
 * host's PATH. A shim forwards its argv, the files it names and (for commands that
 * read it) stdin to the simulator, then sources the answer (see `protocol.ts`).
 * bash + curl + base64 start in a few milliseconds; a node script would take ~50 ms.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Commands answered by the simulator. Package commands fail unless installed. */
export const SHIMMED_COMMANDS = [
  'kubeadm', 'kubectl', 'kubelet', 'apt-get', 'apt', 'apt-mark', 'apt-key', 'gpg', 'systemctl', 'modprobe', 'sysctl',
  'containerd', 'ctr', 'crictl', 'aws', 'curl', 'hostnamectl',
] as const;

const SHIM = String.raw`#!/bin/bash
# Hopper cloud simulator shim: forwards this command to the simulator (local/sim/hosts/protocol.ts).
__n=${'$'}{0##*/}
__e() { printf '%s' "$1" | base64 -w0; }
__f() { [ -f "$1" ] && [ -r "$1" ] && printf 'file %s %s\n' "$(__e "$(realpath -m -- "$1")")" "$(base64 -w0 < "$1")"; return 0; }
__req=$(mktemp /tmp/.hopper-shim.XXXXXX) || exit 255
{
  printf 'cmd %s\n' "$(__e "$__n")"
  printf 'cwd %s\n' "$(__e "$PWD")"
  for __a in "$@"; do printf 'arg %s\n' "$(__e "$__a")"; done
  for __v in KUBECONFIG HOME; do [ -n "${'$'}{!__v:-}" ] && printf 'env %s\n' "$(__e "$__v=${'$'}{!__v}")"; done
  for __a in "$@"; do __f "${'$'}{__a#--*=}"; case $__a in file://*) __f "${'$'}{__a#file://}" ;; esac; done
  [ -n "${'$'}{KUBECONFIG:-}" ] && __f "$KUBECONFIG"
  __f "${'$'}{HOME:-/root}/.kube/config"
  case $__n in
    apt-get|apt) for __x in /etc/apt/sources.list.d/* /etc/apt/keyrings/*; do __f "$__x"; done ;;
    sysctl) for __x in /etc/sysctl.conf /etc/sysctl.d/*; do __f "$__x"; done ;;
  esac
  if [ ! -t 0 ] && { [ "$__n" = gpg ] || [ "$__n" = apt-key ] || printf '%s\n' "$@" | grep -qx -- -; }; then
    printf 'stdin %s\n' "$(base64 -w0)"
  fi
} > "$__req"
__resp=$(/usr/bin/curl -sS --fail-with-body --max-time 86400 -H 'content-type: text/plain' --data-binary @"$__req" "$HOPPER_SIM_URL/_sim/hosts/$HOPPER_SIM_INSTANCE/exec")
__st=$?
rm -f "$__req"
if [ $__st -ne 0 ]; then echo "$__n: the simulator did not answer: $__resp" >&2; exit 255; fi
eval "$__resp"
exit "$__rc"
`;

/** sleep runs locally, shortened by the time scale, so scripts' waits stay short. */
const SLEEP = String.raw`#!/bin/bash
# Hopper cloud simulator: sleep for 1/HOPPER_SIM_TIME_SCALE of the asked time.
__t=0
for __a in "$@"; do
  case $__a in
    *m) __s=$(awk -v v="${'$'}{__a%m}" 'BEGIN{print v*60}') ;;
    *h) __s=$(awk -v v="${'$'}{__a%h}" 'BEGIN{print v*3600}') ;;
    *s) __s=${'$'}{__a%s} ;;
    *) __s=$__a ;;
  esac
  __t=$(awk -v a="$__t" -v b="$__s" 'BEGIN{print a+b}')
done
exec /usr/bin/sleep "$(awk -v t="$__t" -v k="${'$'}{HOPPER_SIM_TIME_SCALE:-1}" 'BEGIN{printf "%.3f", t/k}')"
`;

/** Writes the shim directory once per process and returns its path. */
let shimDir: string | undefined;
export function ensureShimDir(): string {
  if (shimDir) return shimDir;
  const parent = mkdtempSync(join(tmpdir(), 'hopper-sim-shims-'));
  // One directory per process, removed when the process exits.
  process.once('exit', () => rmSync(parent, { recursive: true, force: true }));
  const dir = join(parent, 'bin');
  mkdirSync(dir);
  for (const cmd of SHIMMED_COMMANDS) {
    writeFileSync(join(dir, cmd), SHIM);
    chmodSync(join(dir, cmd), 0o755);
  }
  writeFileSync(join(dir, 'sleep'), SLEEP);
  chmodSync(join(dir, 'sleep'), 0o755);
  shimDir = dir;
  return dir;
}
