/**
 * The shim protocol: what a shim on a host sends to the simulator and what comes back.
 *
 * Request (`POST /_sim/hosts/<instance-id>/exec`): a `multipart/form-data` form that
 * curl builds from bash variables alone (`--form-string` fields are sent literally,
 * `-F name=@file` sends a file's bytes), in this order:
 *
 *     cmd       the command name (the shim's file name)
 *     cwd       the working directory
 *     arg       one field per argument, in order
 *     env       NAME=value, for KUBECONFIG and HOME
 *     path      a file the command reads (arguments that are files, KUBECONFIG…), absolute…
 *     content   …followed by its bytes
 *     stdin     only when the command reads standard input
 *
 * Response: a bash fragment the shim evaluates. It writes or removes the files the
 * command produced, prints stdout and stderr, and sets `__rc` to the exit status. Text
 * travels as quoted bash strings (no process to decode); bytes that bash cannot hold in
 * a string (NUL, invalid UTF-8) go through `base64 -d`.
 */
import { isUtf8 } from 'node:buffer';
import { posix } from 'node:path';

export interface ShimRequest {
  cmd: string;
  args: string[];
  cwd: string;
  /** Absolute path (as the host sees it) → content. */
  files: Map<string, Buffer>;
  stdin?: Buffer;
  /**
   * The few environment variables commands honour: KUBECONFIG, HOME, HOPPER_SIM_NETNS
   * (set by `ip netns exec`: the command runs in a pod's network namespace), and the web
   * identity the AWS CLI takes before the metadata service (AWS_ROLE_ARN,
   * AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_SESSION_NAME: a pod's role for its service account).
   */
  env: Record<string, string>;
}

export interface ProducedFile {
  path: string;
  content: string | Buffer;
  mode?: string;
  /** Create missing parent directories (kubeadm does; curl -o and gpg -o do not). */
  createDirs?: boolean;
}

export interface ShimResult {
  stdout?: string | Buffer;
  stderr?: string;
  exitCode: number;
  files?: ProducedFile[];
  /** Paths to remove (`kubeadm reset`). */
  remove?: string[];
}

/** Parses a shim's form; unknown fields are ignored so shims can grow fields. */
export async function parseShimRequest(body: Buffer, contentType: string): Promise<ShimRequest> {
  const req: ShimRequest = { cmd: '', args: [], cwd: '/', files: new Map(), env: {} };
  const form = await new Request('http://sim/', { method: 'POST', headers: { 'content-type': contentType }, body }).formData();
  const text = (v: string | Blob) => (typeof v === 'string' ? v : '');
  const bytes = async (v: string | Blob) => (typeof v === 'string' ? Buffer.from(v) : Buffer.from(await v.arrayBuffer()));
  let path: string | undefined;
  for (const [name, value] of form.entries()) {
    if (name === 'cmd') req.cmd = text(value);
    else if (name === 'cwd') req.cwd = text(value) || '/';
    else if (name === 'arg') req.args.push(text(value));
    else if (name === 'path') path = text(value);
    else if (name === 'content' && path !== undefined) {
      const content = await bytes(value);
      // As given (cwd joined) and normalized (`..`, `.`), as realpath -m would.
      req.files.set(path, content);
      req.files.set(posix.normalize(path), content);
      path = undefined;
    } else if (name === 'stdin') req.stdin = await bytes(value);
    else if (name === 'env') {
      const pair = text(value);
      const eq = pair.indexOf('=');
      if (eq > 0) req.env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return req;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const b64 = (s: Buffer) => s.toString('base64').replace(/(.{76})/g, '$1\n');

/** A bash command that writes `content` exactly, followed by `rest` (redirections, `|| …`) on its line. */
function emit(content: string | Buffer, rest = ''): string {
  const buf = Buffer.from(content);
  const tail = rest ? ` ${rest}` : '';
  if (isUtf8(buf) && !buf.includes(0)) return `printf '%s' ${q(buf.toString('utf8'))}${tail}`;
  return `base64 -d <<'__HOPPER_EOF__'${tail}\n${b64(buf)}\n__HOPPER_EOF__`;
}

/** Renders a result as the bash fragment the shim evaluates. */
export function renderShimResult(r: ShimResult): string {
  const out: string[] = ['__rc=0'];
  for (const path of r.remove ?? []) out.push(`rm -rf -- ${q(path)}`);
  for (const f of r.files ?? []) {
    const dir = f.path.replace(/\/[^/]*$/, '') || '/';
    if (f.createDirs) out.push(`mkdir -p -- ${q(dir)}`);
    // A failed write (missing directory) fails the command, as the real tool's open() would.
    out.push(emit(f.content, `> ${q(f.path)} || __rc=2`));
    // Never the mode of a device: in a sandbox the device nodes may be this machine's own.
    if (f.mode && !f.path.startsWith('/dev/')) out.push(`chmod ${f.mode} -- ${q(f.path)}`);
  }
  if (r.stdout && r.stdout.length > 0) out.push(emit(r.stdout));
  if (r.stderr) out.push(emit(r.stderr, '>&2'));
  out.push(`[ "$__rc" = 0 ] && __rc=${r.exitCode}`);
  return `${out.join('\n')}\n`;
}

/** A successful result. */
export const ok = (stdout = '', extra: Partial<ShimResult> = {}): ShimResult => ({ stdout, exitCode: 0, ...extra });
/** A failed result with a message on stderr. */
export const fail = (stderr: string, exitCode = 1, extra: Partial<ShimResult> = {}): ShimResult => ({
  stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n`,
  exitCode,
  ...extra,
});
