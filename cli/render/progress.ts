/**
 * Live progress of a running workflow: poll `GET /v1/operations/{id}` and show each step as it
 * starts and ends. On a terminal, every stage is drawn and redrawn in place, running ones side
 * by side with a spinner (log-update); elsewhere (CI logs, pipes, tests) one plain line per
 * stage change, e.g. `[12s] ✓ CreateNetwork (8s)`.
 */
import { createLogUpdate } from 'log-update';
import type { OperationView, StepView } from '../../shared/api/types';
import type { HopperClient } from '../client';
import { println, type Io } from '../io';
import { Estimates } from './estimate';
import { stageSummary, SUMMARISED_STAGES } from './stage-summary';

const TERMINAL = new Set(['Succeeded', 'Failed', 'Interrupted', 'Skipped']);

export interface FollowOptions {
  pollMs: number;
  /** Redraw in place (a terminal) or print plain lines. */
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
  const summaries = new Summaries(client);
  const estimates = new Estimates(client);
  const snapshots = estimates.attach(summaries.attach(poll(client, initial, options.pollMs)));
  return options.tty ? followTty(snapshots, initial, io, summaries, estimates) : followPlain(snapshots, io, summaries, estimates);
}

/**
 * The summaries of a create's finished stages (`stage-summary.ts`), read from the cluster's
 * inventory once per stage, as it ends. A failed read leaves the stage without one.
 */
class Summaries {
  private readonly byStage = new Map<string, string>();
  private readonly asked = new Set<string>();

  constructor(private readonly client: HopperClient) {}

  get(stage: string): string | undefined {
    return this.byStage.get(stage);
  }

  async *attach(snapshots: AsyncIterable<OperationView>): AsyncGenerator<OperationView> {
    for await (const op of snapshots) {
      const due = op.type === 'create' ? op.steps.filter((s) => s.status === 'Succeeded' && SUMMARISED_STAGES.has(s.name) && !this.asked.has(s.name)) : [];
      if (due.length) {
        for (const s of due) this.asked.add(s.name);
        const view = await this.client.getCluster(op.cluster).catch(() => undefined);
        for (const s of due) {
          const text = view && stageSummary(s.name, view.resources);
          if (text) this.byStage.set(s.name, text);
        }
      }
      yield op;
    }
  }
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

async function followPlain(snapshots: AsyncIterable<OperationView>, io: Io, summaries?: Summaries, estimates?: Estimates): Promise<OperationView> {
  // Keyed by position, not name: a poll loop in the workflow may run the same state twice.
  const printed: string[] = [];
  let last: OperationView | undefined;
  for await (const op of snapshots) {
    last = op;
    op.steps.forEach((step, i) => {
      // A running stage is printed again when it moves on to other work.
      const seen = step.status === 'Running' ? `Running ${step.activity?.text ?? ''}` : step.status;
      if (printed[i] === seen) return;
      printed[i] = seen;
      const eta = isFinished(op) ? undefined : estimates?.text();
      println(io.stdout, `${plainLine(op, step, summaries?.get(step.name))}${eta ? ` — ${eta}` : ''}`);
    });
  }
  return last!;
}

/** One step change: `[12s] ✓ Network: VPC vpc-0ab…, 2 subnets (8s)`; the bracket is time since the operation began. */
export function plainLine(op: OperationView, step: StepView, summary?: string): string {
  const at = step.endedAt ?? (step.status === 'Running' ? step.activity?.since : undefined) ?? step.startedAt;
  const clock = `[${formatDuration(since(op.startedAt, at))}]`;
  const took = step.startedAt && step.endedAt ? ` (${formatDuration(since(step.startedAt, step.endedAt))})` : '';
  switch (step.status) {
    case 'Running':
      return `${clock} ▸ ${step.name}${step.activity ? `: ${step.activity.text}` : ''}`;
    case 'Succeeded':
      return `${clock} ✓ ${step.name}${summary ? `: ${summary}` : ''}${took}`;
    case 'Skipped':
      return `${clock} - ${step.name} (skipped)`;
    default:
      return `${clock} ✗ ${step.name}${took}${step.error ? `: ${stepError(step)}` : ''}`;
  }
}

/** Spinner frames for a running stage (the dots most terminals draw). */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 100;

/**
 * Every stage of the operation, one line each, as it stands at `now`: running stages side by
 * side with a spinner and their time so far, finished ones with their tick and duration —
 * a stage is done when its record says so, whatever runs after it.
 */
export function stageLines(op: OperationView, now: number, frame = 0, summary: (stage: string) => string | undefined = () => undefined): string[] {
  // A stage the record left running stops its clock when the operation ended.
  const until = isFinished(op) && op.endedAt ? Date.parse(op.endedAt) : now;
  return op.steps.map((step) => {
    const took = step.startedAt ? ` (${formatDuration(since(step.startedAt, step.endedAt, until))})` : '';
    switch (step.status) {
      case 'Running':
        return `${isFinished(op) ? '■' : FRAMES[frame % FRAMES.length]} ${step.name}${step.activity ? `: ${step.activity.text}` : ''}${took}`;
      case 'Succeeded': {
        const text = summary(step.name);
        return `✔ ${step.name}${text ? `: ${text}` : ''}${took}`;
      }
      case 'Skipped':
        return `↓ ${step.name} (skipped)`;
      default:
        return `✖ ${step.name}${took}${step.error ? `: ${stepError(step)}` : ''}`;
    }
  });
}

/**
 * On a terminal: the block of stage lines redrawn in place (log-update) at every poll and
 * spinner tick, so parallel stages run side by side; the last frame stays on screen.
 */
async function followTty(snapshots: AsyncIterable<OperationView>, initial: OperationView, io: Io, summaries?: Summaries, estimates?: Estimates): Promise<OperationView> {
  const draw = createLogUpdate(io.stdout as NodeJS.WriteStream);
  let op = initial;
  let frame = 0;
  const render = (): void => {
    const eta = isFinished(op) ? undefined : estimates?.text();
    draw([...stageLines(op, Date.now(), frame, (stage) => summaries?.get(stage)), ...(eta ? [`  ${eta} (the latency model's critical path)`] : [])].join('\n'));
  };
  const spinner = setInterval(() => {
    frame++;
    render();
  }, FRAME_MS);
  try {
    for await (const next of snapshots) {
      op = next;
      render();
    }
  } finally {
    clearInterval(spinner);
    render();
    draw.done();
  }
  return op;
}

/** A step's error as `Code: message` (older replies carried a plain string). */
function stepError(step: StepView): string {
  const e = step.error as StepView['error'] | string | undefined;
  if (!e) return '';
  return typeof e === 'string' ? e : `${e.code}: ${e.message}`;
}

function since(from: string | undefined, to: string | undefined, now = Date.now()): number {
  const start = from ? Date.parse(from) : NaN;
  const end = to ? Date.parse(to) : now;
  return Number.isNaN(start) || Number.isNaN(end) ? 0 : end - start;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
