/**
 * How a simulated host runs a script: never on this machine itself, only inside a
 * private mount, PID and UTS namespace whose root is the host's own directory under the
 * simulator's data directory.
 *
 * Inside, both sandboxes give the same view: `/` is the host's root (its own `/etc`,
 * `/var`, `/opt`, `/root`, `/tmp`, `/run`), `/usr` is this machine's, read-only, with
 * `/bin`, `/sbin`, `/lib`, `/lib64` as the usual merged-/usr symlinks, a fresh `/proc`,
 * a minimal `/dev` (null, zero, full, random, urandom, tty), the shim directory read-only
 * at `/.hopper-sim/bin` and first on PATH, the host's hostname, uid 0 without any
 * capability (so nothing can mount, chroot out or touch a device), and the network
 * shared so that shims reach the simulator on 127.0.0.1.
 *
 * - `bwrap` (bubblewrap) when it works here;
 * - else util-linux `unshare` (on every stock Debian, Ubuntu and Fedora): as root plain
 *   namespaces, as an ordinary user inside a user namespace; the mounts come from a
 *   per-host fstab (one `mount --all` call; the device nodes bound read-only, so that a
 *   script writes to them but cannot chmod this machine's own), then `chroot` and `setpriv`
 *   drop into bash;
 * - else none: every script fails with what is missing, and nothing runs.
 *
 * `HOPPER_HOST_SANDBOX=bwrap|unshare` forces one (failing when it does not work here);
 * `none` forces the refusing path (for tests of it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type SandboxKind = 'bwrap' | 'unshare';

/** The directories of a host that are its own (writable); the rest of its view is read-only. */
const WRITABLE_DIRS = ['etc', 'var', 'opt', 'root', 'tmp', 'run'] as const;
const SHIM_MOUNT = '/.hopper-sim/bin';
const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MERGED_USR_LINKS: Record<string, string> = { bin: 'usr/bin', sbin: 'usr/sbin', lib: 'usr/lib', lib64: 'usr/lib64' };
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;
const DEV_LINKS: Record<string, string> = { fd: '/proc/self/fd', stdin: '/proc/self/fd/0', stdout: '/proc/self/fd/1', stderr: '/proc/self/fd/2' };

/** The sandbox hosts use in this process, or why there is none. */
export interface HostSandbox {
  kind?: SandboxKind;
  /** `unshare` only: run inside a new user namespace (not root here). */
  userNamespace?: boolean;
  /** One line for start-up logs: which sandbox, or why none. */
  description: string;
  /** Set when there is no sandbox: the message every host script fails with. */
  unavailable?: string;
}

/** Where one host lives: its root (the `/` its scripts see) and the sandbox's own files beside it. */
export interface HostLayout {
  /** `<hostDir>/root`: the host's filesystem. */
  rootDir: string;
  /** `<hostDir>/sandbox.fstab`: the mounts `unshare` makes (outside the root, out of the scripts' reach). */
  fstab: string;
}

export interface SandboxRun {
  layout: HostLayout;
  shimDir: string;
  hostname: string;
  env: Record<string, string>;
  /** The script path as the host sees it. */
  script: string;
}

const NO_SANDBOX_HELP =
  'Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), or allow namespaces for util-linux unshare ' +
  '(as an ordinary user: sysctl kernel.unprivileged_userns_clone=1 / kernel.apparmor_restrict_unprivileged_userns=0; in a container: run it with --privileged). ' +
  'On macOS or Windows, run Hopper in the Linux container of the Dockerfile (README).';

const cache = new Map<string, HostSandbox>();

/**
 * The sandbox for host scripts, probed once per process (per value of
 * `HOPPER_HOST_SANDBOX`): each candidate is tried by running a real script in a
 * throw-away root and checking that its write landed there and not on this machine.
 */
export function hostSandbox(forced = process.env.HOPPER_HOST_SANDBOX ?? ''): HostSandbox {
  const key = forced.trim().toLowerCase();
  const hit = cache.get(key);
  if (hit) return hit;
  const chosen = chooseSandbox(key);
  cache.set(key, chosen);
  return chosen;
}

