/**
 * The hosts of one simulator: a host per running instance (booted from its image's
 * captured disk when the image was made from a host), its user data run at boot, SSM
 * registration after the latency model's `ssm.online`, shim calls, and image capture.
 */
import { awsNodeError } from '../kube/aws-node';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SimState } from '../core/state';
import type { SimInstance } from '../core/types';
import { type KubeFaults, KubeRegistry } from '../kube/registry';
import { ETCD_MARKER } from '../kube/etcd';
import { execOnHost } from './exec';
import { type HostSystemState, type RunResult, SimHost } from './host';
import { parseShimRequest, renderShimResult } from './protocol';
import { type HostSandbox, hostSandbox } from './sandbox';
import { writeShimDir } from './shims';
import { unmount, unmountAll } from './volumes';
import type { SimVolume } from '../core/types';
import { existsSync, readFileSync } from 'node:fs';
import { userDataScript } from './userdata';
import { reachesInternet } from '../ec2/egress';
import { balancerForwards } from '../elbv2/forwarding';
import { portOpened } from '../core/instance-ports';

/** How often an agent without a way out tries to register again (simulated seconds). */
const AGENT_RETRY_SECONDS = 2;

export class HostManager {
  readonly hosts = new Map<string, SimHost>();
  readonly kube: KubeRegistry;
  /** Images captured from hosts: image id → disk copy and system state. */
  readonly images = new Map<string, { dir: string; system: HostSystemState }>();
  /** Boot results of user data, for inspection. */
  readonly userData = new Map<string, RunResult | 'running'>();
  /** Scripts run on hosts and the real time they took, for benchmarks (user data includes its waits for join data). */
  readonly scripts = { runCommand: { count: 0, realMs: 0 }, userData: { count: 0, realMs: 0 } };
  /** Under the simulator's data directory: each host's root, captured images, the shims. */
  private readonly hostsDir: string;
  private readonly imagesDir: string;
  private readonly shimDir: string;
  /** How host scripts run here (probed once per process). */
  readonly sandbox: HostSandbox;

