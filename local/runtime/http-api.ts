/**
 * The HTTP API, locally: routes requests to functions by their `httpApi` events and speaks
 * API Gateway's payload format 2.0 both ways, so handlers cannot tell it from AWS.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, readBody, sendJson, type RunningServer } from './http-util';
import type { LambdaInvoker } from './lambda';
import { LOCAL_ACCOUNT_ID, type FunctionConfig } from './serverless-config';

/** A compiled route. */
export interface Route {
  function: string;
  method: string;
  path: string;
  routeKey: string;
  /** IAM-authorized: the event names the caller (`requestContext.authorizer.iam`). */
  iam: boolean;
  /** Literal segments count first when two routes match the same path (as in API Gateway). */
  specificity: number;
  match(pathname: string): Record<string, string> | undefined;
}

/** Build routes from every function's `httpApi` events, most specific first. */
export function buildRoutes(functions: Record<string, FunctionConfig>): Route[] {
  const routes: Route[] = [];
  for (const fn of Object.values(functions)) {
    for (const event of fn.events) {
      if (event.type !== 'httpApi') continue;
      const routeKey = event.path === '*' ? '$default' : `${event.method === '*' ? 'ANY' : event.method} ${event.path}`;
      routes.push({ function: fn.name, method: event.method, path: event.path, routeKey, iam: event.iam === true, ...compilePath(event.path) });
    }
  }
  return routes.sort((a, b) => b.specificity - a.specificity || Number(a.method === '*') - Number(b.method === '*'));
}

function compilePath(path: string): Pick<Route, 'specificity' | 'match'> {
  if (path === '*') return { specificity: -1, match: () => ({}) };
  const names: string[] = [];
  let literals = 0;
  const pattern = path
    .split('/')
    .map((segment) => {
      const param = /^\{([^}+]+)(\+?)\}$/.exec(segment);
      if (!param) {
        literals++;
        return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      }
      names.push(param[1]);
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  const regex = new RegExp(`^${pattern}$`);
  // A greedy {proxy+} route loses to any route with the same literals.
  const greedy = /\+\}$/.test(path) ? 0 : 0.5;
  return {
    specificity: literals + greedy,
    match(pathname) {
      const found = regex.exec(pathname);
      if (!found) return undefined;
      return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
    },
  };
}

/**
 * Who signs with an access key (the simulator knows the sessions it issued), or undefined
 * for a key nobody issued. Without it every caller is the account's administrator.
 */
export type IdentifyCaller = (accessKeyId: string | undefined) => Promise<string | undefined>;

/** Start the HTTP API on 127.0.0.1:port. */
export async function startHttpApi(options: { port: number; functions: Record<string, FunctionConfig>; lambda: LambdaInvoker; identify?: IdentifyCaller }): Promise<RunningServer> {
  const routes = buildRoutes(options.functions);
  const identify: IdentifyCaller = options.identify ?? (async () => `arn:aws:iam::${LOCAL_ACCOUNT_ID}:root`);
  return listen((req, res) => {
    handle(req, res, routes, options.lambda, identify).catch((error: unknown) => {
      console.error('[http-api] request failed', error);
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'InternalError', message: 'Internal Server Error' } });
    });
  }, options.port);
}

/**
 * Whether a request may come from another web site or through DNS rebinding: the embedded
 * API takes unsigned requests as the administrator's, so a page elsewhere must not reach it
 * through the user's browser. Its Host must name this machine, and a browser's Origin (sent
 * with every cross-site request, and with same-origin POSTs) must be this very address.
 */
export function crossSite(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const host = String(req.headers.host ?? '');
  if (!/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i.test(host)) return `Host ${host || '(none)'} is not this machine`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return `Origin ${origin} is another site`;
  if (req.headers['sec-fetch-site'] === 'cross-site') return 'a cross-site request';
  return undefined;
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: Route[], lambda: LambdaInvoker, identify: IdentifyCaller): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  const foreign = crossSite(req);
  if (foreign) {
    sendJson(res, 403, { message: `Forbidden: ${foreign}` });
    return;
  }
  let matched: { route: Route; params: Record<string, string> } | undefined;
  for (const route of routes) {
    if (route.method !== '*' && route.method !== method) continue;
    const params = route.match(url.pathname);
    if (params) {
      matched = { route, params };
      break;
    }
  }
  if (!matched) {
    sendJson(res, 404, { error: { code: 'NotFound', message: `No route for ${method} ${url.pathname}` } });
    return;
  }
  const body = await readBody(req);
  const event = toEvent(req, url, method, body, matched.route, matched.params);
  if (matched.route.iam) {
    // Signatures are not verified here (the embedded API trusts 127.0.0.1); the caller is
    // named as API Gateway names it. Unsigned requests act as the administrator, as
    // requests signed with keys the simulator did not issue do.
    const accessKeyId = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    const userArn = await identify(accessKeyId);
    if (!userArn) {
      sendJson(res, 403, { message: 'The security token included in the request is invalid.' });
      return;
    }
    (event.requestContext as Record<string, unknown>).authorizer = {
      iam: { accessKey: accessKeyId ?? '', accountId: LOCAL_ACCOUNT_ID, callerId: userArn.split(':').pop() ?? '', userArn, userId: userArn.split(':').pop() ?? '' },
    };
  }
  let result: unknown;
  try {
    result = await lambda.invoke(matched.route.function, event);
  } catch (error) {
    // API Gateway answers 500 for a function error; the stack stays in the local log only.
    console.error(`[http-api] ${matched.route.function} failed`, error);
    sendJson(res, 500, { error: { code: 'InternalError', message: 'Internal Server Error' } });
    return;
  }
  writeResult(res, result);
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|[\w.+-]*\+json|javascript))/i;

/** The API Gateway v2 (payload format 2.0) event for a request. */
export function toEvent(req: IncomingMessage, url: URL, method: string, body: Buffer, route: Route, params: Record<string, string>): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    // Payload 2.0 joins repeated headers with commas; cookies go in their own field.
    headers[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key).join(',');
  const cookies = headers.cookie?.split(/;\s*/).filter(Boolean);
  delete headers.cookie;
  const now = new Date();
  const isText = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? 'application/json');
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(params).length > 0 ? { pathParameters: params } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

/**
 * Write a handler result by payload 2.0's rules: an object with `statusCode` is a
 * response; anything else (a string, an object without statusCode) is a 200 JSON body.
 */
export function writeResult(res: ServerResponse, result: unknown): void {
  if (result !== null && typeof result === 'object' && 'statusCode' in result) {
    const r = result as { statusCode: number; headers?: Record<string, string | number | boolean>; body?: string; isBase64Encoded?: boolean; cookies?: string[] };
    const headers: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(r.headers ?? {})) headers[key.toLowerCase()] = String(value);
    if (r.cookies?.length) headers['set-cookie'] = r.cookies;
    const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
    res.writeHead(r.statusCode, { ...headers, 'content-length': body.length });
    res.end(body);
    return;
  }
  const body = result === undefined ? '' : typeof result === 'string' ? result : JSON.stringify(result);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
