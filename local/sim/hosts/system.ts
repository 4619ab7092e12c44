/**
 * The small system tools a bootstrap script uses: systemctl, modprobe, sysctl, gpg,
 * apt-key, containerd/ctr/crictl and hostnamectl. They change the host's state that
 * kubeadm's preflight checks read (containerd running, ip_forward, br_netfilter).
 */
import { flag, hasFlag } from '../kube/host';
import type { SimHost } from './host';
import type { ShimRequest, ShimResult } from './protocol';
import { fail, ok } from './protocol';

/** Units every Ubuntu server image has, besides those packages bring. */
const BASE_UNITS = ['ssh', 'snap.amazon-ssm-agent.amazon-ssm-agent', 'chrony', 'systemd-resolved', 'systemd-sysctl', 'systemd-modules-load', 'cloud-init'];

/** `systemctl …`; `onKubeletRestart` lets the Kubernetes model see a new kubelet version. */
export function systemctl(host: SimHost, args: string[], onKubeletStart: () => void): ShimResult {
  const words = args.filter((a) => !a.startsWith('-'));
  const [verb, ...units] = words;
  const unitName = (u: string) => u.replace(/\.service$/, '');
  const exists = (u: string) => host.services.has(unitName(u)) || BASE_UNITS.includes(unitName(u));
  const state = (u: string) => host.services.get(unitName(u)) ?? { enabled: true, active: true };
  if (verb === 'daemon-reload') return ok();
  if (verb === 'is-active') return units.every((u) => exists(u) && state(u).active) ? ok('active\n') : { stdout: 'inactive\n', exitCode: 3 };
  if (verb === 'is-enabled') return units.every((u) => exists(u) && state(u).enabled) ? ok('enabled\n') : { stdout: 'disabled\n', exitCode: 1 };
  const missing = units.find((u) => !exists(u));
  if (missing) {
    const unit = `${unitName(missing)}.service`;
    if (verb === 'enable' || verb === 'disable') return fail(`Failed to ${verb} unit: Unit file ${unit} does not exist.`, 1);
    return fail(`Failed to ${verb} ${unit}: Unit ${unit} not found.`, 5);
  }
  const now = hasFlag(args, '--now');
  for (const u of units) {
    const name = unitName(u);
    const s = { ...state(u) };
    if (verb === 'enable') s.enabled = true;
    if (verb === 'disable') s.enabled = false;
    if (verb === 'start' || verb === 'restart' || verb === 'reload' || (verb === 'enable' && now)) s.active = true;
    if (verb === 'stop' || (verb === 'disable' && now)) s.active = false;
    if (verb === 'status') return { stdout: `● ${name}.service\n     Active: ${s.active ? 'active (running)' : 'inactive (dead)'}\n`, exitCode: s.active ? 0 : 3 };
    host.services.set(name, s);
    if (name === 'kubelet' && s.active && verb !== 'enable') onKubeletStart();
  }
  if (!['enable', 'disable', 'start', 'stop', 'restart', 'reload', 'mask', 'unmask'].includes(verb ?? '')) return fail(`Unknown command verb ${verb ?? ''}.`, 1);
  const note = verb === 'enable' ? units.map((u) => `Created symlink /etc/systemd/system/multi-user.target.wants/${unitName(u)}.service → /usr/lib/systemd/system/${unitName(u)}.service.\n`).join('') : '';
  return ok('', { stderr: note });
}

const KNOWN_MODULES = ['overlay', 'br_netfilter', 'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack', 'ip_tables', 'iptable_nat', 'xt_socket', 'vxlan', 'wireguard'];

export function modprobe(host: SimHost, args: string[]): ShimResult {
  for (const m of args.filter((a) => !a.startsWith('-'))) {
    if (!KNOWN_MODULES.includes(m)) return fail(`modprobe: FATAL: Module ${m} not found in directory /lib/modules/6.8.0-1021-aws`, 1);
    host.modules.add(m);
  }
  return ok();
}

