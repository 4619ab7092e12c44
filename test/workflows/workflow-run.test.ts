/**
 * The workflow graph the console draws and what each state did, read from an execution
 * history shaped as Step Functions returns it (task events name no state: each points at the
 * event before it in its state).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { END, START, joinOf, observedCriticalPath, workflowGraph, type AslMachine } from '../../shared/workflow-run/graph';
import { stateRuns, type HistoryEventLike } from '../../shared/workflow-run/states';

const machine: AslMachine = {
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Task', Next: 'Build', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'RecordFailure' }] },
    Build: {
      Type: 'Parallel',
      Next: 'Done?',
      Branches: [
        { StartAt: 'Network', States: { Network: { Type: 'Task', End: true } } },
        { StartAt: 'Image', States: { Image: { Type: 'Task', Next: 'CheckImage' }, CheckImage: { Type: 'Task', End: true } } },
      ],
    },
    'Done?': { Type: 'Choice', Choices: [{ Next: 'Nodes' }], Default: 'RecordFailure' },
    Nodes: { Type: 'Map', ItemProcessor: { StartAt: 'Join', States: { Join: { Type: 'Task', End: true } } }, End: true },
    RecordFailure: { Type: 'Fail' },
  },
};

/** A history as AWS writes it: ids in order, task events chained to their state's entry. */
function history(steps: [type: string, state: string | undefined, second: number, extra?: Record<string, unknown>][]): HistoryEventLike[] {
  const last = new Map<string, number>();
  return steps.map(([type, state, second, extra], i) => {
    const id = i + 1;
    const previousEventId = state && !type.endsWith('StateEntered') && !type.startsWith('Map') ? (last.get(state) ?? i) : i;
    if (state) last.set(state, id);
    const details = type.endsWith('StateEntered') ? { stateEnteredEventDetails: { name: state } } : type.endsWith('StateExited') ? { stateExitedEventDetails: { name: state } } : {};
    return { id, previousEventId, timestamp: new Date(Date.UTC(2026, 11, 5, 8, 0, second)), type, ...details, ...extra };
  });
}

describe('the workflow graph', () => {
  it('has a node per state, a fork and a join per Parallel and Map, and every edge the definition allows', () => {
    const g = workflowGraph(machine);
    const edges = g.edges.map((e) => `${e.from} -${e.kind}-> ${e.to}`);
    expect(edges).toEqual(
      expect.arrayContaining([
        `${START} -next-> Prepare`,
        'Prepare -next-> Build',
        'Prepare -catch-> RecordFailure',
        'Build -next-> Network',
        'Build -next-> Image',
        `Network -next-> ${joinOf('Build')}`,
        `CheckImage -next-> ${joinOf('Build')}`,
        `${joinOf('Build')} -next-> Done?`,
        'Done? -choice-> Nodes',
        'Done? -default-> RecordFailure',
        'Nodes -next-> Join',
        `Join -next-> ${joinOf('Nodes')}`,
        `${joinOf('Nodes')} -next-> ${END}`,
        `RecordFailure -next-> ${END}`,
      ]),
    );
    expect(g.nodes.find((n) => n.id === 'Image')?.group).toBe('Build#branch2');
    expect(g.groups.map((gr) => gr.id)).toEqual(['Build#branch1', 'Build#branch2', 'Nodes#items']);
    // Every edge links two nodes that exist.
    const ids = new Set(g.nodes.map((n) => n.id));
    for (const e of g.edges) expect([ids.has(e.from), ids.has(e.to)], `${e.from} -> ${e.to}`).toEqual([true, true]);
  });

  it('draws every packaged workflow with no dangling edge', () => {
    for (const name of ['create-cluster', 'delete-cluster', 'rolling-update', 'restore-cluster']) {
      const g = workflowGraph(JSON.parse(readFileSync(`statemachines/${name}.asl.json`, 'utf8')) as AslMachine);
      const ids = new Set(g.nodes.map((n) => n.id));
      expect(g.edges.filter((e) => !ids.has(e.from) || !ids.has(e.to)), name).toEqual([]);
      expect(g.nodes.length, name).toBeGreaterThan(10);
    }
  });
});

