/**
 * The thin HTTP edge shared by every API handler: parse and validate the request with zod
 * schemas, run the core, and turn Hopper's typed errors into the documented error shape.
 *
 * Status codes: 400 for input that breaks the schema (every problem listed), 404, 409 (name
 * taken, or another operation holds the cluster), 422 (valid input, impossible change).
 * A user's mistake never becomes a 500; only a fault of ours does, with no internals leaked.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { ConflictError, HopperError, NotFoundError, ServiceUnavailableError, UnprocessableError, UnreadableRecordError, ValidationError } from '../../shared/errors';
import type { ErrorBody } from '../../shared/api/types';

export const logger = new Logger({ serviceName: 'hopper-api' });

/** What a route's core receives: the validated parts of the request. */
export interface ApiRequest<B, P, Q> {
  body: B;
  params: P;
  query: Q;
  headers: Record<string, string | undefined>;
  requestId: string;
  /**
   * Who signed the request: the IAM ARN API Gateway's `aws_iam` authorizer puts in
   * `requestContext.authorizer.iam.userArn`. Absent on routes without IAM authorization.
   */
  caller?: string;
}

/** A core's answer: a status and a JSON body. */
export interface ApiResponse {
  status: number;
  body: unknown;
}

interface RouteSchemas<B, P, Q> {
  body?: z.ZodType<B>;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
}

/** Render a JSON response. */
export function json(status: number, body: unknown): APIGatewayProxyResultV2 {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The documented error body. */
export function errorBody(code: string, message: string, details?: unknown[]): ErrorBody {
  return { error: { code, message, ...(details && details.length > 0 ? { details } : {}) } };
}

/** zod issues → `[{path, message}]`, with paths like `instanceGroups[0].min`. */
export function zodProblems(error: z.ZodError, prefix = ''): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({ path: formatPath(prefix, issue.path), message: issue.message }));
}

function formatPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Map an error thrown by a core onto the documented error reply. */
export function errorResponse(err: unknown): APIGatewayProxyResultV2 {
  if (err instanceof ValidationError) return json(400, errorBody('InvalidInput', err.message, [...err.details]));
  if (err instanceof NotFoundError) return json(404, errorBody('NotFound', err.message));
  if (err instanceof ServiceUnavailableError) return json(503, errorBody('ServiceUnavailable', err.message));
  if (err instanceof ConflictError) return json(409, errorBody('Conflict', err.message, [...err.details]));
  if (err instanceof UnprocessableError) return json(422, errorBody('Unprocessable', err.message, [...err.details]));
  if (err instanceof HopperError && err.name === 'VersionConflictError') {
    return json(409, errorBody('Conflict', 'The cluster changed while the request ran; retry it.'));
  }
  if (err instanceof UnreadableRecordError) {
    logger.error('unreadable record', { error: err });
    return json(500, errorBody('UnreadableRecord', err.message));
  }
  logger.error('unexpected error', { error: err as Error });
  return json(500, errorBody('InternalError', 'Hopper failed to handle the request; it has been logged.'));
}

function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, prefix: string, problems: Array<{ path: string; message: string }>): T {
  if (!schema) return value as T;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  problems.push(...zodProblems(parsed.error, prefix));
  return undefined as T;
}

/** Parse the JSON body; an empty body is `undefined` (schemas decide whether that is allowed). */
function readBody(event: APIGatewayProxyEventV2): { ok: true; value: unknown } | { ok: false; message: string } {
  if (event.body === undefined || event.body === null || event.body === '') return { ok: true, value: undefined };
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, message: `The request body is not valid JSON: ${(err as Error).message}` };
  }
}

/**
 * Build a route handler: validates path parameters, query and body together (so every
 * problem is listed at once), then runs the core.
 */
export function route<B = undefined, P = Record<string, string>, Q = Record<string, string>>(
  schemas: RouteSchemas<B, P, Q>,
  core: (req: ApiRequest<B, P, Q>) => Promise<ApiResponse>,
) {
  const run = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
    try {
      const problems: Array<{ path: string; message: string }> = [];
      const rawBody = readBody(event);
      if (!rawBody.ok) return json(400, errorBody('InvalidJson', rawBody.message));
      const params = parsePart(schemas.params, event.pathParameters ?? {}, 'path', problems);
      const query = parsePart(schemas.query, event.queryStringParameters ?? {}, 'query', problems);
      const body = parsePart(schemas.body, rawBody.value, '', problems);
      if (problems.length > 0) {
        return json(400, errorBody('InvalidInput', `The request has ${problems.length} problem${problems.length === 1 ? '' : 's'}.`, problems));
      }
      const result = await core({
        body,
        params,
        query,
        headers: event.headers ?? {},
        requestId: event.requestContext?.requestId ?? 'local',
        ...(callerArn(event) ? { caller: callerArn(event) } : {}),
      });
      return json(result.status, result.body);
    } catch (err) {
      return errorResponse(err);
    }
  };
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>().use(httpHeaderNormalizer()).handler(run);
}

function callerArn(event: APIGatewayProxyEventV2): string | undefined {
  const authorizer = (event.requestContext as { authorizer?: { iam?: { userArn?: string } } } | undefined)?.authorizer;
  return authorizer?.iam?.userArn || undefined;
}

/** `?dryRun=true|false` as a boolean. */
export const booleanQuery = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');
