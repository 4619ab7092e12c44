import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main';
import { stageLines } from '../../cli/render/progress';
import type { OperationView } from '../../shared/api/types';
import { FakeApi } from './fake-api';

const api = new FakeApi();
let endpoint: string;

beforeAll(async () => {
  endpoint = await api.start();
});
afterAll(() => api.stop());

describe('progress on a terminal', () => {
  it('redraws the stages in place and ends with ticks and per-stage times', async () => {
    let out = '';
    const tty = { write: (s: string) => ((out += s), true), isTTY: true, columns: 100, rows: 40, on: () => tty, once: () => tty, off: () => tty, removeListener: () => tty };
    const code = await run(['create', 'cluster', '--name', 'demo', '--zones', 'us-east-1a', '--yes'], {
      stdout: tty,
      stderr: { write: () => true },
      env: { HOPPER_ENDPOINT: endpoint, HOPPER_POLL_MS: '5' },
    });
    expect(code).toBe(0);
    // Redrawn in place: cursor movement and line erasure, not one line per change.
    expect(out).toContain('\x1b[2K');
    // eslint-disable-next-line no-control-regex
    const plain = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    for (const step of ['CreateNetwork', 'BakeImage', 'CreateControlPlane', 'CreateNodes']) {
      expect(plain).toMatch(new RegExp(`✔ ${step} \\(8s\\)`));
    }
    expect(plain).toMatch(/succeeded in 32s/);
  });
});

describe('the stage lines', () => {
  const at = (s: number) => new Date(Date.parse('2026-12-04T10:00:00Z') + s * 1000).toISOString();
  const op: OperationView = {
    id: 'op-1',
    cluster: 'demo',
    type: 'create',
    status: 'Running',
    startedAt: at(0),
    steps: [
      { name: 'Prepare', status: 'Succeeded', startedAt: at(0), endedAt: at(1) },
      { name: 'Network', status: 'Succeeded', startedAt: at(1), endedAt: at(93) },
      { name: 'Image', status: 'Running', startedAt: at(2) },
    ],
  };

  it('show a stage done when its record says so, and the stages still running beside it with their time so far', () => {
    // Eight minutes in: the network was done after a minute and a half; the bake still runs.
    expect(stageLines(op, Date.parse(at(480)), 4)).toEqual(['✔ Prepare (1s)', '✔ Network (1m32s)', '⠼ Image (7m58s)']);
  });

  it('say what a running stage does now, in words with its ids', () => {
    const busy: OperationView = { ...op, steps: [{ ...op.steps[2], activity: { step: 'InstallPackages', text: 'installing Kubernetes 1.33.5 packages on builder i-0ab12', since: at(60) } }] };
    expect(stageLines(busy, Date.parse(at(130)), 1)).toEqual(['⠙ Image: installing Kubernetes 1.33.5 packages on builder i-0ab12 (2m8s)']);
  });

  it('show two running stages side by side, and a failure with its error', () => {
    const both: OperationView = { ...op, steps: [{ name: 'Network', status: 'Running', startedAt: at(1) }, { name: 'Image', status: 'Running', startedAt: at(2) }] };
    expect(stageLines(both, Date.parse(at(62)), 0)).toEqual(['⠋ Network (1m1s)', '⠋ Image (1m)']);
    const failed: OperationView = { ...op, status: 'Failed', steps: [{ name: 'Image', status: 'Failed', startedAt: at(2), endedAt: at(12), error: { code: 'StepFailedError', message: 'apt-get failed' } }] };
    expect(stageLines(failed, Date.parse(at(62)))).toEqual(['✖ Image (10s): StepFailedError: apt-get failed']);
  });
});
