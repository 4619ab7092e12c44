/**
 * `GET /` and `GET /console/{path+}`: the web console's files (console/dist, built by `npm run
 * build:console` and packaged with this function). They hold nothing secret, so the routes are
 * not IAM-authorized — a browser cannot sign a page load; the console signs each API call
 * itself (console/src/api.ts). Hashed assets are cached for good, the page never; both are
 * gzipped for clients that take it, and a Content-Security-Policy allows this origin only.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { defineFunction } from '../lib/function';

const DIST = new URL('../../console/dist/', import.meta.url);

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  json: 'application/json',
  map: 'application/json',
};

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const json = (statusCode: number, code: string, message: string): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ error: { code, message } }),
});

function read(relative: string): Buffer | undefined {
  try {
    return readFileSync(new URL(relative, DIST));
  } catch {
    return undefined;
  }
}

export async function serveConsole(event: Pick<APIGatewayProxyEventV2, 'routeKey' | 'headers' | 'pathParameters'>): Promise<APIGatewayProxyResultV2> {
  // By route, not raw path: behind a custom domain's API mapping the raw path has a prefix.
  const wanted = event.routeKey === 'GET /' ? 'index.html' : (event.pathParameters?.path ?? '');
  // Only plain relative names under dist: no `..`, no absolute paths, no encoded tricks.
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(wanted) || wanted.split('/').some((part) => part === '..' || part === '.')) {
    return json(404, 'NotFound', `no console file ${wanted}`);
  }
  const body = read(wanted);
  if (!body) {
    if (!read('index.html')) return json(503, 'ConsoleNotBuilt', 'the web console is not built: run `npm run build:console` (npm install does it)');
    return json(404, 'NotFound', `no console file ${wanted}`);
  }
  const ext = wanted.split('.').pop() ?? '';
  const gzip = /\bgzip\b/.test(event.headers?.['accept-encoding'] ?? '');
  const content = gzip ? gzipSync(body) : body;
  return {
    statusCode: 200,
    headers: {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'cache-control': wanted.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...(gzip ? { 'content-encoding': 'gzip', vary: 'accept-encoding' } : {}),
      ...SECURITY_HEADERS,
    },
    body: content.toString('base64'),
    isBase64Encoded: true,
  };
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/' } },
    { httpApi: { method: 'GET', path: '/console/{path+}' } },
  ],
  files: ['console/dist/**'],
  permissions: [],
});

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>().handler(serveConsole);
