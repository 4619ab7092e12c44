/**
 * How a host runs a script: under bubblewrap when it is installed (read-only system
 * directories, the host's own writable /etc, /var, /opt, /root, /tmp, /run, the shim
 * directory first on PATH, the network shared so shims reach 127.0.0.1), or as plain
 * bash with the shim PATH when it is not (said once on stderr).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const WRITABLE_DIRS = ['etc', 'var', 'opt', 'root', 'tmp', 'run'] as const;
const SHIM_MOUNT = '/.hopper-sim/bin';

let bwrapOk: boolean | undefined;
/** Whether bwrap works here (installed and allowed to make namespaces). */
export function bwrapAvailable(): boolean {
  if (bwrapOk === undefined) {
    const r = spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-pid', 'true'], { stdio: 'ignore' });
    bwrapOk = r.status === 0;
    if (!bwrapOk) process.stderr.write('hopper-sim: bubblewrap (bwrap) is not available; host scripts run as plain bash with the shim PATH, unsandboxed\n');
  }
  return bwrapOk;
}

export interface SandboxSpec {
  rootDir: string;
  shimDir: string;
  hostname: string;
  env: Record<string, string>;
  /** The script path as the host sees it. */
  script: string;
}

/** The command and arguments that run `script` on the host. */
export function sandboxCommand(spec: SandboxSpec): { file: string; args: string[]; env: Record<string, string>; cwd?: string } {
  const basePath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  if (!bwrapAvailable()) {
    // Without a private mount namespace, absolute paths are the real machine's: map the
    // script into the host's root and keep the host's directories out of PATH lookups.
    const script = join(spec.rootDir, spec.script);
    return { file: 'bash', args: [script], env: { ...spec.env, HOME: join(spec.rootDir, 'root'), PATH: `${spec.shimDir}:${basePath}` }, cwd: join(spec.rootDir, 'root') };
  }
  const args = ['--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/sbin', '/sbin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64'];
  args.push('--proc', '/proc', '--dev', '/dev');
  for (const d of WRITABLE_DIRS) args.push('--bind', join(spec.rootDir, d), `/${d}`);
  args.push('--ro-bind', spec.shimDir, SHIM_MOUNT);
  args.push('--unshare-pid', '--unshare-uts', '--hostname', spec.hostname, '--die-with-parent', '--chdir', '/root', '--clearenv');
  const env = { ...spec.env, HOME: '/root', PATH: `${SHIM_MOUNT}:${basePath}`, LANG: 'C.UTF-8' };
  for (const [k, v] of Object.entries(env)) args.push('--setenv', k, v);
  args.push('/usr/bin/bash', spec.script);
  return { file: 'bwrap', args, env: {} };
}
