/**
 * Host scripts never touch the machine the simulator runs on: a script that writes to
 * /etc and /var/lib, truncates /etc/machine-id and appends to /etc/fstab changes only its
 * host's own root, under each sandbox. CI (as root) requires both sandboxes to work.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostSandbox } from '../../local/sim/hosts/sandbox';
import { useHostSandbox } from '../helpers/host-sandbox';
import { type Sim, launch, network, runScript, startSim, stopSim } from './ssm-helpers';

/** What the canary touches, as this machine has it: contents (hashed), or absent; the device nodes' modes. */
function machineState(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const path of ['/etc/machine-id', '/etc/fstab', '/etc/hopper-canary', '/var/lib/canary', '/etc/hostname']) {
    out[path] = existsSync(path) ? `${statSync(path).size}:${createHash('sha256').update(readFileSync(path)).digest('hex')}` : 'absent';
  }
  for (const device of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) {
    const path = `/dev/${device}`;
    out[path] = existsSync(path) ? `mode ${(statSync(path).mode & 0o7777).toString(8)}` : 'absent';
  }
  return out;
}

const CANARY = [
  'set -e',
  'echo canary > /etc/hopper-canary',
  'mkdir -p /var/lib && echo canary > /var/lib/canary',
  ': > /etc/machine-id',
  'echo "/dev/canary /canary ext4 defaults 0 0" >> /etc/fstab',
  // A device written to (curl's output thrown away) keeps this machine's mode on it: apt, as
  // _apt, cannot verify a signature once /dev/null is not writable to all.
  'curl -s -o /dev/null http://169.254.169.254/latest/meta-data/instance-id || true',
  'echo "host=$(hostname) uid=$(id -u)"',
];

/** A simulator with one running, SSM-online instance for the suite. */
function useSimulatedHost(): { sim: Sim; instanceId: string } {
  const host = {} as { sim: Sim; instanceId: string };
  beforeAll(async () => {
    host.sim = await startSim();
    host.instanceId = await launch(host.sim, await network(host.sim));
  });
  afterAll(() => stopSim(host.sim));
  return host;
}

async function hostRoot({ sim, instanceId }: { sim: Sim; instanceId: string }): Promise<string> {
  const body = (await (await fetch(`${sim.server.url}/_sim/hosts`)).json()) as { hosts: Array<{ instanceId: string; rootDir: string }> };
  const host = body.hosts.find((h) => h.instanceId === instanceId);
  if (!host) throw new Error(`no host ${instanceId}`);
  return host.rootDir;
}

describe.each(['bwrap', 'unshare'] as const)('host scripts under %s', (kind) => {
  const sandbox = hostSandbox(kind);
  if (!sandbox.kind) {
    if (process.env.CI) {
      it(`finds ${kind} working (required in CI)`, () => expect.fail(sandbox.description));
    } else {
      console.warn(`NOTE: ${kind} does not work here, its host-sandbox tests are skipped: ${sandbox.description}`);
      it.skip(`runs host scripts under ${kind} (skipped: ${sandbox.description})`, () => {});
    }
    return;
  }

  useHostSandbox(kind);
  const host = useSimulatedHost();

  it('leaves this machine exactly as it was, and changes only the host’s own root', async () => {
    const before = machineState();
    const inv = await runScript(host.sim, host.instanceId, CANARY);
    expect(inv.Status, inv.StandardErrorContent).toBe('Success');
    expect(inv.StandardOutputContent).toMatch(/^host=ip-10-0-\d+-\d+ uid=0$/m);
    expect(machineState()).toEqual(before);

    const root = await hostRoot(host);
    expect(readFileSync(join(root, 'etc/hopper-canary'), 'utf8')).toBe('canary\n');
    expect(readFileSync(join(root, 'var/lib/canary'), 'utf8')).toBe('canary\n');
    expect(readFileSync(join(root, 'etc/machine-id'), 'utf8')).toBe('');
    expect(readFileSync(join(root, 'etc/fstab'), 'utf8')).toMatch(/\/dev\/canary \/canary ext4/);
  });

  if (kind === 'unshare') {
    it('keeps this machine\'s device nodes out of reach: a chmod in the sandbox changes no mode here', async () => {
      const before = machineState();
      const inv = await runScript(host.sim, host.instanceId, ['chmod 600 /dev/null /dev/zero 2>&1 || true', 'echo written > /dev/null && echo write-ok']);
      expect(inv.StandardOutputContent).toContain('Read-only file system');
      expect(inv.StandardOutputContent).toContain('write-ok');
      expect(machineState()).toEqual(before);
    });
  }

  it('gives the script no way out: /usr read-only, no capabilities, its own process tree', async () => {
    const inv = await runScript(host.sim, host.instanceId, [
      'touch /usr/hopper-canary 2>/dev/null && echo usr-writable || echo usr-read-only',
      'mkdir -p /mnt/x && { mount -t tmpfs none /mnt/x 2>/dev/null && echo mounted || echo mount-refused; }',
      'grep ^CapEff: /proc/self/status',
      'ls /proc | grep -c "^[0-9]"',
      'echo "PATH=$PATH"',
    ]);
    expect(inv.Status, inv.StandardErrorContent).toBe('Success');
    const out = inv.StandardOutputContent ?? '';
    expect(out).toContain('usr-read-only');
    expect(out).toContain('mount-refused');
    expect(out).toMatch(/^CapEff:\s+0+$/m);
    // bash, ls, grep and the sandbox's own init at most: none of this machine's processes.
    expect(Number(out.split('\n')[3])).toBeLessThan(8);
    expect(out).toMatch(/^PATH=\/\.hopper-sim\/bin:/m);
    expect(existsSync('/usr/hopper-canary')).toBe(false);
  });
});

describe('host scripts without a sandbox', () => {
  useHostSandbox('none');
  const host = useSimulatedHost();

  it('fails the invocation saying what is missing and how to get it, and runs nothing', async () => {
    const before = machineState();
    const inv = await runScript(host.sim, host.instanceId, CANARY);
    expect(inv.Status).toBe('Failed');
    expect(inv.StandardErrorContent).toMatch(/no sandbox for host scripts/);
    expect(inv.StandardErrorContent).toMatch(/apt-get install bubblewrap/);
    expect(machineState()).toEqual(before);
    expect(existsSync(join(await hostRoot(host), 'etc/hopper-canary'))).toBe(false);
  });
});
