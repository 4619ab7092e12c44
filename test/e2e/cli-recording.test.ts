/**
 * What a user sees on a terminal during a create, recorded frame by frame: the CLI (its real
 * code, on a terminal-like stream) against `npm start` at a high time scale, with a Kubernetes
 * version whose image is not baked yet. Stages appear while they run, the network and the
 * image bake side by side; the network is ticked when its work is done, while the bake goes
 * on; what remains is estimated from the critical path; every stage ends ticked. The bytes
 * the CLI wrote are played into a headless terminal (xterm.js): log-update redraws only the
 * lines that change, so each frame is the screen as the user sees it after a write. The
 * recording is kept in test-artifacts/ (not committed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Terminal } from '@xterm/headless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main';
import { ROOT, startHopper, type Hopper } from './harness';

let hopper: Hopper;

beforeAll(async () => {
  hopper = await startHopper({ timeScale: 100 });
}, 60_000);
afterAll(() => hopper?.stop());

const SPINNER = '[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]';

describe('hopper create cluster on a terminal', () => {
  it('shows each stage while it runs, parallel ones together, with what remains, and ends with every stage ticked', async () => {
    const writes: string[] = [];
    const tty = { write: (s: string) => (writes.push(s), true), isTTY: true, columns: 160, rows: 40, on: () => tty, once: () => tty, off: () => tty, removeListener: () => tty };
    const code = await run(['create', 'cluster', '--name', 'rec', '--zones', 'us-east-1a', '--node-count', '1', '--kubernetes-version', '1.33.5', '--yes'], {
      stdout: tty,
      stderr: { write: () => true },
      env: { HOPPER_ENDPOINT: hopper.api, HOPPER_POLL_MS: '100' },
    });
    // The screen after each write (a terminal turns \n into a new line at column 0); each distinct one is a frame.
    const term = new Terminal({ cols: 160, rows: 40, convertEol: true, allowProposedApi: true });
    const frames: string[] = [];
    for (const chunk of writes) {
      await new Promise<void>((resolve) => term.write(chunk, resolve));
      const buffer = term.buffer.active;
      const lines = Array.from({ length: buffer.length }, (_, i) => buffer.getLine(i)?.translateToString(true) ?? '');
      const screen = lines.join('\n').trim();
      if (screen && screen !== frames.at(-1)) frames.push(screen);
    }
    term.dispose();
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(join(ROOT, 'test-artifacts', 'cli-create-recording.txt'), frames.join('\n\n----\n\n'));
    expect(code, frames.at(-1)).toBe(0);

    const line = (frame: string, re: RegExp) => frame.split('\n').some((l) => re.test(l.trimEnd()));
    const running = (stage: string) => new RegExp(`^${SPINNER} ${stage}\\b`);
    // The network and the bake run side by side.
    expect(frames.some((f) => line(f, running('Network')) && line(f, running('Image')))).toBe(true);
    // The control plane starts while the network's NAT gateway still comes up: nothing waits for what it does not need.
    expect(frames.some((f) => line(f, running('Network')) && line(f, running('ControlPlane')))).toBe(true);
    // The bake says what it does, in words.
    expect(frames.some((f) => line(f, new RegExp(`^${SPINNER} Image: .+`)))).toBe(true);
    // What remains, from the latency model's critical path.
    expect(frames.some((f) => line(f, /^ {2}(about \S+ left|finishing) \(the latency model's critical path\)$/))).toBe(true);
    // The last frame: every stage ticked, nothing left to estimate.
    const last = frames.at(-1)!;
    for (const stage of ['Prepare', 'Network', 'Image', 'ControlPlane', 'Nodes', 'Validate']) expect(last, last).toMatch(new RegExp(`^✔ ${stage}\\b`, 'm'));
    expect(last).not.toContain('left');
  }, 180_000);
});