describe('state runs from an execution history', () => {
  const running = history([
    ['ExecutionStarted', undefined, 0],
    ['TaskStateEntered', 'Prepare', 0],
    ['TaskScheduled', 'Prepare', 0],
    ['TaskStarted', 'Prepare', 0],
    ['TaskSucceeded', 'Prepare', 1],
    ['TaskStateExited', 'Prepare', 1],
    ['ParallelStateEntered', 'Build', 1],
    ['TaskStateEntered', 'Network', 1],
    ['TaskStateEntered', 'Image', 1],
    ['TaskScheduled', 'Network', 1],
    ['TaskScheduled', 'Image', 1],
    ['TaskStarted', 'Image', 1],
    ['TaskStarted', 'Network', 1],
    ['TaskFailed', 'Image', 2, { taskFailedEventDetails: { error: 'ThrottlingException', cause: 'Rate exceeded' } }],
    ['TaskSucceeded', 'Network', 9],
    ['TaskStateExited', 'Network', 9],
  ]);

  it('says which state runs, which succeeded and which waits to retry with its error', () => {
    const runs = stateRuns(running, 'RUNNING');
    expect(runs.Prepare).toMatchObject({ status: 'Succeeded', entered: 1, attempts: 1, startedAt: '2026-12-05T08:00:00.000Z', endedAt: '2026-12-05T08:00:01.000Z' });
    expect(runs.Network.status).toBe('Succeeded');
    expect(runs.Image).toMatchObject({ status: 'Retrying', attempts: 1, error: { error: 'ThrottlingException', cause: 'Rate exceeded' } });
    expect(runs.Image.endedAt).toBeUndefined();
    expect(runs.Build.status).toBe('Running');
    expect(runs['Done?']).toBeUndefined();
  });

  it('puts the branch still running on the critical path, not the one that finished', () => {
    const path = observedCriticalPath(machine, stateRuns(running, 'RUNNING'), Date.UTC(2026, 11, 5, 8, 0, 30));
    expect(path).toEqual(['Prepare', 'Build', 'Image', joinOf('Build')]);
  });

  it('marks the state an execution failed in, and a caught failure as failed too', () => {
    const failed = history([
      ['ExecutionStarted', undefined, 0],
      ['TaskStateEntered', 'Prepare', 0],
      ['TaskScheduled', 'Prepare', 0],
      ['TaskStarted', 'Prepare', 0],
      ['TaskFailed', 'Prepare', 1, { taskFailedEventDetails: { error: 'ValidationError', cause: 'no such zone' } }],
      ['TaskStateExited', 'Prepare', 1],
      ['FailStateEntered', 'RecordFailure', 1],
      ['ExecutionFailed', undefined, 1],
    ]);
    const runs = stateRuns(failed, 'FAILED');
    expect(runs.Prepare).toMatchObject({ status: 'Failed', error: { error: 'ValidationError' } });
    expect(runs.RecordFailure.status).toBe('Failed');
  });

  it('reads AWS’s events for a Task that names a Lambda function’s ARN (LambdaFunction…) as it reads Task…', () => {
    const direct = history([
      ['TaskStateEntered', 'Prepare', 0],
      ['LambdaFunctionScheduled', 'Prepare', 0],
      ['LambdaFunctionStarted', 'Prepare', 0],
      ['LambdaFunctionFailed', 'Prepare', 1, { lambdaFunctionFailedEventDetails: { error: 'ThrottlingException', cause: 'Rate exceeded' } }],
      ['LambdaFunctionScheduled', 'Prepare', 3],
      ['LambdaFunctionStarted', 'Prepare', 3],
    ]);
    expect(stateRuns(direct, 'RUNNING').Prepare).toMatchObject({ status: 'Running', attempts: 2, error: { error: 'ThrottlingException', cause: 'Rate exceeded' } });
    const failedAgain = [...direct, ...history([['LambdaFunctionTimedOut', 'Prepare', 9]]).map((e) => ({ ...e, id: direct.length + 1, previousEventId: direct.length }))];
    expect(stateRuns(failedAgain, 'RUNNING').Prepare).toMatchObject({ status: 'Retrying', error: { error: 'States.Timeout' } });
  });

  it('ends a branch stopped by its Parallel’s failure elsewhere as Aborted, not running', () => {
    const stopped = history([
      ['ParallelStateEntered', 'Build', 0],
      ['TaskStateEntered', 'Network', 0],
      ['TaskStateEntered', 'Image', 0],
      ['TaskStateAborted', 'Image', 2],
      ['TaskStateExited', 'Network', 2],
    ]);
    const runs = stateRuns(stopped, 'RUNNING');
    expect(runs.Image).toMatchObject({ status: 'Aborted', endedAt: '2026-12-05T08:00:02.000Z' });
    expect(observedCriticalPath(machine, runs, Date.UTC(2026, 11, 5, 8, 1, 0))).not.toContain('Image');
  });

  it('counts a Map state’s iterations', () => {
    const mapped = history([
      ['MapStateEntered', 'Nodes', 0],
      ['MapIterationStarted', 'Nodes', 0, { mapIterationStartedEventDetails: { name: 'Nodes', index: 0 } }],
      ['MapIterationStarted', 'Nodes', 0, { mapIterationStartedEventDetails: { name: 'Nodes', index: 1 } }],
      ['MapIterationSucceeded', 'Nodes', 5, { mapIterationSucceededEventDetails: { name: 'Nodes', index: 0 } }],
    ]);
    expect(stateRuns(mapped, 'RUNNING').Nodes).toMatchObject({ status: 'Running', iterations: { started: 2, succeeded: 1, failed: 0 } });
  });
});
