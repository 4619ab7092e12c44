/**
 * A state machine's TimeoutSeconds counts on the runtime's clock, the clock of execution: the
 * wall clock plus the simulator's jumps. When the clock jumps past an execution's timeout, the
 * execution is TIMED_OUT at once — as it would be in AWS once that much time had passed — and
 * its end is reported like any other, so Hopper's operation-interrupted rule sees it. A slow
 * execution the clock has not jumped over keeps running.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LambdaInvoker } from '../../local/runtime/lambda';
import { stateMachineArn } from '../../local/runtime/serverless-config';
import { StepFunctionsRuntime } from '../../local/runtime/sfn-runner';
import type { ExecutionRecord } from '../../local/runtime/sfn-store';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const noFunctions: LambdaInvoker = {
  region: 'us-east-1',
  get: () => undefined,
  invoke: async () => ({}),
};

let runtime: StepFunctionsRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

/** A machine that waits an hour (a real hour at time scale 1) with a ten-minute timeout, on a clock the test moves. */
async function start(): Promise<{ arn: string; jump: (seconds: number) => void; closed: ExecutionRecord[] }> {
  let jumped = 0;
  const closed: ExecutionRecord[] = [];
  runtime = await StepFunctionsRuntime.create({
    region: 'us-east-1',
    stateMachines: {
      m: { key: 'm', id: 'M', name: 'm', definition: { TimeoutSeconds: 600, StartAt: 'Hour', States: { Hour: { Type: 'Wait', Seconds: 3600, End: true } } } },
    },
    lambda: noFunctions,
    now: () => Date.now() + jumped,
    onClosed: (execution) => closed.push(execution),
  });
  const { executionArn } = runtime.start(stateMachineArn('us-east-1', 'm'), 'op-1', '{}');
  return { arn: executionArn, jump: (seconds) => (jumped += seconds * 1000), closed };
}

describe('TimeoutSeconds on the clock of execution', () => {
  it('times a running execution out when the clock jumps past its timeout, and reports its end', async () => {
    const { arn, jump, closed } = await start();
    jump(601);
    const end = await Promise.race([runtime!.waitFor(arn), sleep(3000).then(() => undefined)]);
    expect(end).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    // Stopped at the jumped time: ten minutes and more after its start.
    expect(end!.stopDate! - end!.startDate).toBeGreaterThanOrEqual(600_000);
    expect(closed.map((e) => [e.name, e.status])).toEqual([['op-1', 'TIMED_OUT']]);
    expect(runtime!.history(arn).at(-1)?.type).toBe('ExecutionTimedOut');
  });

  it('leaves an execution running while the clock has not passed its timeout', async () => {
    const { arn, jump, closed } = await start();
    jump(570);
    await sleep(800); // three looks of the watchdog
    expect(runtime!.describe(arn).status).toBe('RUNNING');
    expect(closed).toEqual([]);
  });
});