export function sysctl(host: SimHost, req: ShimRequest): ShimResult {
  const args = req.args;
  if (hasFlag(args, '--system')) {
    const paths = [...req.files.keys()].filter((p) => p === '/etc/sysctl.conf' || p.startsWith('/etc/sysctl.d/')).sort();
    const out: string[] = [];
    for (const p of paths) {
      out.push(`* Applying ${p} ...`);
      out.push(...host.applySysctlFiles([req.files.get(p)?.toString() ?? '']));
    }
    return ok(`${out.join('\n')}\n`);
  }
  const file = flag(args, '-p', '--load');
  if (file !== undefined || args.includes('-p')) {
    const text = req.files.get(file ?? '/etc/sysctl.conf');
    if (!text) return fail(`sysctl: cannot open "${file ?? '/etc/sysctl.conf'}": No such file or directory`, 255);
    return ok(`${host.applySysctlFiles([text.toString()]).join('\n')}\n`);
  }
  const out: string[] = [];
  for (const a of args.filter((x) => !x.startsWith('-'))) {
    if (a.includes('=')) {
      out.push(...host.applySysctlFiles([a]));
      continue;
    }
    const v = host.sysctl(a);
    if (v === undefined) return fail(`sysctl: cannot stat /proc/sys/${a.replace(/\./g, '/')}: No such file or directory`, 255);
    out.push(hasFlag(args, '-n') ? v : `${a} = ${v}`);
  }
  return ok(out.length ? `${out.join('\n')}\n` : '');
}

/** `gpg --dearmor`: armored key in, binary keyring out (stdout or -o). */
export function gpg(req: ShimRequest): ShimResult {
  const args = req.args;
  if (!hasFlag(args, '--dearmor', '--enarmor') && !args.includes('--dearmour')) return ok();
  const inputFile = args.filter((a) => !a.startsWith('-') && a !== flag(args, '-o', '--output')).pop();
  const input = inputFile ? req.files.get(inputFile.startsWith('/') ? inputFile : `${req.cwd}/${inputFile}`) : req.stdin;
  if (!input || !input.toString().includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) return fail('gpg: no valid OpenPGP data found.', 2);
  const body = Buffer.concat([Buffer.from([0x99, 0x01, 0x0d]), Buffer.from(input.toString().replace(/-----[^-]+-----|\n/g, ''), 'base64')]);
  const out = flag(args, '-o', '--output');
  if (!out || out === '-') return { stdout: body, exitCode: 0 };
  return ok('', { files: [{ path: out.startsWith('/') ? out : `${req.cwd}/${out}`, content: body, mode: '0644' }] });
}

const CONTAINERD_CONFIG = `disabled_plugins = []
imports = []
oom_score = 0
root = "/var/lib/containerd"
state = "/run/containerd"
version = 2

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.8"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"
          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
            SystemdCgroup = false
`;

export function containerTools(host: SimHost, cmd: string, args: string[]): ShimResult {
  if (cmd === 'containerd') {
    if (args[0] === 'config' && args[1] === 'default') return ok(CONTAINERD_CONFIG);
    if (hasFlag(args, '--version', '-v')) return ok('containerd github.com/containerd/containerd 1.7.24\n');
    return fail(`containerd: unknown command "${args.join(' ')}"`);
  }
  if (!host.serviceActive('containerd')) {
    return fail(`${cmd === 'ctr' ? 'ctr: failed to dial "/run/containerd/containerd.sock"' : 'validate service connection: validate CRI v1 runtime API for endpoint "unix:///run/containerd/containerd.sock"'}: connection error: desc = "transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: no such file or directory"`);
  }
  if (args[0] === 'version' || hasFlag(args, '--version')) return ok(`${cmd} version 1.7.24\n`);
  return ok(cmd === 'crictl' ? 'CONTAINER           IMAGE               CREATED             STATE               NAME\n' : '');
}

export function hostnamectl(host: SimHost, args: string[]): ShimResult {
  if (args[0] === 'set-hostname' && args[1]) {
    host.hostname = args[1];
    return ok('', { files: [{ path: '/etc/hostname', content: `${args[1]}\n` }] });
  }
  return ok(` Static hostname: ${host.hostname}\n Operating System: Ubuntu 24.04.1 LTS\n           Kernel: Linux 6.8.0-1021-aws\n     Architecture: x86-64\n`);
}
