/**
 * Live progress of a running workflow: poll `GET /v1/operations/{id}` and show each step as it
 * starts and ends. On a terminal, listr2 draws spinners and ticks; elsewhere (CI logs, pipes,
 * tests) one plain line per step change, e.g. `[12s] ✓ CreateNetwork (8s)`.
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { OperationView, StepView } from '../../shared/api/types';
import type { HopperClient } from '../client';
import { println, type Io } from '../io';

const TERMINAL = new Set(['Succeeded', 'Failed', 'Interrupted', 'Skipped']);

export interface FollowOptions {
  pollMs: number;
  /** Draw with listr2 (a terminal) or print plain lines. */
  tty: boolean;
}

/** Whether an operation has finished, one way or the other. */
export function isFinished(op: OperationView): boolean {
  return TERMINAL.has(op.status);
}

/** `8s`, `2m5s`, `1h3m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** Poll until the operation finishes; resolves with its last state. */
export async function followOperation(client: HopperClient, initial: OperationView, io: Io, options: FollowOptions): Promise<OperationView> {
  const snapshots = poll(client, initial, options.pollMs);
  return options.tty ? followTty(snapshots, initial, io) : followPlain(snapshots, io);
}

async function* poll(client: HopperClient, initial: OperationView, pollMs: number): AsyncGenerator<OperationView> {
  let op = initial;
  yield op;
  while (!isFinished(op)) {
    await sleep(pollMs);
    op = await client.getOperation(op.id);
    yield op;
  }
}

async function followPlain(snapshots: AsyncIterable<OperationView>, io: Io): Promise<OperationView> {
  // Keyed by position, not name: a poll loop in the workflow may run the same state twice.
  const printed: string[] = [];
  let last: OperationView | undefined;
  for await (const op of snapshots) {
    last = op;
    op.steps.forEach((step, i) => {
      if (printed[i] === step.status) return;
      printed[i] = step.status;
      println(io.stdout, plainLine(op, step));
    });
  }
  return last!;
}

/** One step change: `[12s] ✓ CreateNetwork (8s)`; the bracket is time since the operation began. */
export function plainLine(op: OperationView, step: StepView): string {
  const at = step.endedAt ?? step.startedAt;
  const clock = `[${formatDuration(since(op.startedAt, at))}]`;
  const took = step.startedAt && step.endedAt ? ` (${formatDuration(since(step.startedAt, step.endedAt))})` : '';
  switch (step.status) {
    case 'Running':
      return `${clock} ▸ ${step.name}`;
    case 'Succeeded':
      return `${clock} ✓ ${step.name}${took}`;
    case 'Skipped':
      return `${clock} - ${step.name} (skipped)`;
    default:
      return `${clock} ✗ ${step.name}${took}${step.error ? `: ${stepError(step)}` : ''}`;
  }
}

/**
 * listr2 fixes its task list when it starts, but workflow steps appear one by one. So each
 * batch of newly seen steps gets its own short-lived Listr (run one after another); a finished
 * Listr leaves its ticks on screen and the next one draws below, which reads as one list.
 */
async function followTty(snapshots: AsyncIterable<OperationView>, initial: OperationView, io: Io): Promise<OperationView> {
  const state: { op: OperationView; done: boolean; error?: unknown } = { op: initial, done: false };
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const notify = (): void => {
    const w = wake;
    changed = new Promise<void>((resolve) => (wake = resolve));
    w();
  };
  const polling = (async () => {
    try {
      for await (const op of snapshots) {
        state.op = op;
        notify();
      }
    } catch (err) {
      state.error = err;
    } finally {
      state.done = true;
      notify();
    }
  })();

  // The slice of listr2's task wrapper used here; its full generic type is renderer-specific.
  const waitStep = async (index: number, task: { title: string; skip(message?: string): void }): Promise<void> => {
    for (;;) {
      const step = state.op.steps[index];
      const took = step.startedAt ? formatDuration(since(step.startedAt, step.endedAt)) : '';
      task.title = took ? `${step.name} (${took})` : step.name;
      if (step.status === 'Succeeded') return;
      if (step.status === 'Skipped') return task.skip(`${step.name} (skipped)`);
      if (step.status === 'Failed') throw new Error(`${step.name}: ${step.error ? stepError(step) : 'failed'}`);
      if (state.done) throw new Error(`${step.name}: operation ${state.op.status}`);
      await changed;
    }
  };

  let shown = 0;
  // Draw on the Io's streams, not process.stdout directly, so `run()` keeps its contract.
  const processOutput = new ProcessOutput(io.stdout as NodeJS.WriteStream, io.stderr as NodeJS.WriteStream);
  for (;;) {
    const count = state.op.steps.length;
    if (count === shown) {
      if (state.done) break;
      await changed;
      continue;
    }
    const indexes = Array.from({ length: count - shown }, (_, i) => shown + i);
    shown = count;
    const list = new Listr(
      indexes.map((i) => ({ title: state.op.steps[i].name, task: (_ctx, task) => waitStep(i, task) })),
      {
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        silentRendererCondition: false,
        renderer: 'default',
        rendererOptions: { logger: new ListrLogger({ useIcons: true, processOutput }) },
        // listr2 falls back when process.stdout is not a TTY; keep that on the Io too.
        fallbackRenderer: 'simple',
        fallbackRendererOptions: { logger: new ListrLogger({ useIcons: true, processOutput }) },
      },
    );
    // A failed step is reported by the caller from the operation's error; listr has drawn it.
    await list.run().catch(() => undefined);
  }
  await polling;
  if (state.error) throw state.error;
  return state.op;
}

/** A step's error as `Code: message` (older replies carried a plain string). */
function stepError(step: StepView): string {
  const e = step.error as StepView['error'] | string | undefined;
  if (!e) return '';
  return typeof e === 'string' ? e : `${e.code}: ${e.message}`;
}

function since(from: string | undefined, to: string | undefined): number {
  const start = from ? Date.parse(from) : NaN;
  const end = to ? Date.parse(to) : Date.now();
  return Number.isNaN(start) || Number.isNaN(end) ? 0 : end - start;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
