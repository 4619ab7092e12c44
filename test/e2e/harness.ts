/**
 * End-to-end harness: Hopper as a user runs it. `npm start` is a child process (in its own
 * process group, so the whole npm → sh → tsx → node chain is stopped together), the CLI is
 * `node bin/hopper.mjs`, and everything else is plain HTTP against the two ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A port nothing listens on right now: listen on 0, close, hand the number out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on 127.0.0.1:port (a listen attempt fails). */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Hopper {
  child: ChildProcess;
  pid: number;
  api: string;
  cloud: string;
  port: number;
  cloudPort: number;
  /** Real time from spawn to the "ready" line, and to the first healthy `/healthz`. */
  readyMs: number;
  healthyMs: number;
  /** Everything printed so far (stdout and stderr, interleaved). */
  output(): string;
  exited: Promise<Exit>;
  /** Send a signal to the whole process group (what Ctrl-C in a terminal does). */
  signal(signal: NodeJS.Signals): void;
  /** Whether any process of the group is still alive. */
  groupAlive(): boolean;
  /** SIGINT the group, wait up to `graceMs`, then SIGKILL what is left. Idempotent. */
  stop(graceMs?: number): Promise<Exit>;
}

export interface StartOptions {
  timeScale?: number;
  dataDir?: string;
  /** The command to run; `npm start` by default. */
  command?: string[];
  env?: Record<string, string>;
  /** How long to wait for `/healthz`. */
  timeoutMs?: number;
}

const live = new Set<Hopper>();
// A crashed test run must not leave control planes behind.
process.once('exit', () => {
  for (const h of live) if (h.groupAlive()) killGroup(h.pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The environment of a child: the test's own, minus anything that would point Hopper elsewhere. */
export function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('AWS_ENDPOINT_URL') || name === 'HOPPER_CLOUD' || name === 'HOPPER_DATA_DIR' || name === 'HOPPER_TABLE' || name === 'VITEST_WORKER_ID') delete env[name];
  }
  delete env.NODE_OPTIONS;
  env.NO_COLOR = '1';
  env.FORCE_COLOR = '0';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * Start `npm start` on free ports and wait until it is ready and `/healthz` answers. A port
 * found free can be taken by another process before the child binds it (tests run side by
 * side): on EADDRINUSE the start is tried again on other ports.
 */
export async function startHopper(options: StartOptions = {}): Promise<Hopper> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startHopperOnce(options);
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String((error as Error).message))) throw error;
    }
  }
}

async function startHopperOnce(options: StartOptions): Promise<Hopper> {
  const port = await freePort();
  const cloudPort = await freePort();
  const env = childEnv({
    PORT: String(port),
    HOPPER_CLOUD_PORT: String(cloudPort),
    HOPPER_TIME_SCALE: String(options.timeScale ?? 400),
    HOPPER_SCHEDULES: 'off',
    HOPPER_DATA_DIR: options.dataDir,
    ...options.env,
  });
  const [cmd, ...args] = options.command ?? ['npm', 'start'];
  const started = Date.now();
  const child = spawn(cmd, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid!;
  let out = '';
  let readyAt: number | undefined;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (readyAt === undefined && /ready in \d+ ms/.test(out)) readyAt = Date.now();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let exit: Exit | undefined;
  void exited.then((e) => (exit = e));

  const api = `http://127.0.0.1:${port}`;
  const cloud = `http://127.0.0.1:${cloudPort}`;
  const groupAlive = () => killGroup(pid, 0);
  let stopping: Promise<Exit> | undefined;
  const hopper: Hopper = {
    child,
    pid,
    api,
    cloud,
    port,
    cloudPort,
    readyMs: 0,
    healthyMs: 0,
    output: () => out,
    exited,
    signal: (signal) => void killGroup(pid, signal),
    groupAlive,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        killGroup(pid, 'SIGINT');
        const deadline = Date.now() + graceMs;
        while (groupAlive() && Date.now() < deadline) await sleep(50);
        if (groupAlive()) killGroup(pid, 'SIGKILL');
        const e = await exited;
        live.delete(hopper);
        return e;
      })();
      return stopping;
    },
  };
  live.add(hopper);

  const deadline = started + (options.timeoutMs ?? 45_000);
  try {
    for (;;) {
      if (exit) throw new Error(`npm start exited early (${exit.code ?? exit.signal}):\n${out}`);
      if (Date.now() > deadline) throw new Error(`npm start not healthy after ${options.timeoutMs ?? 45_000} ms:\n${out}`);
      const ok = await fetch(`${api}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await sleep(50);
    }
    hopper.healthyMs = Date.now() - started;
    while (readyAt === undefined && Date.now() < deadline) await sleep(20);
    hopper.readyMs = (readyAt ?? Date.now()) - started;
    return hopper;
  } catch (error) {
    await hopper.stop(2000);
    throw error;
  }
}

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
  /** stdout and stderr, for failure messages. */
  all: string;
}

/** Run `hopper …` (bin/hopper.mjs) against `endpoint`; never throws on a non-zero exit. */
export function hopperCli(endpoint: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/hopper.mjs', ...args], {
      cwd: ROOT,
      env: childEnv({ HOPPER_ENDPOINT: endpoint, HOPPER_POLL_MS: '150', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let all = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => ((stdout += c), (all += c)));
    child.stderr.setEncoding('utf8').on('data', (c: string) => ((stderr += c), (all += c)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hopper ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${all}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, all });
    });
  });
}

export type SimResource = { id: string; tags?: Record<string, string>; state?: string | { name?: string }; [k: string]: unknown };

export async function simResources(cloud: string, kind?: string): Promise<Record<string, SimResource[]>> {
  const res = await fetch(`${cloud}/_sim/resources${kind ? `?kind=${kind}` : ''}`);
  if (!res.ok) throw new Error(`/_sim/resources: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, SimResource[]>;
}

function isGone(r: SimResource): boolean {
  const state = typeof r.state === 'string' ? r.state : r.state?.name;
  return state === 'terminated' || state === 'deleted' || state === 'deregistered' || state === 'shutting-down';
}

/** Live resources tagged `kubernetes.io/cluster/<cluster>`, by kind (terminated instances, deleted NAT gateways left out). */
export async function clusterResources(cloud: string, cluster: string): Promise<Record<string, SimResource[]>> {
  const out: Record<string, SimResource[]> = {};
  for (const [kind, list] of Object.entries(await simResources(cloud))) {
    if (!Array.isArray(list)) continue;
    const mine = list.filter((r) => r.tags?.[`kubernetes.io/cluster/${cluster}`] !== undefined && !isGone(r));
    if (mine.length > 0) out[kind] = mine;
  }
  return out;
}

export interface KubeNode {
  name: string;
  role?: string;
  ready?: boolean;
  instanceId?: string;
  kubeletVersion?: string;
  unschedulable?: boolean;
}

/** The nodes of the simulated Kubernetes cluster named `cluster`. */
export async function kubeNodes(cloud: string, cluster: string): Promise<KubeNode[]> {
  const body = (await (await fetch(`${cloud}/_sim/kubernetes`)).json()) as { clusters: Array<{ clusterName?: string; nodes: KubeNode[] }> };
  return body.clusters.filter((c) => c.clusterName === cluster).flatMap((c) => c.nodes);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
