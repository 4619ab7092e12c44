/**
 * The simulator's HTTP front: one endpoint for every service, dispatching on the
 * request's protocol like LocalStack on 4566:
 *
 * - `X-Amz-Target: <Prefix>.<Op>` with a JSON body → a registered JSON 1.1 service (SSM);
 * - a form body with `Action=` → a query service, chosen by `Version` or else by the
 *   SigV4 credential scope's service name (EC2, Auto Scaling, ELBv2);
 * - anything else → a registered route (`/_sim/*`).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimError } from './errors';
import { decodeQuery, encodeXml, escapeXml } from './serde';
import { authorizers, findRoute, jsonServices, plugins, queryServices, restServices, type QueryService, type RestHandler, type SimContext } from './registry';
import { loadSnapshot, saveSnapshot } from './snapshot';
import { SimState, type SimStateOptions } from './state';

export interface SimServerOptions extends SimStateOptions {
  port?: number;
  host?: string;
  /**
   * Directory for the JSON snapshot (loaded at start, saved periodically and on stop) and
   * for the hosts' disks. Without it, a temporary directory (removed at stop) holds the disks.
   */
  dataDir?: string;
  /** Real milliseconds between periodic snapshot saves. */
  saveIntervalMs?: number;
}

export interface SimServer {
  url: string;
  port: number;
  state: SimState;
  stop(): Promise<void>;
}

