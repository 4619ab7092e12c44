/**
 * `npm start` as a process: it says where everything listens, answers there, and Ctrl-C
 * (SIGINT to its process group, as a terminal sends it) stops every process of it within a
 * few seconds with every port free again.
 */
import { describe, expect, it } from 'vitest';
import { portInUse, sleep, startHopper, type Hopper } from './harness';

/** The five "where it listens" lines of the ready banner. */
function listenLines(hopper: Hopper): Record<string, string> {
  const out = hopper.output();
  const urls: Record<string, string> = {};
  for (const label of ['HTTP API', 'cloud simulator', 'Step Functions', 'EventBridge', 'DynamoDB']) {
    const m = new RegExp(`^\\s*${label}\\s+(http://127\\.0\\.0\\.1:\\d+)\\s*$`, 'm').exec(out);
    if (m) urls[label] = m[1];
  }
  return urls;
}

async function waitGone(hopper: Hopper, ms: number): Promise<number> {
  const started = Date.now();
  while (hopper.groupAlive() && Date.now() - started < ms) await sleep(25);
  return Date.now() - started;
}

describe('npm start', () => {
  it('prints where everything listens, and Ctrl-C stops it all within a few seconds', async () => {
    const hopper = await startHopper();
    try {
      expect(hopper.output()).toMatch(/Hopper embedded control plane ready in \d+ ms/);
      const urls = listenLines(hopper);
      expect(Object.keys(urls), hopper.output()).toHaveLength(5);
      expect(urls['HTTP API']).toBe(hopper.api);
      expect(urls['cloud simulator']).toBe(hopper.cloud);
      // Each printed address answers (any HTTP reply will do).
      for (const [label, url] of Object.entries(urls)) {
        const status = await fetch(url).then((r) => r.status, (e: unknown) => `${label}: ${String(e)}`);
        expect(typeof status, `${label} ${url}`).toBe('number');
      }
      expect((await fetch(`${hopper.cloud}/_sim/health`)).ok).toBe(true);

      hopper.signal('SIGINT');
      const took = await waitGone(hopper, 8000);
      expect(hopper.groupAlive(), `still running ${took} ms after SIGINT:\n${hopper.output()}`).toBe(false);
      expect(took).toBeLessThan(5000);
      const exit = await hopper.exited;
      expect(hopper.output()).toMatch(/SIGINT: stopping/);
      expect(hopper.output()).not.toMatch(/stop failed/);
      // npm itself ends as its script shell did: /bin/sh (dash) dies of the SIGINT the
      // terminal sends to the whole group, and npm re-raises that signal on itself (the
      // usual `npm run` behaviour, exit status 130 in a shell). The control plane's own exit
      // code is checked in the next test.
      expect(exit.code === 0 || exit.signal === 'SIGINT' || exit.code === 130, JSON.stringify(exit)).toBe(true);
      for (const url of Object.values(urls)) {
        const port = Number(new URL(url).port);
        expect(await portInUse(port), `${url} still taken`).toBe(false);
      }
    } finally {
      await hopper.stop();
    }
  }, 60_000);

  it('the control-plane process itself exits 0 on SIGINT and frees its ports', async () => {
    // What `npm start` runs, without npm, sh and the tsx CLI wrapper around it.
    const hopper = await startHopper({ command: [process.execPath, '--import', 'tsx', 'local/start.ts'] });
    try {
      const urls = listenLines(hopper);
      expect(Object.keys(urls)).toHaveLength(5);
      hopper.child.kill('SIGINT');
      const exit = await Promise.race([hopper.exited, sleep(5000).then(() => undefined)]);
      expect(exit, `no exit 5 s after SIGINT:\n${hopper.output()}`).toEqual({ code: 0, signal: null });
      for (const url of Object.values(urls)) expect(await portInUse(Number(new URL(url).port)), url).toBe(false);
    } finally {
      await hopper.stop();
    }
  }, 60_000);
});