  constructor(
    readonly state: SimState,
    readonly endpoint: string,
    dataDir: string,
    sandbox: HostSandbox = hostSandbox(),
  ) {
    this.sandbox = sandbox;
    this.hostsDir = join(dataDir, 'hosts');
    this.imagesDir = join(dataDir, 'images');
    // Hosts and captured disks do not outlive the simulator process: leftovers of an earlier run go.
    for (const d of [this.hostsDir, this.imagesDir]) {
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d, { recursive: true });
    }
    this.shimDir = writeShimDir(join(dataDir, 'shims', 'bin'));
    this.kube = new KubeRegistry({
      now: () => state.clock.now(),
      hex: (n) => state.rng.hex(n),
      readyDelaySeconds: () => state.latency.sample('node.ready'),
      after: (s, fn) => {
        state.clock.after(s, fn);
      },
      sleep: (s) => state.clock.sleep(s),
      latency: (k) => state.latency.sample(k),
      faults: () => state.faults.state.hosts as KubeFaults,
      awsNodeError: (instanceId, clusterName) => awsNodeError(state, instanceId, clusterName),
      vpcOf: (instanceId) => state.instances.get(instanceId)?.vpcId,
      holdsEtcdData: (id, dataDir) => this.holdsEtcdData(id, dataDir),
      endpointForwards: (endpoint) => {
        const m = /^(.*):(\d+)$/.exec(endpoint);
        return m ? balancerForwards(state, m[1], Number(m[2])) ?? true : true;
      },
      portOpened: (instanceId, port) => portOpened(state, instanceId, port),
      reachesInternet: (instanceId) => {
        const inst = state.instances.get(instanceId);
        return inst ? reachesInternet(state, inst) : false;
      },
      readHostFile: (instanceId, path) => {
        const inst = state.instances.get(instanceId);
        const host = this.hosts.get(instanceId);
        if (!host || inst?.state !== 'running' || !state.answers(inst)) return undefined;
        return host.read(path.replace(/^\/+/, ''));
      },
    });
  }

  /** Subscribes to instance lifecycle events; returns the cleanup. */
  start(): () => void {
    const running = (i: SimInstance) => this.onRunning(i);
    const terminated = (i: SimInstance) => this.onGone(i);
    const stopped = (i: SimInstance) => this.onStopped(i);
    const unreachable = (i: SimInstance) => this.onUnreachable(i);
    const reachable = (i: SimInstance) => this.onReachable(i);
    const reset = () => this.clear();
    const detaching = (v: SimVolume) => this.onVolumeDetaching(v);
    const deleted = () => this.kube.dropLostClusters();
    this.state.events.on('volume:detaching', detaching);
    this.state.events.on('volume:deleted', deleted);
    this.state.events.on('instance:running', running);
    this.state.events.on('instance:terminated', terminated);
    this.state.events.on('instance:stopped', stopped);
    this.state.events.on('instance:unreachable', unreachable);
    this.state.events.on('instance:reachable', reachable);
    this.state.events.on('reset', reset);
    return () => {
      this.state.events.off('instance:running', running);
      this.state.events.off('instance:terminated', terminated);
      this.state.events.off('instance:stopped', stopped);
      this.state.events.off('instance:unreachable', unreachable);
      this.state.events.off('instance:reachable', reachable);
      this.state.events.off('reset', reset);
      this.state.events.off('volume:detaching', detaching);
      this.state.events.off('volume:deleted', deleted);
      this.clear();
      rmSync(this.imagesDir, { recursive: true, force: true });
    };
  }

  private clear(): void {
    for (const h of this.hosts.values()) h.destroy();
    this.hosts.clear();
    this.kube.clusters.clear();
    this.kube.members.clear();
  }

  private onRunning(inst: SimInstance): void {
    const existing = this.hosts.get(inst.instanceId);
    if (existing) {
      // Started again after a stop: same disk, user data does not run twice (cloud-init
      // runs it once per instance); the SSM agent registers again after its delay.
      existing.boot();
      this.kube.instanceUp(inst.instanceId);
      this.registerAgent(inst, existing);
      return;
    }
    this.captureMissingImages();
    const image = this.images.get(inst.imageId);
    const shortName = inst.privateDnsName.split('.')[0] || `ip-${inst.privateIpAddress.replace(/\./g, '-')}`;
    const host = new SimHost(inst.instanceId, inst.availabilityZone, inst.privateIpAddress, shortName, join(this.hostsDir, inst.instanceId), this.shimDir, this.sandbox, image);
    this.hosts.set(inst.instanceId, host);
    host.boot();
    const script = userDataScript(inst.userData);
    if (script) {
      this.userData.set(inst.instanceId, 'running');
      void this.timed('userData', host.run('/var/lib/cloud/instance/scripts/part-001', script, this.env(inst.instanceId))).then((r) => this.userData.set(inst.instanceId, r));
    }
    this.registerAgent(inst, host);
  }

  /**
   * The SSM agent registers `ssm.online` after boot — if the instance reaches Systems Manager's
   * endpoint: through an internet gateway with a public address, or a NAT gateway that is
   * available (`reachesInternet`). Without a way out it keeps trying (every few seconds, as
   * the agent's backoff does early on) and registers once the route is there.
   */
  private registerAgent(inst: SimInstance, host: SimHost): void {
    const current = () => this.hosts.get(inst.instanceId) === host && inst.state === 'running' && this.state.answers(inst);
    this.state.clock.after(this.state.latency.sample('ssm.online'), () => {
      if (!current()) return;
      if (reachesInternet(this.state, inst)) {
        host.ssmOnline = true;
        return;
      }
      const retry = this.state.clock.every(AGENT_RETRY_SECONDS, () => {
        if (!current()) return retry.cancel();
        if (!reachesInternet(this.state, inst)) return;
        host.ssmOnline = true;
        retry.cancel();
      });
    });
  }

  /** Failed checks or an impaired zone: the agent and the kubelet fall silent; the disk stays. */
  private onUnreachable(inst: SimInstance): void {
    const host = this.hosts.get(inst.instanceId);
    if (host) host.ssmOnline = false;
    this.kube.instanceDown(inst.instanceId);
  }

  private onReachable(inst: SimInstance): void {
    const host = this.hosts.get(inst.instanceId);
    if (!host) return;
    this.kube.instanceUp(inst.instanceId);
    this.registerAgent(inst, host);
  }

  /** A stopped instance keeps its disk (an EBS root): CreateImage and a later start need it. */
  private onStopped(inst: SimInstance): void {
    const host = this.hosts.get(inst.instanceId);
    if (host) host.ssmOnline = false;
    this.kube.instanceDown(inst.instanceId);
  }

  private onGone(inst: SimInstance): void {
    this.captureMissingImages();
    const host = this.hosts.get(inst.instanceId);
    if (!host) return;
    this.hosts.delete(inst.instanceId);
    // What was written to a mounted volume stays on it; the rest of the disk goes.
    unmountAll(this.state, host);
    host.destroy();
    this.kube.instanceGone(inst.instanceId);
    this.kube.dropLostClusters();
  }

  /** A volume leaves its instance: the host lets go of its mount (what was written is on the volume). */
  private onVolumeDetaching(v: SimVolume): void {
    const host = this.hosts.get(v.attachment?.instanceId ?? '');
    const dir = host && [...host.mounts].find(([, id]) => id === v.volumeId)?.[0];
    if (host && dir) unmount(this.state, host, dir);
  }

  /**
   * Whether any disk still holds data of the etcd cluster `id`: the data directory of a live
   * host (its root volume, or a volume mounted there), or a volume not mounted anywhere.
   */
  private holdsEtcdData(id: string, dataDir: string): boolean {
    const names = (text: string) => {
      try {
        return (JSON.parse(text) as { cluster?: string }).cluster === id;
      } catch {
        return false;
      }
    };
    for (const host of this.hosts.values()) {
      const marker = join(host.rootDir, dataDir, ETCD_MARKER);
      if (existsSync(marker) && names(readFileSync(marker, 'utf8'))) return true;
    }
    for (const v of this.state.volumes.values()) {
      for (const [path, content] of Object.entries(v.files)) if (path.endsWith(ETCD_MARKER) && names(Buffer.from(content, 'base64').toString('utf8'))) return true;
    }
    return false;
  }

  /** Environment of every script on the host (how shims find the simulator). */
  env(instanceId: string): Record<string, string> {
    return { HOPPER_SIM_URL: this.endpoint, HOPPER_SIM_INSTANCE: instanceId, HOPPER_SIM_TIME_SCALE: String(this.state.clock.timeScale) };
  }

  /** Runs a script on a host (SSM Run Command), real timeout from simulated seconds. */
  run(instanceId: string, path: string, script: string, timeoutSimSeconds: number): Promise<RunResult> {
    const host = this.hosts.get(instanceId);
    if (!host) return Promise.resolve({ stdout: '', stderr: 'instance is gone\n', exitCode: 1 });
    // The timeout is simulated time, but bash, the shims and their HTTP calls run in real
    // time whatever the scale: never cut a script off sooner than a real minute.
    const timeoutMs = Math.max(this.state.clock.realMs(timeoutSimSeconds), MIN_REAL_TIMEOUT_MS);
    return this.timed('runCommand', host.run(path, script, this.env(instanceId), timeoutMs));
  }

  private async timed(kind: keyof HostManager['scripts'], run: Promise<RunResult>): Promise<RunResult> {
    const started = performance.now();
    try {
      return await run;
    } finally {
      this.scripts[kind].count += 1;
      this.scripts[kind].realMs += performance.now() - started;
    }
  }

  /** Answers a shim's `POST /_sim/hosts/<id>/exec`. */
  async exec(instanceId: string, body: Buffer, contentType: string): Promise<string> {
    const host = this.hosts.get(instanceId);
    const inst = this.state.instances.get(instanceId);
    if (!host || !inst) return renderShimResult({ exitCode: 255, stderr: `no such host ${instanceId}\n` });
    const result = await execOnHost(this.state, this.kube, host, inst, await parseShimRequest(body, contentType), this.endpoint);
    return renderShimResult(result);
  }

  /**
   * CreateImage: copies the host's disk and installed state into the image, so
   * instances launched from it start with the same packages and files.
   */
  captureImage(instanceId: string, imageId: string): boolean {
    const host = this.hosts.get(instanceId);
    if (!host || this.images.has(imageId)) return false;
    const dir = join(this.imagesDir, imageId);
    this.images.set(imageId, { dir, system: host.capture(dir) });
    return true;
  }

  /** Images made from a live host that nobody captured yet (if CreateImage did not call us). */
  private captureMissingImages(): void {
    for (const img of this.state.images.values()) {
      if (img.sourceInstanceId && !this.images.has(img.imageId)) this.captureImage(img.sourceInstanceId, img.imageId);
    }
  }
}

/** The shortest real time a Run Command script gets, at any time scale. */
const MIN_REAL_TIMEOUT_MS = 60_000;

const managers = new WeakMap<SimState, HostManager>();

/** The host manager of a simulator (made by the hosts plugin at start). */
export function hostManager(state: SimState): HostManager | undefined {
  return managers.get(state);
}

export function createHostManager(state: SimState, endpoint: string, dataDir: string): HostManager {
  const m = new HostManager(state, endpoint, dataDir);
  managers.set(state, m);
  return m;
}

/**
 * For the simulator's CreateImage: copy a host's installed state into an image now.
 * Returns false when the instance has no host (not running). Without this call the
 * hosts module captures the image lazily, at the next launch or termination.
 */
export function captureHostImage(state: SimState, instanceId: string, imageId: string): boolean {
  return managers.get(state)?.captureImage(instanceId, imageId) ?? false;
}
