import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSfnFixture, type SfnFixture } from './sfn-helpers';

describe('local Step Functions endpoint', () => {
  let f: SfnFixture;

  // 1000× faster: the 60 s Wait takes 60 ms and the 20 s + 40 s retry intervals 60 ms.
  beforeAll(async () => {
    f = await startSfnFixture({ timeScale: 1000 });
  });
  afterAll(() => f.close());

  async function run(machine: string, input: unknown, name?: string) {
    const { executionArn } = await f.sfn.send(new StartExecutionCommand({ stateMachineArn: f.arn(machine), name, input: JSON.stringify(input) }));
    await f.server.runtime.waitFor(executionArn!);
    return f.sfn.send(new DescribeExecutionCommand({ executionArn }));
  }

  it('retries a Task that throws NotReadyError, scales waits, and runs a Map state', async () => {
    const started = Date.now();
    const execution = await run('fixture-retry', { key: 'retry-1', items: [1, 2, 3] });
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toEqual({ key: 'retry-1', items: [1, 2, 3], ready: { attempts: 3 }, doubled: [2, 4, 6] });
    // 60 s of Wait plus 60 s of retry intervals in ASL; well under two seconds here.
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails the execution with the error name and Lambda cause once retries are exhausted', async () => {
    const execution = await run('fixture-retry', { key: 'retry-2', failures: 10, items: [] });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('NotReadyError');
    expect(JSON.parse(execution.cause!)).toMatchObject({ errorType: 'NotReadyError', errorMessage: 'attempt 4: not ready' });
  });

  it('routes a typed error to the Catch with {Error, Cause} at its ResultPath', async () => {
    const execution = await run('fixture-catch', { cluster: 'a' });
    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output!) as { cluster: string; error: { Error: string; Cause: string } };
    expect(output.cluster).toBe('a');
    expect(output.error.Error).toBe('ImmutableFieldError');
    const cause = JSON.parse(output.error.Cause) as { errorType: string; errorMessage: string; trace: string[] };
    expect(cause.errorType).toBe('ImmutableFieldError');
    expect(cause.errorMessage).toBe('the VPC CIDR cannot change');
    expect(Array.isArray(cause.trace)).toBe(true);
  });

  it('returns the running execution again for the same name and input', async () => {
    const input = JSON.stringify({});
    const first = await f.sfn.send(new StartExecutionCommand({ stateMachineArn: f.arn('fixture-slow'), name: 'op-1', input }));
    const again = await f.sfn.send(new StartExecutionCommand({ stateMachineArn: f.arn('fixture-slow'), name: 'op-1', input }));
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    await expect(
      f.sfn.send(new StartExecutionCommand({ stateMachineArn: f.arn('fixture-slow'), name: 'op-1', input: '{"other":true}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await f.sfn.send(new StopExecutionCommand({ executionArn: first.executionArn, error: 'Cancelled', cause: 'test' }));
    const stopped = await f.sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'test' });
    // A closed execution's name cannot be reused, even with the same input (as in AWS).
    await expect(
      f.sfn.send(new StartExecutionCommand({ stateMachineArn: f.arn('fixture-slow'), name: 'op-1', input })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('records a history with task attempts and failures, and counts state transitions', async () => {
    const execution = await run('fixture-retry', { key: 'history-1', items: [5] }, 'history-1');
    const { events } = await f.sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn }));
    const types = events!.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types.filter((t) => t === 'TaskFailed')).toHaveLength(2);
    expect(types.filter((t) => t === 'TaskScheduled')).toHaveLength(4); // 3 attempts + 1 Map item
    expect(types).toContain('WaitStateEntered');
    expect(types).toContain('MapIterationSucceeded');
    const failed = events!.find((e) => e.type === 'TaskFailed')!;
    expect(failed.taskFailedEventDetails?.error).toBe('NotReadyError');
    expect(events!.map((e) => e.id)).toEqual(events!.map((_, i) => i + 1));
    expect(events![0].timestamp).toBeInstanceOf(Date);
    // Entered: task, wait, map, map's task = 4; two retries = 2.
    expect(f.server.runtime.transitions(execution.executionArn!)).toBe(6);
  });

  it('lists executions by state machine and status, newest first', async () => {
    const a = await run('fixture-catch', {});
    const b = await run('fixture-catch', {});
    const { executions } = await f.sfn.send(new ListExecutionsCommand({ stateMachineArn: f.arn('fixture-catch'), statusFilter: 'SUCCEEDED' }));
    expect(executions!.slice(0, 2).map((e) => e.executionArn)).toEqual([b.executionArn, a.executionArn]);
    const running = await f.sfn.send(new ListExecutionsCommand({ stateMachineArn: f.arn('fixture-catch'), statusFilter: 'RUNNING' }));
    expect(running.executions).toEqual([]);
  });

  it('describes and lists the state machines with their unchanged definitions', async () => {
    const { stateMachines } = await f.sfn.send(new ListStateMachinesCommand({}));
    expect(stateMachines!.map((s) => s.name).sort()).toEqual(['fixture-catch', 'fixture-retry', 'fixture-slow']);
    const sm = await f.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: f.arn('fixture-retry') }));
    expect(JSON.parse(sm.definition!).States.WaitUntilReady.Resource).toEqual({ 'Fn::GetAtt': ['flaky', 'Arn'] });
    // The machine an execution runs, from the execution alone.
    const execution = await run('fixture-catch', {});
    const ran = await f.sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: execution.executionArn }));
    expect([ran.stateMachineArn, ran.name]).toEqual([f.arn('fixture-catch'), 'fixture-catch']);
    expect(JSON.parse(ran.definition!).StartAt).toBeTruthy();
  });

  it('answers ExecutionDoesNotExist for an unknown execution', async () => {
    await expect(
      f.sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fixture-slow:nope' })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });
});
