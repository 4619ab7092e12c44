/**
 * The local Step Functions endpoint: AWS JSON 1.0 (`X-Amz-Target: AWSStepFunctions.<Action>`),
 * so the unmodified @aws-sdk/client-sfn reaches it through AWS_ENDPOINT_URL_SFN.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, readBody, sendJson, type RunningServer } from './http-util';
import { SfnError, StepFunctionsRuntime, type StepFunctionsOptions } from './sfn-runner';
import type { ExecutionRecord } from './sfn-store';

export { StepFunctionsRuntime, SfnError, INTERRUPTED_CAUSE, toTaskError } from './sfn-runner';
export type { StepFunctionsOptions } from './sfn-runner';
export type { ExecutionRecord } from './sfn-store';

const CONTENT_TYPE = 'application/x-amz-json-1.0';

/** The endpoint and the runtime behind it. */
export interface StepFunctionsServer extends RunningServer {
  runtime: StepFunctionsRuntime;
}

/** Start the runtime (recovering interrupted executions) and its endpoint on 127.0.0.1:port. */
export async function startStepFunctions(options: StepFunctionsOptions & { port: number }): Promise<StepFunctionsServer> {
  const runtime = await StepFunctionsRuntime.create(options);
  const server = await listen((req, res) => {
    handle(runtime, req, res).catch((error: unknown) => {
      console.error('[stepfunctions] request failed', error);
      if (!res.headersSent) sendJson(res, 500, { __type: 'InternalFailure', message: String(error) }, CONTENT_TYPE);
    });
  }, options.port);
  return {
    ...server,
    runtime,
    close: async () => {
      await runtime.close();
      await server.close();
    },
  };
}

type Body = Record<string, unknown>;

async function handle(runtime: StepFunctionsRuntime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = String(req.headers['x-amz-target'] ?? '');
  const action = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
  const raw = (await readBody(req)).toString('utf8');
  let body: Body;
  try {
    body = raw === '' ? {} : (JSON.parse(raw) as Body);
  } catch {
    sendJson(res, 400, { __type: 'SerializationException', message: 'Body is not JSON' }, CONTENT_TYPE);
    return;
  }
  try {
    sendJson(res, 200, dispatch(runtime, action, body), CONTENT_TYPE);
  } catch (error) {
    if (error instanceof SfnError) sendJson(res, 400, { __type: error.code, message: error.message }, CONTENT_TYPE);
    else throw error;
  }
}

/** One API action; the JSON protocol's timestamps are epoch seconds. */
function dispatch(runtime: StepFunctionsRuntime, action: string, body: Body): unknown {
  const str = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : undefined);
  switch (action) {
    case 'StartExecution': {
      const record = runtime.start(requireArn(str('stateMachineArn')), str('name'), str('input'));
      return { executionArn: record.executionArn, startDate: seconds(record.startDate) };
    }
    case 'DescribeExecution':
      return describe(runtime.describe(requireArn(str('executionArn'))));
    case 'StopExecution':
      return { stopDate: seconds(runtime.stop(requireArn(str('executionArn')), str('error'), str('cause')).stopDate ?? Date.now()) };
    case 'ListExecutions': {
      const all = runtime.list(requireArn(str('stateMachineArn')), str('statusFilter'));
      const { items, nextToken } = page(all, body);
      return {
        executions: items.map((r) => ({
          executionArn: r.executionArn,
          stateMachineArn: r.stateMachineArn,
          name: r.name,
          status: r.status,
          startDate: seconds(r.startDate),
          ...(r.stopDate ? { stopDate: seconds(r.stopDate) } : {}),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    }
    case 'GetExecutionHistory': {
      let events = runtime.history(requireArn(str('executionArn')));
      if (body.reverseOrder === true) events = [...events].reverse();
      const { items, nextToken } = page(events, body);
      return { events: items.map((e) => ({ ...e, timestamp: seconds(e.timestamp) })), ...(nextToken ? { nextToken } : {}) };
    }
    case 'DescribeStateMachine': {
      const sm = runtime.describeStateMachine(requireArn(str('stateMachineArn')));
      return {
        stateMachineArn: sm.arn,
        name: sm.name,
        status: 'ACTIVE',
        definition: sm.definition,
        roleArn: 'arn:aws:iam::000000000000:role/local',
        type: 'STANDARD',
        creationDate: seconds(sm.createdAt),
      };
    }
    case 'DescribeStateMachineForExecution': {
      // The definition the execution runs (the machine's only one here: it is not updated while the runtime runs).
      const execution = runtime.describe(requireArn(str('executionArn')));
      const sm = runtime.describeStateMachine(execution.stateMachineArn);
      return { stateMachineArn: sm.arn, name: sm.name, definition: sm.definition, roleArn: 'arn:aws:iam::000000000000:role/local', updateDate: seconds(sm.createdAt) };
    }
    case 'ListStateMachines':
      return { stateMachines: runtime.listStateMachines().map((sm) => ({ stateMachineArn: sm.arn, name: sm.name, type: 'STANDARD', creationDate: seconds(sm.createdAt) })) };
    default:
      throw new SfnError('UnknownOperationException', `Unsupported action ${action || '(no X-Amz-Target)'}`);
  }
}

function describe(r: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: r.executionArn,
    stateMachineArn: r.stateMachineArn,
    name: r.name,
    status: r.status,
    startDate: seconds(r.startDate),
    ...(r.stopDate ? { stopDate: seconds(r.stopDate) } : {}),
    input: r.input,
    inputDetails: { included: true },
    ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(r.cause !== undefined ? { cause: r.cause } : {}),
    // Not an AWS field (the SDK drops it); raw HTTP callers such as benchmarks read it.
    stateTransitions: r.transitions,
  };
}

function requireArn(value: string | undefined): string {
  if (!value) throw new SfnError('InvalidArn', 'Missing ARN');
  if (!value.startsWith('arn:')) throw new SfnError('InvalidArn', `Invalid Arn: '${value}'`);
  return value;
}

/** maxResults/nextToken paging; the token is the next offset. */
function page<T>(items: T[], body: Body): { items: T[]; nextToken?: string } {
  const start = typeof body.nextToken === 'string' ? Number(body.nextToken) || 0 : 0;
  const max = typeof body.maxResults === 'number' && body.maxResults > 0 ? body.maxResults : 1000;
  const end = start + max;
  return { items: items.slice(start, end), nextToken: end < items.length ? String(end) : undefined };
}

const seconds = (ms: number): number => ms / 1000;
