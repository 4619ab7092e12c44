/**
 * When one branch of a Parallel (or one iteration of a Map) fails, AWS fails the state at
 * once and starts no new state in the others: a Lambda already running finishes, nothing
 * after it runs, and a retry that was waiting does not fire. The embedded runner must do
 * the same, or a failed create keeps creating beside the delete that follows it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LambdaInvoker } from '../../local/runtime/lambda';
import { stateMachineArn } from '../../local/runtime/serverless-config';
import { StepFunctionsRuntime } from '../../local/runtime/sfn-runner';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Functions by name, each recording its calls; `fail` throws, `slow` takes 300 ms. */
function invoker(calls: string[]): LambdaInvoker {
  return {
    region: 'us-east-1',
    get: () => undefined,
    async invoke(name, event) {
      const label = (event as { label?: string } | undefined)?.label ?? name;
      calls.push(`start ${label}`);
      if (name === 'fail') {
        await sleep(30);
        const error = new Error('boom');
        error.name = 'StepFailedError';
        throw error;
      }
      if (name === 'busy') throw Object.assign(new Error('not yet'), { name: 'NotReadyError' });
      if (name === 'slow') await sleep(300);
      calls.push(`end ${label}`);
      return {};
    },
  };
}

const task = (fn: string, extra: Record<string, unknown> = {}) => ({ Type: 'Task', Resource: fn, ...extra });

async function run(definition: Record<string, unknown>, calls: string[]) {
  const runtime = await StepFunctionsRuntime.create({
    region: 'us-east-1',
    stateMachines: { m: { key: 'm', id: 'M', name: 'm', definition } },
    lambda: invoker(calls),
  });
  const started = runtime.start(stateMachineArn('us-east-1', 'm'), 'x', '{}');
  const closed = await runtime.waitFor(started.executionArn);
  // Long enough for anything the failed branches would still start (slow takes 300 ms).
  await sleep(700);
  return closed;
}

let calls: string[] = [];
afterEach(() => {
  calls = [];
});

describe('a failed branch stops its siblings, as in AWS', () => {
  it('Parallel: the running Lambda of another branch finishes, and nothing after it starts', async () => {
    const closed = await run(
      {
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            End: true,
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed', ResultPath: '$.failure' }],
            Branches: [
              { StartAt: 'Fails', States: { Fails: task('fail', { End: true }) } },
              {
                StartAt: 'Slow',
                States: { Slow: task('slow', { Parameters: { label: 'slow' }, Next: 'After' }), After: task('ok', { Parameters: { label: 'after' }, End: true }) },
              },
            ],
          },
          Failed: task('ok', { Parameters: { label: 'failure path' }, Next: 'Stop' }),
          Stop: { Type: 'Fail', Error: 'Failed' },
        },
      },
      calls,
    );
    expect(closed.status).toBe('FAILED');
    expect(calls).toContain('end slow'); // the Lambda already running finished
    expect(calls).toContain('start failure path'); // the Catch was taken without waiting for it
    expect(calls).not.toContain('start after');
  });

  it('Parallel: a retry that was waiting in another branch does not fire', async () => {
    await run(
      {
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            End: true,
            Branches: [
              { StartAt: 'Fails', States: { Fails: task('fail', { Next: 'Never' }), Never: { Type: 'Succeed' } } },
              {
                StartAt: 'Poll',
                States: { Poll: task('busy', { Parameters: { label: 'poll' }, End: true, Retry: [{ ErrorEquals: ['NotReadyError'], IntervalSeconds: 0.2, MaxAttempts: 5 }] }) },
              },
            ],
          },
        },
      },
      calls,
    );
    expect(calls.filter((c) => c === 'start poll')).toHaveLength(1);
  });

  it('Map: once an iteration fails, the iterations still queued never start', async () => {
    const closed = await run(
      {
        StartAt: 'Init',
        States: {
          Init: { Type: 'Pass', Result: [{ fn: 'slow', label: 'item 0' }, { fn: 'fail', label: 'item 1' }, { fn: 'ok', label: 'item 2' }, { fn: 'ok', label: 'item 3' }], Next: 'Each' },
          Each: {
            Type: 'Map',
            MaxConcurrency: 2,
            End: true,
            ItemProcessor: {
              StartAt: 'Choose',
              States: {
                Choose: {
                  Type: 'Choice',
                  Choices: [
                    { Variable: '$.fn', StringEquals: 'fail', Next: 'Fail' },
                    { Variable: '$.fn', StringEquals: 'slow', Next: 'Slow' },
                  ],
                  Default: 'Ok',
                },
                Fail: task('fail', { End: true }),
                Slow: task('slow', { Next: 'AfterSlow' }),
                AfterSlow: task('ok', { Parameters: { label: 'after item 0' }, End: true }),
                Ok: task('ok', { End: true }),
              },
            },
          },
        },
      },
      calls,
    );
    expect(closed.status).toBe('FAILED');
    expect(calls).toContain('end item 0');
    expect(calls).not.toContain('start after item 0');
    expect(calls.filter((c) => c.startsWith('start item 2') || c.startsWith('start item 3'))).toEqual([]);
  });

  it('StopExecution: a retry that was waiting does not fire', async () => {
    const runtime = await StepFunctionsRuntime.create({
      region: 'us-east-1',
      stateMachines: {
        m: {
          key: 'm', id: 'M', name: 'm',
          definition: { StartAt: 'Poll', States: { Poll: task('busy', { Parameters: { label: 'poll' }, End: true, Retry: [{ ErrorEquals: ['NotReadyError'], IntervalSeconds: 0.2, MaxAttempts: 5 }] }) } },
        },
      },
      lambda: invoker(calls),
    });
    const started = runtime.start(stateMachineArn('us-east-1', 'm'), 'x', '{}');
    await sleep(50);
    expect(runtime.stop(started.executionArn).status).toBe('ABORTED');
    await sleep(700);
    expect(calls.filter((c) => c === 'start poll')).toHaveLength(1);
  });
});