/** Starts the HTTP server over a fresh (or restored) state with every registered service. */
export async function startSimServer(options: SimServerOptions = {}): Promise<SimServer> {
  const state = new SimState(options);
  if (options.dataDir) loadSnapshot(state, options.dataDir);
  const host = options.host ?? '127.0.0.1';
  let endpoint = '';

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err instanceof Error ? err.stack : err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const body = raw.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://sim');
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && target.includes('.')) return serveJson(req, res, target, body);
    const ct = String(req.headers['content-type'] ?? '');
    if (req.method === 'POST' && url.pathname === '/' && (ct.includes('x-www-form-urlencoded') || body.startsWith('Action='))) {
      return serveQuery(req, res, body);
    }
    const rest = restServices.get(signingService(req) ?? '');
    if (rest && !url.pathname.startsWith('/_sim/')) return serveRest(req, res, rest, url, raw);
    const route = findRoute(req.method ?? 'GET', url.pathname);
    if (!route) return send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    try {
      const out = await route(
        {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
          raw,
          json: () => (body.trim() ? JSON.parse(body) : {}),
        },
        { state, endpoint },
      );
      send(res, out.status ?? 200, out.body ?? '', out.headers);
    } catch (err) {
      send(res, err instanceof SyntaxError ? 400 : 500, { error: String(err instanceof Error ? err.message : err) });
    }
  }

  /** An injected slow call waits (simulated time) before it takes effect — or fails, if a fault says so. */
  async function slowly(service: string, action: string): Promise<void> {
    const seconds = state.faults.delay(service, action);
    if (seconds > 0) await state.clock.sleep(seconds);
  }

  function context(req: IncomingMessage, service: string, action: string): SimContext {
    const accessKeyId = credentialScope(req)[0];
    return { state, region: signingRegion(req), requestId: state.requestId(), service, action, endpoint, headers: req.headers, ...(accessKeyId ? { accessKeyId } : {}) };
  }

  /** Every registered authorizer (IAM) passes the call, or it fails with their error. */
  async function authorize(ctx: SimContext, input: unknown): Promise<void> {
    for (const check of authorizers) await check(ctx, input);
  }

  async function serveJson(req: IncomingMessage, res: ServerResponse, target: string, body: string): Promise<void> {
    const [prefix, op] = [target.slice(0, target.lastIndexOf('.')), target.slice(target.lastIndexOf('.') + 1)];
    const handler = jsonServices.get(prefix);
    const service = prefix.replace(/^Amazon/, '').toLowerCase();
    const ctx = context(req, service, op);
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': ctx.requestId };
    try {
      if (!handler) throw new SimError('UnknownOperationException', `No service for ${target}`);
      await slowly(service, op);
      state.faults.check(service, op);
      const input = body.trim() ? (JSON.parse(body) as Record<string, unknown>) : {};
      await authorize(ctx, input);
      const out = await handler(op, input, ctx);
      state.recordCall(service, op);
      send(res, 200, out ?? {}, headers);
    } catch (err) {
      const e = asSimError(err);
      state.recordCall(service, op, e.code);
      send(res, e.status, { __type: e.code, message: e.message }, headers);
    }
  }

  /** A REST call (S3): the handler names its action, is authorized, and answers with its own status, headers and bytes. */
  async function serveRest(req: IncomingMessage, res: ServerResponse, handler: RestHandler, url: URL, raw: Buffer): Promise<void> {
    const service = signingService(req) ?? 'rest';
    const ctx = context(req, service, '');
    const request = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: raw.toString('utf8'), raw, json: () => JSON.parse(raw.toString('utf8')) as unknown };
    const out = await handler(request, {
      ...ctx,
      authorize: async (action, input) => {
        ctx.action = action;
        await slowly(service, action);
        state.faults.check(service, action);
        await authorize({ ...ctx, action }, input);
      },
    });
    state.recordCall(service, ctx.action || 'Unknown', out.status && out.status >= 300 ? String(out.headers?.['x-sim-error-code'] ?? out.status) : undefined);
    const body = out.raw ?? Buffer.from(typeof out.body === 'string' ? out.body : out.body === undefined ? '' : JSON.stringify(out.body));
    const headers: Record<string, string> = { 'x-amz-request-id': ctx.requestId, ...out.headers };
    delete headers['x-sim-error-code'];
    res.writeHead(out.status ?? 200, { ...headers, 'content-length': req.method === 'HEAD' ? headers['content-length'] ?? '0' : String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function serveQuery(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const params = Object.fromEntries(new URLSearchParams(body));
    const action = params.Action ?? '';
    const service = pickQueryService(params.Version, req);
    const ctx = context(req, service?.name ?? 'unknown', action);
    const xmlHeaders = { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': ctx.requestId };
    try {
      if (!service) throw new SimError('InvalidAction', `No service for Version=${params.Version}`);
      const handler = service.handlers[action];
      const op = service.schemas[`${action}$`] as unknown[] | undefined;
      if (!handler || !op) throw new SimError('InvalidAction', `The action ${action} is not valid for this web service.`);
      const lazy = (x: unknown) => (typeof x === 'function' ? (x as () => unknown)() : x);
      const inSchema = lazy(op[4]) as Parameters<typeof decodeQuery>[0];
      const outSchema = lazy(op[5]) as Parameters<typeof encodeXml>[0];
      await slowly(service.name, action);
      state.faults.check(service.name, action);
      const input = decodeQuery(inSchema, params, service.settings);
      await authorize(ctx, input);
      const result = (await handler(input, ctx)) ?? {};
      state.recordCall(service.name, action);
      send(res, 200, okXml(service, action, encodeXml(outSchema, result), ctx.requestId), xmlHeaders);
    } catch (err) {
      const e = asSimError(err);
      state.recordCall(service?.name ?? 'unknown', action, e.code);
      send(res, e.status, errorXml(service, e, ctx.requestId), xmlHeaders);
    }
  }

  server.listen(options.port ?? 0, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://${host}:${port}`;

  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hopper-sim-'));
  mkdirSync(dataDir, { recursive: true });
  const cleanups: (() => void)[] = [];
  for (const plugin of plugins.values()) {
    const c = plugin({ state, endpoint, dataDir });
    if (c) cleanups.push(c);
  }
  const saver =
    options.dataDir !== undefined
      ? setInterval(() => saveSnapshot(state, options.dataDir as string), options.saveIntervalMs ?? 30_000)
      : undefined;
  saver?.unref();

  let stopped = false;
  return {
    url: endpoint,
    port,
    state,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (saver) clearInterval(saver);
      for (const c of cleanups) c();
      state.clock.stop();
      if (options.dataDir) saveSnapshot(state, options.dataDir);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // After the plugins stopped what ran on the hosts' disks.
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function pickQueryService(version: string | undefined, req: IncomingMessage): QueryService | undefined {
  for (const s of queryServices.values()) if (s.version === version) return s;
  const scope = signingService(req);
  for (const s of queryServices.values()) if (s.signingName === scope) return s;
  return undefined;
}

/** `Credential=AKID/20240101/us-east-1/ec2/aws4_request` → parts of the scope. */
function credentialScope(req: IncomingMessage): string[] {
  const auth = String(req.headers.authorization ?? '');
  const m = /Credential=([^,\s]+)/.exec(auth);
  return m ? m[1].split('/') : [];
}

function signingRegion(req: IncomingMessage): string {
  return credentialScope(req)[2] ?? 'us-east-1';
}

function signingService(req: IncomingMessage): string | undefined {
  return credentialScope(req)[3];
}

function asSimError(err: unknown): SimError {
  if (err instanceof SimError) return err;
  return new SimError('InternalError', err instanceof Error ? err.message : String(err), 500);
}

function okXml(service: QueryService, action: string, inner: string, requestId: string): string {
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${service.xmlns}">`;
  if (service.settings.ec2) return `${head}<requestId>${requestId}</requestId>${inner}</${action}Response>`;
  return `${head}<${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

function errorXml(service: QueryService | undefined, e: SimError, requestId: string): string {
  const code = escapeXml(e.code);
  const msg = escapeXml(e.message);
  if (!service || service.settings.ec2) {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${msg}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
  }
  const type = e.status >= 500 ? 'Receiver' : 'Sender';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${service.xmlns}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${msg}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain' : 'application/json';
  res.writeHead(status, { 'content-type': type, ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