function chooseSandbox(key: string): HostSandbox {
  if (key !== '' && key !== 'auto' && key !== 'bwrap' && key !== 'unshare' && key !== 'none') {
    throw new Error(`HOPPER_HOST_SANDBOX=${key}: expected bwrap, unshare, none or auto`);
  }
  if (key === 'none') {
    return { description: 'none (HOPPER_HOST_SANDBOX=none): host scripts are refused', unavailable: `no sandbox for host scripts: HOPPER_HOST_SANDBOX=none. ${NO_SANDBOX_HELP}` };
  }
  if (process.platform !== 'linux') {
    const why = `host scripts need Linux namespaces, and this is ${process.platform}`;
    return { description: `none: ${why}`, unavailable: `no sandbox for host scripts: ${why}. ${NO_SANDBOX_HELP}` };
  }
  const problems: string[] = [];
  const candidates: HostSandbox[] = [];
  if (key !== 'unshare') candidates.push({ kind: 'bwrap', description: 'bwrap (bubblewrap)' });
  if (key !== 'bwrap') {
    const root = process.getuid?.() === 0;
    if (root) candidates.push({ kind: 'unshare', userNamespace: false, description: 'unshare (util-linux; mount, PID and UTS namespaces)' });
    candidates.push({ kind: 'unshare', userNamespace: true, description: 'unshare (util-linux; user, mount, PID and UTS namespaces)' });
  }
  for (const candidate of candidates) {
    const problem = probe(candidate);
    if (!problem) return candidate;
    problems.push(`${candidate.description}: ${problem}`);
  }
  const forcedNote = key === 'bwrap' || key === 'unshare' ? ` (HOPPER_HOST_SANDBOX=${key})` : '';
  const why = `no sandbox works here${forcedNote} — ${problems.join('; ')}`;
  return { description: `none: ${why}`, unavailable: `no sandbox for host scripts: ${why}. Host scripts never run on this machine itself. ${NO_SANDBOX_HELP}` };
}

/** Runs one script in a throw-away root; returns what went wrong, or undefined when it worked. */
function probe(candidate: HostSandbox): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'hopper-sandbox-probe-'));
  try {
    const shimDir = join(dir, 'shims');
    mkdirSync(shimDir);
    const layout = prepareHost(join(dir, 'host'), shimDir);
    const marker = `probe-${process.pid}-${Date.now()}`;
    writeFileSync(join(layout.rootDir, 'root/probe.sh'), `#!/bin/bash\nset -e\nprintf '%s' "$(hostname)" > /etc/hopper-probe\n[ -d ${SHIM_MOUNT} ]\n`);
    const cmd = sandboxCommand(candidate, { layout, shimDir, hostname: marker, env: {}, script: '/root/probe.sh' });
    const r = spawnSync(cmd.file, cmd.args, { env: cmd.env, encoding: 'utf8', timeout: 10_000 });
    if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${cmd.file} is not installed` : r.error.message;
    if (r.status !== 0) return (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-2).join(' ');
    const seen = existsSync(join(layout.rootDir, 'etc/hopper-probe')) ? readFileSync(join(layout.rootDir, 'etc/hopper-probe'), 'utf8') : '';
    if (seen !== marker) return 'the script did not see its own root and hostname';
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Makes (or completes) a host's directory: its root with the writable directories, the
 * mount points, the merged-/usr symlinks and /dev's placeholders, and the fstab that
 * `unshare` mounts from. Safe to call again (an image copy, a restart).
 */
export function prepareHost(hostDir: string, shimDir: string): HostLayout {
  const rootDir = join(hostDir, 'root');
  for (const d of [...WRITABLE_DIRS, 'usr', 'proc', 'dev/shm', 'dev/pts', SHIM_MOUNT.slice(1)]) mkdirSync(join(rootDir, d), { recursive: true });
  for (const [name, target] of Object.entries(MERGED_USR_LINKS)) ensureSymlink(join(rootDir, name), target);
  for (const [name, target] of Object.entries(DEV_LINKS)) ensureSymlink(join(rootDir, 'dev', name), target);
  for (const d of DEVICES) if (!existsSync(join(rootDir, 'dev', d))) writeFileSync(join(rootDir, 'dev', d), '');
  const fstab = join(hostDir, 'sandbox.fstab');
  const line = (src: string, dest: string, type: string, opts: string) => `${fstabPath(src)} ${fstabPath(join(rootDir, dest))} ${type} ${opts} 0 0`;
  const lines = [
    line('/usr', 'usr', 'none', 'bind,ro,nosuid,nodev'),
    line('proc', 'proc', 'proc', 'nosuid,nodev,noexec'),
    // Read-only binds: a device is written to as before, but its node — this machine's own,
    // whose owner the sandbox's root may be — cannot be chmod'ed or chown'ed (EROFS).
    ...DEVICES.map((d) => line(`/dev/${d}`, `dev/${d}`, 'none', 'bind,ro')),
    line(shimDir, SHIM_MOUNT.slice(1), 'none', 'bind,ro,nosuid,nodev'),
  ];
  writeFileSync(fstab, `# Mounts of this host's sandbox (util-linux unshare), made in its private mount namespace.\n${lines.join('\n')}\n`);
  return { rootDir, fstab };
}

