/**
 * The API's handlers over a real DynamoDB (dynalite) with Step Functions mocked
 * (aws-sdk-client-mock): what the handlers store and which executions they start.
 */
import { randomUUID } from 'node:crypto';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ClusterStore } from '../../shared/store';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';

export interface ApiEnv {
  store: ClusterStore;
  /** Step Functions, mocked for every SFNClient instance: the executions the handlers start. */
  sfn: ReturnType<typeof mockClient>;
  dynamo: TestDynamo;
  stop(): Promise<void>;
}

/**
 * dynalite plus the environment the real handlers read (table, endpoint, state machine
 * ARNs), with every SFNClient mocked. Call before the handlers' first use.
 */
export async function startApiEnv(): Promise<ApiEnv> {
  const dynamo = await startDynalite();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    HOPPER_TABLE: dynamo.tableName,
    CREATE_CLUSTER_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:hopper-test-create-cluster',
    DELETE_CLUSTER_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:hopper-test-delete-cluster',
    VALIDATE_CLUSTER_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:hopper-test-validate-cluster',
  });
  const sfn = mockClient(SFNClient);
  sfn.on(StartExecutionCommand).callsFake((input: { name: string; stateMachineArn: string }) => ({
    executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
  const store = new ClusterStore({ ddb: dynamo.ddb, tableName: dynamo.tableName });
  return {
    store,
    sfn,
    dynamo,
    async stop() {
      sfn.restore();
      await dynamo.stop();
    },
  };
}

/** An API Gateway HTTP API (payload 2.0) event. */
export function httpEvent(options: {
  method: string;
  path: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
}): APIGatewayProxyEventV2 {
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return {
    version: '2.0',
    routeKey: `${options.method} ${options.path}`,
    rawPath: options.path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { 'content-type': 'application/json' },
    queryStringParameters: options.query,
    pathParameters: options.pathParameters,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: options.method, path: options.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: randomUUID(),
      routeKey: `${options.method} ${options.path}`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  };
}

export const lambdaContext = { awsRequestId: 'test', functionName: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

/** Parse a handler's reply. */
export function reply(result: unknown): { status: number; body: Record<string, unknown> } {
  const r = result as APIGatewayProxyStructuredResultV2;
  return { status: r.statusCode ?? 0, body: JSON.parse(String(r.body ?? '{}')) as Record<string, unknown> };
}
