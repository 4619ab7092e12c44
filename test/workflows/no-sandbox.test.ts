/**
 * Where no host sandbox can be made, a create fails readably at its first host step (the
 * image bake's package install) and nothing is written outside the data directory.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';
import { useHostSandbox } from '../helpers/host-sandbox';
import { createAndWait } from './world';

/** Every path under `dirs` with its size and modification time (what a script would change). */
function listing(dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      try {
        const st = statSync(path, { throwIfNoEntry: false });
        if (!st) continue;
        out.push(`${path} ${st.size} ${st.mtimeMs}`);
        if (st.isDirectory() && !st.isSymbolicLink()) walk(path);
      } catch {
        // Unreadable: not ours to compare.
      }
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

const WATCHED = ['/etc', '/var/lib', '/opt'];

describe('a create without a host sandbox', () => {
  useHostSandbox('none');
  let cp: TestControlPlane;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hopper-no-sandbox-'));
    cp = await startTestControlPlane({ timeScale: 400, dataDir });
  });
  afterAll(async () => {
    await cp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails at the first host step saying what is missing, releases the lock, and leaves this machine as it was', async () => {
    const before = listing(WATCHED);
    const op = await createAndWait(cp, { name: 'nosandbox', region: 'us-east-1', zones: ['us-east-1a'], topology: 'public' });
    expect(op.status).toBe('Failed');
    expect(op.error?.step).toBe('Image');
    expect(op.error?.message).toMatch(/InstallPackages/);
    expect(op.error?.message).toMatch(/no sandbox for host scripts: HOPPER_HOST_SANDBOX=none/);
    const cluster = await cp.request<{ status: string; lock?: unknown }>('GET', '/v1/clusters/nosandbox');
    expect(cluster.body.lock).toBeUndefined();
    expect(listing(WATCHED)).toEqual(before);
  }, 180_000);
});