function ensureSymlink(path: string, target: string): void {
  let current: string | undefined;
  try {
    current = lstatSync(path).isSymbolicLink() ? readlinkSync(path) : 'not a link';
  } catch {
    current = undefined;
  }
  if (current === target) return;
  if (current !== undefined) unlinkSync(path);
  symlinkSync(target, path);
}

/** fstab fields escape whitespace and backslashes as octal. */
function fstabPath(path: string): string {
  return path.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * The sandbox's set-up inside `unshare`'s new namespaces: mount from the host's fstab,
 * name the host, then become bash in the host's root with no capability left.
 */
const UNSHARE_SETUP = String.raw`set -eu
fstab=$1 root=$2 name=$3 script=$4
shift 4
mount --all --fstab "$fstab"
hostname "$name" 2>/dev/null || printf '%s' "$name" > /proc/sys/kernel/hostname
exec chroot "$root" /usr/bin/env -i -C /root "$@" /usr/bin/setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- /usr/bin/bash "$script"
`;

/** The environment every host script starts with (the same under either sandbox). */
function hostEnvironment(env: Record<string, string>): Record<string, string> {
  return { ...env, HOME: '/root', PATH: `${SHIM_MOUNT}:${BASE_PATH}`, LANG: 'C.UTF-8' };
}

/** The command that runs `run.script` on the host under `sandbox` (which must have a kind). */
export function sandboxCommand(sandbox: HostSandbox, run: SandboxRun): { file: string; args: string[]; env: Record<string, string> } {
  const env = hostEnvironment(run.env);
  const { rootDir } = run.layout;
  if (rootDir === '/' || !rootDir.startsWith('/')) throw new Error(`refusing a host root of ${rootDir}`);
  if (sandbox.kind === 'bwrap') {
    const args = process.getuid?.() === 0 ? [] : ['--unshare-user', '--uid', '0', '--gid', '0'];
    args.push('--bind', rootDir, '/', '--ro-bind', '/usr', '/usr', '--proc', '/proc', '--dev', '/dev', '--ro-bind', run.shimDir, SHIM_MOUNT);
    args.push('--unshare-pid', '--unshare-uts', '--hostname', run.hostname, '--die-with-parent', '--cap-drop', 'ALL', '--chdir', '/root', '--clearenv');
    for (const [k, v] of Object.entries(env)) args.push('--setenv', k, v);
    args.push('/usr/bin/bash', run.script);
    return { file: 'bwrap', args, env: {} };
  }
  if (sandbox.kind === 'unshare') {
    const args = [...(sandbox.userNamespace ? ['--user', '--map-root-user'] : []), '--mount', '--pid', '--fork', '--uts', '--propagation', 'private', '--kill-child'];
    args.push('--', '/usr/bin/bash', '-c', UNSHARE_SETUP, 'hopper-sandbox', run.layout.fstab, rootDir, run.hostname, run.script);
    for (const [k, v] of Object.entries(env)) args.push(`${k}=${v}`);
    // unshare, mount and chroot come from this machine's sbin on PATH.
    return { file: 'unshare', args, env: { PATH: BASE_PATH } };
  }
  throw new Error(sandbox.unavailable ?? 'no sandbox');
}
