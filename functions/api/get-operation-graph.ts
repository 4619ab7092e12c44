/**
 * `GET /v1/operations/{id}/graph`: the operation's workflow as a graph (from the definition of
 * the state machine that runs it, as Step Functions holds it) with what each state did so far
 * (from the execution's history) and the states the execution waited on (its critical path).
 * The web console draws and refreshes it while the operation runs.
 */
import { DescribeStateMachineCommand, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import type * as z from 'zod';
import { NotFoundError } from '../../shared/errors';
import { allow, arn, table } from '../../shared/aws/iam';
import { observedCriticalPath, workflowGraph, type AslMachine } from '../../shared/workflow-run/graph';
import { stateRuns, type ExecutionEnd } from '../../shared/workflow-run/states';
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

/** `arn:…:execution:<machine>:<name>` → `arn:…:stateMachine:<machine>` (the documented ARN forms). */
export function stateMachineOf(executionArn: string): string {
  const parts = executionArn.split(':');
  if (parts.length < 8 || parts[5] !== 'execution') throw new Error(`not an execution ARN: ${executionArn}`);
  return [...parts.slice(0, 5), 'stateMachine', parts[6]].join(':');
}

export async function getOperationGraph(req: ApiRequest<unknown, z.infer<typeof operationParams>, unknown>, deps: ApiDeps = apiDeps()): Promise<ApiResponse> {
  const op = await deps.store.getOperation(req.params.id);
  if (!op) throw new NotFoundError(`operation ${req.params.id} not found`);
  if (!op.executionArn) throw new NotFoundError(`operation ${op.id} has not started a workflow (yet)`);
  const machine = await deps.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: stateMachineOf(op.executionArn) }));
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
    },
  };
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/v1/operations/{id}/graph', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem'),
    allow(['states:DescribeStateMachine'], [arn('states', 'stateMachine:hopper-${sls:stage}-*')]),
    allow(['states:GetExecutionHistory'], [arn('states', 'execution:hopper-${sls:stage}-*:*')]),
  ],
});

export const handler = route({ params: operationParams }, (req) => getOperationGraph(req));
