/**
 * One simulated machine: a small root filesystem in its own directory under the
 * simulator's data directory, the system state the shims change (packages, services,
 * kernel modules, sysctls), and the scripts it runs (user data at boot, SSM commands),
 * always inside the host sandbox (`sandbox.ts`), never on this machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KubeHost } from '../kube/host';
import { type HostLayout, type HostSandbox, prepareHost, sandboxCommand } from './sandbox';

/** What survives into an image made from the host (CreateImage) besides its files. */
export interface HostSystemState {
  packages: Record<string, string>;
  held: string[];
  enabledServices: string[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const OS_RELEASE = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION="24.04.1 LTS (Noble Numbat)"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=noble\n';

export class SimHost implements KubeHost {
  /** The host's `/`, as its scripts see it. */
  readonly rootDir: string;
  private readonly layout: HostLayout;
  packages: Record<string, string> = {};
  held = new Set<string>();
  /** service → enabled/active. */
  services = new Map<string, { enabled: boolean; active: boolean }>();
  modules = new Set<string>();
  sysctls = new Map<string, string>([['net.ipv4.ip_forward', '0']]);
  /** Repositories `apt-get update` has indexed (kubernetes minor as `k8s:1.31`, `docker`). */
  aptIndexed = new Set<string>();
  /** IMDSv2 tokens → expiry (simulated ms). */
  imdsTokens = new Map<string, number>();
  ssmOnline = false;
  /** Mount point (as the host sees it) → the EBS volume mounted there (`volumes.ts`). */
  mounts = new Map<string, string>();
  private readonly running = new Set<ChildProcess>();

  /**
   * `hostDir` is the host's own directory (made here, removed by `destroy`); `shimDir`
   * is mounted read-only into every sandbox; `sandbox` is the one probed at start.
   */
  constructor(
    readonly instanceId: string,
    readonly availabilityZone: string,
    readonly internalIp: string,
    public hostname: string,
    private readonly hostDir: string,
    private readonly shimDir: string,
    private readonly sandbox: HostSandbox,
    image?: { dir: string; system: HostSystemState },
  ) {
    rmSync(hostDir, { recursive: true, force: true });
    if (image) {
      cpSync(image.dir, join(hostDir, 'root'), { recursive: true, verbatimSymlinks: true });
      this.packages = { ...image.system.packages };
      this.held = new Set(image.system.held);
      for (const s of image.system.enabledServices) this.services.set(s, { enabled: true, active: false });
    }
    this.layout = prepareHost(hostDir, shimDir);
    this.rootDir = this.layout.rootDir;
    this.seed();
  }

  /** The files a fresh Ubuntu root has and scripts rely on. */
  private seed(): void {
    const put = (path: string, content: string) => {
      const p = join(this.rootDir, path);
      mkdirSync(dirname(p), { recursive: true });
      if (!existsSync(p)) writeFileSync(p, content);
    };
    put('etc/os-release', OS_RELEASE);
    put('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
    put('etc/group', 'root:x:0:\nnogroup:x:65534:\n');
    put('etc/hosts', `127.0.0.1 localhost\n${this.internalIp} ${this.hostname}\n`);
    // Ubuntu's cloud images mount the root by label; scripts (swap off) edit this file.
    put('etc/fstab', 'LABEL=cloudimg-rootfs\t/\t ext4\tdiscard,commit=30,errors=remount-ro\t0 1\nLABEL=UEFI\t/boot/efi\tvfat\tumask=0077\t0 1\n');
    put('etc/resolv.conf', 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch ec2.internal\n');
    writeFileSync(join(this.rootDir, 'etc/hostname'), `${this.hostname}\n`);
    // /usr/bin/awk and friends are symlinks through /etc/alternatives: the host's own /etc needs them.
    if (!existsSync(join(this.rootDir, 'etc/alternatives'))) {
      try {
        cpSync('/etc/alternatives', join(this.rootDir, 'etc/alternatives'), { recursive: true, verbatimSymlinks: true });
      } catch {
        mkdirSync(join(this.rootDir, 'etc/alternatives'), { recursive: true });
      }
    }
    for (const d of ['etc/apt/keyrings', 'etc/apt/sources.list.d', 'etc/sysctl.d', 'etc/modules-load.d', 'var/lib/cloud/instance/scripts', 'var/log', 'run/systemd', 'opt']) {
      mkdirSync(join(this.rootDir, d), { recursive: true });
    }
  }

  /** Boot: kernel modules and sysctls from their config dirs, enabled services start. */
  boot(): void {
    for (const f of this.listDir('etc/modules-load.d')) {
      for (const line of this.read(`etc/modules-load.d/${f}`).split('\n')) if (line.trim() && !line.startsWith('#')) this.modules.add(line.trim());
    }
    this.applySysctlFiles(['etc/sysctl.conf', ...this.listDir('etc/sysctl.d').map((f) => `etc/sysctl.d/${f}`)].map((p) => this.read(p)));
    for (const s of this.services.values()) if (s.enabled) s.active = true;
  }

  /** Applies sysctl.conf-format texts; returns the `key = value` lines applied. */
  applySysctlFiles(texts: string[]): string[] {
    const applied: string[] = [];
    for (const text of texts) {
      for (const raw of text.split('\n')) {
        const line = raw.trim();
        if (!line || line.startsWith('#') || line.startsWith(';') || !line.includes('=')) continue;
        const [k, v] = line.split('=').map((s) => s.trim());
        // bridge-nf-call-* exist only once br_netfilter is loaded, as on a real kernel.
        if (k.startsWith('net.bridge.') && !this.modules.has('br_netfilter')) continue;
        this.sysctls.set(k, v);
        applied.push(`${k} = ${v}`);
      }
    }
    return applied;
  }

  packageVersion(name: string): string | undefined {
    return this.packages[name];
  }

  serviceActive(name: string): boolean {
    return this.services.get(name)?.active ?? false;
  }

  sysctl(key: string): string | undefined {
    return this.sysctls.get(key);
  }

  /** Writes a file under the host root, making its directories. */
  write(path: string, content: string): void {
    const file = join(this.rootDir, path.replace(/^\//, ''));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content, { mode: 0o600 });
  }

  /** Reads a file under the host root ('' when missing). */
  read(path: string): string {
    try {
      return readFileSync(join(this.rootDir, path.replace(/^\//, '')), 'utf8');
    } catch {
      return '';
    }
  }

  private listDir(path: string): string[] {
    try {
      return readdirSync(join(this.rootDir, path)).sort();
    } catch {
      return [];
    }
  }

  /**
   * Runs a script file (path as the host sees it) under bash in the sandbox.
   * `timeoutMs` (real) kills it like the SSM agent's execution timeout. Without a
   * sandbox the script fails with what is missing, and nothing runs.
   */
  run(scriptPath: string, scriptText: string, env: Record<string, string>, timeoutMs?: number): Promise<RunResult> {
    if (!this.sandbox.kind) return Promise.resolve({ stdout: '', stderr: `hopper-sim: ${this.sandbox.unavailable}\n`, exitCode: 126 });
    const file = join(this.rootDir, scriptPath.replace(/^\//, ''));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, scriptText, { mode: 0o700 });
    const cmd = sandboxCommand(this.sandbox, { layout: this.layout, shimDir: this.shimDir, hostname: this.hostname, env, script: scriptPath });
    return new Promise((resolve) => {
      const child = spawn(cmd.file, cmd.args, { env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      this.running.add(child);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      const timer = timeoutMs ? setTimeout(() => this.kill(child), timeoutMs) : undefined;
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        this.running.delete(child);
        resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exitCode: code ?? (signal ? 128 + 9 : 1) });
      });
      child.on('error', (e) => {
        this.running.delete(child);
        resolve({ stdout: '', stderr: String(e), exitCode: 127 });
      });
    });
  }

  private kill(child: ChildProcess): void {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  /** The machine is gone: stop what runs on it and remove its disk. */
  destroy(): void {
    for (const c of this.running) this.kill(c);
    this.running.clear();
    rmSync(this.hostDir, { recursive: true, force: true });
  }

  /** Copies the disk and system state for an image (CreateImage). */
  capture(intoDir: string): HostSystemState {
    cpSync(this.rootDir, intoDir, { recursive: true, verbatimSymlinks: true });
    return {
      packages: { ...this.packages },
      held: [...this.held],
      enabledServices: [...this.services].filter(([, s]) => s.enabled).map(([n]) => n),
    };
  }
}
