/**
 * `apt-get`, `apt-mark` and `apt-key` against a simulated archive: the Ubuntu archive
 * is always configured; Kubernetes packages come only from a `pkgs.k8s.io` repository
 * the script added (signed-by keyring present and dearmored) and indexed with
 * `apt-get update`, in the versions of that repository's minor.
 */
import { flag, hasFlag } from '../kube/host';
import { parseVersion } from '../kube/version';
import { fetchUrl } from './network';
import type { ShimRequest, ShimResult } from './protocol';
import { fail, ok } from './protocol';
import type { SimHost } from './host';

/** Latest patch per Kubernetes minor in the simulated pkgs.k8s.io. */
// The latest patch release of each minor on pkgs.k8s.io.
const LATEST_PATCH: Record<number, number> = { 28: 15, 29: 15, 30: 14, 31: 13, 32: 9, 33: 5, 34: 1 };
const K8S_PACKAGES = ['kubeadm', 'kubelet', 'kubectl'];
const DEPENDENCIES: Record<string, string[]> = { kubeadm: ['cri-tools', 'kubernetes-cni'], kubelet: ['kubernetes-cni'] };
const UBUNTU: Record<string, string> = {
  containerd: '1.7.24-0ubuntu1~24.04.1',
  'apt-transport-https': '2.7.14build2',
  'ca-certificates': '20240203',
  curl: '8.5.0-2ubuntu10.6',
  gpg: '2.4.4-2ubuntu17',
  gnupg: '2.4.4-2ubuntu17',
  jq: '1.7.1-3build1',
  socat: '1.8.0.0-4build3',
  conntrack: '1:1.4.8-1ubuntu1',
  ebtables: '2.0.11-6build1',
  ethtool: '1:6.7-1build1',
  unzip: '6.0-28ubuntu4',
  'nfs-common': '1:2.6.4-3ubuntu5',
  awscli: '2.15.0',
  'etcd-client': '3.4.30-1ubuntu0.24.04.3',
  'linux-aws': '6.8.0.1021.22',
};
/** Services a package brings (its postinst enables and starts them, as Debian does). */
const SERVICES: Record<string, string> = { containerd: 'containerd', 'containerd.io': 'containerd', kubelet: 'kubelet' };

interface Repo {
  kind: 'k8s' | 'docker';
  minor?: number;
  url: string;
  keyring?: string;
}

/** Reads `deb [signed-by=…] URL suite` lines from the forwarded sources files. */
function repos(req: ShimRequest): Repo[] {
  const out: Repo[] = [];
  for (const [path, content] of req.files) {
    if (!path.startsWith('/etc/apt/sources.list.d/')) continue;
    for (const line of content.toString().split('\n')) {
      const m = /^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)/.exec(line);
      if (!m) continue;
      const keyring = /signed-by=(\S+)/.exec(m[1] ?? '')?.[1];
      const k8s = /pkgs\.k8s\.io\/core:\/stable:\/v1\.(\d+)\/deb/.exec(m[2]);
      if (k8s) out.push({ kind: 'k8s', minor: Number(k8s[1]), url: m[2], keyring });
      else if (/download\.docker\.com/.test(m[2])) out.push({ kind: 'docker', url: m[2], keyring });
      else out.push({ kind: 'docker', url: m[2], keyring: keyring ?? '' });
    }
  }
  return out;
}

export function aptGet(host: SimHost, req: ShimRequest): ShimResult {
  const args = req.args;
  const verb = args.find((a) => !a.startsWith('-') && !a.includes('=') && args[args.indexOf(a) - 1] !== '-o');
  if (verb === 'update') return update(host, req);
  if (verb === 'install') return install(host, args);
  if (verb === 'remove' || verb === 'purge') {
    for (const p of args.slice(args.indexOf(verb) + 1).filter((a) => !a.startsWith('-'))) delete host.packages[p];
    return ok('Reading package lists...\n');
  }
  if (verb === 'upgrade' || verb === 'dist-upgrade' || verb === 'clean' || verb === 'autoremove') return ok('Reading package lists...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n');
  return fail(`E: Invalid operation ${verb ?? ''}`, 100);
}

function update(host: SimHost, req: ShimRequest): ShimResult {
  const lines = ['Hit:1 http://archive.ubuntu.com/ubuntu noble InRelease', 'Hit:2 http://security.ubuntu.com/ubuntu noble-security InRelease'];
  const errors: string[] = [];
  let n = 3;
  for (const r of repos(req)) {
    const res = fetchUrl(r.url);
    if ('error' in res) {
      lines.push(`Err:${n++} ${r.url}  InRelease`, `  Could not resolve '${res.host}'`);
      continue;
    }
    const key = r.keyring ? req.files.get(r.keyring) : undefined;
    if (!key || key.toString().startsWith('-----BEGIN')) {
      lines.push(`Get:${n++} ${r.url}  InRelease [1186 B]`);
      errors.push(`W: GPG error: ${r.url}  InRelease: The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 234654DA9A296436`, `E: The repository '${r.url}  InRelease' is not signed.`);
      continue;
    }
    lines.push(`Get:${n++} ${r.url}  InRelease [1186 B]`, `Get:${n++} ${r.url}  Packages [4865 B]`);
    host.aptIndexed.add(r.kind === 'k8s' ? `k8s:${r.minor}` : 'docker');
  }
  lines.push('Reading package lists...');
  if (errors.length > 0) return fail(`${errors.join('\n')}\nN: Updating from such a repository can't be done securely, and is therefore disabled by default.`, 100, { stdout: `${lines.join('\n')}\n` });
  return ok(`${lines.join('\n')}\n`);
}

