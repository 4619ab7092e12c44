/**
 * `GET /v1/operations/{id}/graph`: the operation's workflow as a graph (from the definition of
 * the state machine that runs it, as Step Functions holds it) with what each state did so far
 * (from the execution's history) and the states the execution waited on (its critical path).
 * The definition is the one the execution runs (DescribeStateMachineForExecution). The web
 * console draws and refreshes it while the operation runs. A running create also gets
 * an estimate of what remains: the rest of its critical path in the latency model (AWS-typical
 * latencies), in this deployment's seconds (the embedded cloud runs HOPPER_TIME_SCALE times
 * faster); the CLI shows it beside the progress.
 */
import { DescribeStateMachineForExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import type * as z from 'zod';
import { NotFoundError } from '../../shared/errors';
import { allow, arn, table } from '../../shared/aws/iam';
import { timeScale } from '../../shared/config';
import { DEFAULT_LATENCIES } from '../../shared/latency-model';
import { createGraph, criticalPath, remainingPath } from '../../shared/plan/create-critical-path';
import { findState, observedCriticalPath, workflowGraph, type AslMachine } from '../../shared/workflow-run/graph';
import { stateRuns, type ExecutionEnd, type StateRun } from '../../shared/workflow-run/states';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { operationParams } from './params';
import { defineFunction } from '../lib/function';

const END_OF: Record<string, ExecutionEnd> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};

export async function getOperationGraph(req: ApiRequest<unknown, z.infer<typeof operationParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const op = await deps.store.getOperation(req.params.id);
  if (!op) throw new NotFoundError(`operation ${req.params.id} not found`);
  if (!op.executionArn) throw new NotFoundError(`operation ${op.id} has not started a workflow (yet)`);
  // The definition this execution runs: a deploy during a long operation does not change it.
  const machine = await deps.sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: op.executionArn }));
  const definition = JSON.parse(machine.definition ?? '{}') as AslMachine;
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.sfn.send(new GetExecutionHistoryCommand({ executionArn: op.executionArn, maxResults: 1000, includeExecutionData: false, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const end = [...events].reverse().map((e) => END_OF[e.type ?? '']).find(Boolean) ?? 'RUNNING';
  const runs = stateRuns(events.map((e) => ({ ...e, id: e.id ?? 0, type: e.type ?? '', timestamp: e.timestamp ?? 0 })), end);
  return {
    status: 200,
    body: {
      operation: { id: op.id, cluster: op.cluster, type: op.type, status: op.status, startedAt: op.startedAt, ...(op.endedAt ? { endedAt: op.endedAt } : {}), ...(op.error ? { error: op.error } : {}) },
      workflow: machine.name,
      execution: end,
      graph: workflowGraph(definition),
      states: runs,
      criticalPath: observedCriticalPath(definition, runs, deps.now().getTime()),
      ...(op.type === 'create' && end === 'RUNNING' ? { estimate: createEstimate(definition, runs, await deps.store.getCluster(op.cluster), deps.now().getTime()) } : {}),
    },
  };
}

/**
 * The rest of a running create's critical path. Which variant it is shows in the run: a
 * balancer being made (HA), the image known without a bake (ImageCached).
 */
function createEstimate(definition: AslMachine, runs: Record<string, StateRun>, record: { spec: { controlPlane: { count: number } } } | undefined, now: number) {
  const wait = findState(definition, 'WaitBetweenPasses');
  const graph = createGraph(typeof wait?.Seconds === 'number' ? wait.Seconds : 0);
  const variant = { ha: runs.EnsureApiLoadBalancer !== undefined || (record?.spec.controlPlane.count ?? 1) > 1, cachedImage: runs.ImageCached !== undefined };
  const progress = (state: string) => (runs[state] ? (runs[state].status === 'Succeeded' ? ('succeeded' as const) : ('started' as const)) : undefined);
  const scale = timeScale();
  // Model seconds a node under way has had so far: since its first state started.
  const spent = (node: { states: string[] }) => {
    const starts = node.states.map((s) => runs[s]?.startedAt).filter((t): t is string => !!t).map((t) => Date.parse(t));
    return starts.length ? ((now - Math.min(...starts)) / 1000) * scale : 0;
  };
  const rest = remainingPath(graph, variant, DEFAULT_LATENCIES, progress, spent);
  return {
    remainingSeconds: Math.round(rest.seconds / scale),
    pathSeconds: Math.round(criticalPath(graph, variant, DEFAULT_LATENCIES).seconds / scale),
    next: rest.path.filter((p) => p.seconds > 0).map((p) => p.id),
  };
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/v1/operations/{id}/graph', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem'),
    allow(['states:DescribeStateMachineForExecution', 'states:GetExecutionHistory'], [arn('states', 'execution:hopper-${sls:stage}-*:*')]),
  ],
});

export const handler = route({ params: operationParams }, (req) => getOperationGraph(req));
