import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main';
import { FakeApi } from './fake-api';

const api = new FakeApi();
let endpoint: string;

beforeAll(async () => {
  endpoint = await api.start();
});
afterAll(() => api.stop());

describe('progress on a terminal', () => {
  it('draws the steps with listr2 and ends with ticks and per-step times', async () => {
    let out = '';
    const tty = { write: (s: string) => ((out += s), true), isTTY: true, columns: 100, rows: 40, on: () => tty, once: () => tty, off: () => tty, removeListener: () => tty };
    // listr2 decides on its renderer from process.stdout itself; pretend for this one run.
    const was = process.stdout.isTTY;
    process.stdout.isTTY = true;
    let code: number;
    try {
      code = await run(['create', 'cluster', '--name', 'demo', '--zones', 'us-east-1a', '--yes'], {
        stdout: tty,
        stderr: { write: () => true },
        env: { HOPPER_ENDPOINT: endpoint, HOPPER_POLL_MS: '5' },
      });
    } finally {
      process.stdout.isTTY = was;
    }
    expect(code).toBe(0);
    // eslint-disable-next-line no-control-regex
    const plain = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    for (const step of ['CreateNetwork', 'BakeImage', 'CreateControlPlane', 'CreateNodes']) {
      expect(plain).toMatch(new RegExp(`✔ ${step} \\(8s\\)`));
    }
    expect(plain).toMatch(/succeeded in 32s/);
  });
});
