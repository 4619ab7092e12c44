/**
 * DynamoDB as AWS serves it to a function: only what its role allows. dynalite knows nothing of
 * IAM, so the embedded runtime puts this proxy in front of it: each request's action
 * (`X-Amz-Target: DynamoDB_20120810.<Action>`) on each table or index it names is judged by the
 * simulator for the key that signed it (`POST /_sim/iam/authorize`, the functions' roles from
 * the packaged definitions), and a refusal is answered as DynamoDB answers it (400
 * AccessDeniedException, AWS's message) before dynalite sees the request. Keys the simulator did
 * not issue — the runtime's own, a test's, the user's — act as the account's administrator
 * (design.md) and pass unasked.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { LOCAL_ACCOUNT_ID } from './serverless-config';

export type Judge = (request: { accessKeyId?: string; action: string; resource: string; context: Record<string, string> }) => Promise<{ allowed: boolean; code?: string; message?: string }>;

export interface DynamoGuard {
  endpoint: string;
  /** Who judges; until it is set (no simulator), every request passes as it would without IAM. */
  judge: Judge | undefined;
  stop(): Promise<void>;
}

/**
 * The resources one request acts on, as IAM names them: every table or index it names (a
 * batch's and a transaction's tables, a tag call's ARN), and `*` when it names none (ListTables).
 */
export function dynamoResources(action: string, body: Record<string, unknown>, region: string): string[] {
  const table = (name: string) => `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${name}`;
  const found = new Set<string>();
  if (typeof body.TableName === 'string') {
    const index = (action === 'Query' || action === 'Scan') && typeof body.IndexName === 'string' ? `/index/${body.IndexName}` : '';
    found.add(`${table(body.TableName)}${index}`);
  }
  if (body.RequestItems && typeof body.RequestItems === 'object') for (const name of Object.keys(body.RequestItems)) found.add(table(name));
  if (Array.isArray(body.TransactItems)) {
    for (const item of body.TransactItems) for (const op of Object.values(item as Record<string, { TableName?: unknown }>)) if (typeof op?.TableName === 'string') found.add(table(op.TableName));
  }
  if (typeof body.ResourceArn === 'string') found.add(body.ResourceArn);
  return found.size ? [...found] : ['*'];
}

/** The access key a request is signed with: the Authorization header's, or a presigned URL's. */
function signingKey(req: IncomingMessage): string | undefined {
  const header = /Credential=([^/,\s]+)/.exec(String(req.headers.authorization ?? ''))?.[1];
  if (header) return header;
  const query = new URL(req.url ?? '/', 'http://local').searchParams.get('X-Amz-Credential');
  return query?.split('/')[0] || undefined;
}

/**
 * `target`: dynalite's endpoint; `serve`: dynalite in this process, asked directly (a request
 * then costs one HTTP exchange, not two — every step makes several).
 */
export async function startDynamoGuard(options: { target: string; region: string; port?: number; serve?: (req: IncomingMessage, res: ServerResponse) => void }): Promise<DynamoGuard> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });
  const guard: DynamoGuard = { endpoint: '', judge: undefined, stop: async () => undefined };

  const refuse = (res: ServerResponse, type: string, message: string, status = 400) => {
    const body = JSON.stringify({ __type: type, message });
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) }).end(body);
  };
  // DynamoDB's own failure is a 500, which the SDKs retry: a connection to dynalite reset under
  // a request (a kept-alive socket it had just closed) is one of those, not the caller's error.
  const failed = (res: ServerResponse, message: string) => refuse(res, 'com.amazonaws.dynamodb.v20120810#InternalServerError', message, 500);

  // Requests on their way to dynalite: stopping waits for them, so that dynalite (stopped next)
  // never handles a write after its database has closed.
  const inFlight = new Set<Promise<void>>();

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    inFlight.add(finished);
    void finished.then(() => inFlight.delete(finished));
    res.once('close', done);
    if (options.serve) {
      // What dynalite reads of a request: its headers, method, url and body (as a stream).
      const local = Object.assign(Readable.from(body.length ? [body] : []), { headers: { ...req.headers, 'content-length': String(body.length) }, method: req.method, url: req.url });
      options.serve(local as unknown as IncomingMessage, res);
      return;
    }
    const out = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host, 'content-length': String(body.length) }, agent },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 500, upstream.headers);
        upstream.pipe(res);
      },
    );
    out.on('error', (err) => {
      if (!res.headersSent) failed(res, err.message);
      else res.destroy(err);
    });
    out.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const judge = guard.judge;
    const accessKeyId = signingKey(req);
    // Only the simulator's own session keys (ASIA…) belong to a role with limits. The action is
    // what follows the last dot, whatever API version prefixes it (dynalite takes two).
    if (judge && accessKeyId?.startsWith('ASIA')) {
      const action = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      let parsed: Record<string, unknown> = {};
      try {
        parsed = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        // dynalite answers a body it cannot read with DynamoDB's own error.
      }
      for (const resource of dynamoResources(action, parsed, options.region)) {
        const decision = await judge({ accessKeyId, action: `dynamodb:${action}`, resource, context: {} });
        if (decision.allowed) continue;
        if (decision.code === 'UnrecognizedClientException') return refuse(res, 'com.amazon.coral.service#UnrecognizedClientException', decision.message ?? 'The security token included in the request is invalid.');
        return refuse(res, 'com.amazonaws.dynamodb.v20120810#AccessDeniedException', decision.message ?? `not authorized to perform dynamodb:${action} on ${resource}`);
      }
    }
    forward(req, res, body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) failed(res, err.message);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  guard.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  guard.stop = async () => {
    const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    server.closeIdleConnections();
    // What dynalite is doing finishes (a few seconds at most) before it may be stopped.
    const deadline = Date.now() + 5000;
    while (inFlight.size > 0 && Date.now() < deadline) await Promise.race([Promise.all([...inFlight]), new Promise((resolve) => setTimeout(resolve, 100).unref())]);
    server.closeAllConnections();
    agent.destroy();
    await closed;
  };
  return guard;
}
