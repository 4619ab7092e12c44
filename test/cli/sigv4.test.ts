import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HopperClient } from '../../cli/client';
import { isLoopback, regionFor, signRequest } from '../../cli/sigv4';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'token' };
const date = new Date('2025-01-02T03:04:05Z');
const url = 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/clusters?dryRun=true';
const body = '{"name":"demo"}';

/** SigV4 computed here from the spec, independently of @smithy/signature-v4. */
function expectedSignature(headers: Record<string, string>, signedHeaders: string[]): string {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s).digest();
  const canonical = [
    'POST',
    '/v1/clusters',
    'dryRun=true',
    ...signedHeaders.map((h) => `${h}:${headers[h]}`),
    '',
    signedHeaders.join(';'),
    sha(body),
  ].join('\n');
  const scope = '20250102/eu-west-1/execute-api/aws4_request';
  const toSign = ['AWS4-HMAC-SHA256', '20250102T030405Z', scope, sha(canonical)].join('\n');
  let key: Buffer = hmac(`AWS4${credentials.secretAccessKey}`, '20250102');
  for (const part of ['eu-west-1', 'execute-api', 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('SigV4 signing', () => {
  it('signs for execute-api with the region, date and a verifiable signature', async () => {
    const headers = await signRequest({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body }, { credentials, region: 'eu-west-1', date });
    expect(headers['x-amz-date']).toBe('20250102T030405Z');
    expect(headers['x-amz-security-token']).toBe('token');
    const auth = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20250102\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(headers.authorization);
    expect(auth).not.toBeNull();
    const signed = auth![1].split(';');
    expect(signed).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'content-type']));
    expect(auth![2]).toBe(expectedSignature(headers, signed));
  });

  it.each([
    ['http://127.0.0.1:3000', true],
    ['http://localhost:3000', true],
    ['http://[::1]:3000', true],
    ['https://abc.execute-api.us-east-1.amazonaws.com', false],
    ['http://10.0.0.5:3000', false],
  ])('treats %s as loopback: %s', (endpoint, loopback) => {
    expect(isLoopback(endpoint)).toBe(loopback);
  });

  it('takes the region from an API Gateway host name, else from AWS_REGION', () => {
    expect(regionFor('https://abc.execute-api.ap-southeast-2.amazonaws.com/v1', {})).toBe('ap-southeast-2');
    expect(regionFor('https://abc.execute-api.cn-north-1.amazonaws.com.cn/v1', {})).toBe('cn-north-1');
    expect(regionFor('https://hopper.example.com', { AWS_REGION: 'eu-central-1' })).toBe('eu-central-1');
  });

  it('sends the Authorization header to a non-loopback endpoint', async () => {
    // No DNS tricks: capture what fetch is handed instead of sending it.
    const seen: Array<Record<string, string>> = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (_url: string, init: RequestInit) => {
      seen.push(init.headers as Record<string, string>);
      return new Response(JSON.stringify({ clusters: [] }), { status: 200 });
    }) as typeof fetch;
    try {
      const client = new HopperClient({ endpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com', credentials: async () => credentials });
      await client.listClusters();
      const local = new HopperClient({ endpoint: 'http://127.0.0.1:3000', credentials: async () => credentials });
      await local.listClusters();
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(seen[0].authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request/);
    expect(seen[0].host).toBeUndefined();
    expect(seen[1].authorization).toBeUndefined();
  });
});
