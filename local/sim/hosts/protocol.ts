/**
 * The shim protocol: what a shim on a host sends to the simulator and what comes back.
 *
 * Request (`POST /_sim/hosts/<instance-id>/exec`, text): one field per line,
 * `<name> <base64>`; `file` lines carry two base64 words, path and content:
 *
 *     cmd a3ViZWFkbQ==          the command name (the shim's file name)
 *     cwd L3Jvb3Q=
 *     arg aW5pdA==              one line per argument, in order
 *     file <path> <content>     files the command reads (arguments that are files, KUBECONFIG…)
 *     stdin <content>           only when the command reads standard input
 *     env <NAME=value>          KUBECONFIG and HOME
 *
 * Response: a bash fragment the shim sources. It writes or removes the files the
 * command produced, prints stdout and stderr, and sets `__rc` to the exit status.
 */
export interface ShimRequest {
  cmd: string;
  args: string[];
  cwd: string;
  /** Absolute path (as the host sees it) → content. */
  files: Map<string, Buffer>;
  stdin?: Buffer;
  /** The few environment variables commands honour (KUBECONFIG, HOME). */
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

/** Parses a request body; unknown lines are ignored so shims can grow fields. */
export function parseShimRequest(body: string): ShimRequest {
  const req: ShimRequest = { cmd: '', args: [], cwd: '/', files: new Map(), env: {} };
  const dec = (s: string | undefined) => Buffer.from(s ?? '', 'base64');
  for (const line of body.split('\n')) {
    const [name, a, b] = line.trim().split(' ');
    if (name === 'cmd') req.cmd = dec(a).toString();
    else if (name === 'cwd') req.cwd = dec(a).toString() || '/';
    else if (name === 'arg') req.args.push(dec(a).toString());
    else if (name === 'file') req.files.set(dec(a).toString(), dec(b));
    else if (name === 'stdin') req.stdin = dec(a);
    else if (name === 'env') {
      const pair = dec(a).toString();
      const eq = pair.indexOf('=');
      if (eq > 0) req.env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return req;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64').replace(/(.{76})/g, '$1\n');

/** Renders a result as the bash fragment the shim sources. */
export function renderShimResult(r: ShimResult): string {
  const out: string[] = ['__rc=0'];
  for (const path of r.remove ?? []) out.push(`rm -rf -- ${q(path)}`);
  for (const f of r.files ?? []) {
    const dir = f.path.replace(/\/[^/]*$/, '') || '/';
    if (f.createDirs) out.push(`mkdir -p -- ${q(dir)}`);
    // A failed write (missing directory) fails the command, as the real tool's open() would.
    out.push(`base64 -d > ${q(f.path)} <<'__HOPPER_EOF__' || __rc=2\n${b64(f.content)}\n__HOPPER_EOF__`);
    if (f.mode) out.push(`chmod ${f.mode} -- ${q(f.path)}`);
  }
  if (r.stdout && r.stdout.length > 0) out.push(`base64 -d <<'__HOPPER_EOF__'\n${b64(r.stdout)}\n__HOPPER_EOF__`);
  if (r.stderr) out.push(`base64 -d >&2 <<'__HOPPER_EOF__'\n${b64(r.stderr)}\n__HOPPER_EOF__`);
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