/** The version apt would pick, or an apt error. */
function resolve(host: SimHost, name: string, pinned: string | undefined): string | { error: string } {
  if (K8S_PACKAGES.includes(name) || name === 'cri-tools' || name === 'kubernetes-cni') {
    const minors = [...host.aptIndexed].filter((r) => r.startsWith('k8s:')).map((r) => Number(r.slice(4)));
    if (minors.length === 0) return { error: `E: Unable to locate package ${name}` };
    const minor = Math.max(...minors);
    if (name === 'cri-tools') return `1.${minor}.0-1.1`;
    if (name === 'kubernetes-cni') return '1.5.1-1.1';
    if (!pinned) return `1.${minor}.${LATEST_PATCH[minor] ?? 3}-1.1`;
    const v = parseVersion(pinned);
    const ok = v && minors.includes(v.minor) && v.patch <= (LATEST_PATCH[v.minor] ?? 3) && /-1\.1$/.test(pinned);
    return ok ? pinned : { error: `E: Version '${pinned}' for '${name}' was not found` };
  }
  if (name === 'containerd.io') return host.aptIndexed.has('docker') ? '1.7.24-1' : { error: 'E: Package \'containerd.io\' has no installation candidate' };
  const v = UBUNTU[name];
  if (!v) return { error: `E: Unable to locate package ${name}` };
  return pinned ?? v;
}

function install(host: SimHost, args: string[]): ShimResult {
  const names = args.slice(args.indexOf('install') + 1).filter((a) => !a.startsWith('-') && args[args.indexOf(a) - 1] !== '-o');
  const chosen: Record<string, string> = {};
  for (const spec of names) {
    const [name, pinned] = spec.split('=');
    const v = resolve(host, name, pinned);
    if (typeof v !== 'string') return fail(`Reading package lists...\nBuilding dependency tree...\nReading state information...\n${v.error}`, 100);
    chosen[name] = v;
    for (const dep of DEPENDENCIES[name] ?? []) {
      const d = resolve(host, dep, undefined);
      if (typeof d === 'string' && !host.packages[dep]) chosen[dep] = d;
    }
  }
  const changes = Object.entries(chosen).filter(([n, v]) => host.packages[n] !== v);
  if (changes.some(([n]) => host.held.has(n) && host.packages[n]) && !hasFlag(args, '--allow-change-held-packages')) {
    return fail('Reading package lists...\nBuilding dependency tree...\nReading state information...\nE: Held packages were changed and -y was used without --allow-change-held-packages.', 100);
  }
  const yes = args.some((a) => a === '-y' || a === '--yes' || a === '--assume-yes' || /^-[a-z]*y[a-z]*$/.test(a)) || flag(args, '-o')?.includes('Assume-Yes');
  if (changes.length > 0 && !yes) return fail('Do you want to continue? [Y/n] Abort.', 1, { stdout: 'Reading package lists...\nBuilding dependency tree...\n' });
  const out = ['Reading package lists...', 'Building dependency tree...', 'Reading state information...'];
  for (const [n, v] of changes) {
    const upgrade = host.packages[n] !== undefined;
    out.push(`${upgrade ? 'Preparing to unpack' : 'Selecting previously unselected package'} ${n}.`, `Unpacking ${n} (${v}) ...`, `Setting up ${n} (${v}) ...`);
    host.packages[n] = v;
    const svc = SERVICES[n];
    if (svc) {
      const s = host.services.get(svc) ?? { enabled: true, active: false };
      host.services.set(svc, { enabled: s.enabled, active: svc === 'containerd' ? true : s.active });
    }
  }
  out.push(`${changes.length} upgraded or newly installed, 0 to remove and 0 not upgraded.`);
  return ok(`${out.join('\n')}\n`);
}

export function aptMark(host: SimHost, args: string[]): ShimResult {
  const [verb, ...pkgs] = args.filter((a) => !a.startsWith('-'));
  if (verb === 'showhold') return ok([...host.held].sort().map((p) => `${p}\n`).join(''));
  if (verb !== 'hold' && verb !== 'unhold') return fail(`E: Invalid operation ${verb ?? ''}`, 100);
  const out: string[] = [];
  for (const p of pkgs) {
    if (!host.packages[p]) {
      out.push(`E: Unable to locate package ${p}`);
      continue;
    }
    if (verb === 'hold') host.held.add(p);
    else host.held.delete(p);
    out.push(`${p} set ${verb === 'hold' ? 'on' : 'as no longer'} hold.`);
  }
  return ok(`${out.join('\n')}\n`);
}
