/**
 * The console's files as the API serves them (functions/api/console.ts): the page and what it
 * loads first stay under 300 KB compressed, hashed assets are cached for good and the page
 * never, the page may load scripts from its own origin only, and nothing outside the built
 * console can be asked for.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { serveConsole } from '../../functions/api/console';

const get = (rawPath: string, gzip = true) =>
  serveConsole({ routeKey: rawPath === '/' ? 'GET /' : 'GET /console/{path+}', headers: gzip ? { 'accept-encoding': 'gzip, deflate, br' } : {}, pathParameters: rawPath === '/' ? undefined : { path: rawPath.replace(/^\/console\//, '') } }) as Promise<{ statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded?: boolean }>;

describe('the console’s files', () => {
  it('load under 300 KB compressed: the page and every script and stylesheet it names', async () => {
    const page = await get('/');
    expect(page.statusCode, 'built by npm install (npm run build:console)').toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const html = gunzipSync(Buffer.from(page.body, 'base64')).toString('utf8');
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    let total = Buffer.from(page.body, 'base64').length;
    for (const asset of assets) {
      const res = await get(asset);
      expect(res.statusCode, asset).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers['cache-control']).toContain('immutable');
      total += Buffer.from(res.body, 'base64').length;
    }
    expect(total).toBeLessThan(300 * 1024);
  });

  it('serves plain bytes to a client that does not take gzip', async () => {
    const page = await get('/', false);
    expect(page.headers['content-encoding']).toBeUndefined();
    expect(Buffer.from(page.body, 'base64').toString('utf8')).toContain('<main id="app"');
  });

  it('answers 404 for anything outside the built console', async () => {
    for (const path of ['/console/../package.json', '/console/assets/../../../package.json', '/console/%2e%2e/package.json', '/console/nothing.js', '/console//etc/passwd']) {
      expect((await get(path)).statusCode, path).toBe(404);
    }
  });
});
