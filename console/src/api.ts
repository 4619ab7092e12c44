/**
 * The console's client of Hopper's REST API, on the same origin as the console.
 *
 * In AWS every route but `/healthz` and the console's own files is IAM-authorized: each
 * request carries a SigV4 signature, as the CLI's do. A browser cannot sign a page load, so
 * the console is a static app (nothing secret in it) that signs its API calls with the
 * credentials given on its Credentials page (kept in this tab's sessionStorage only, gone with
 * the tab). Without credentials it sends unsigned requests, which the embedded runtime on
 * 127.0.0.1 takes as the administrator's and API Gateway refuses (403, shown as such).
 */
import { AwsClient } from 'aws4fetch';
import { readReply } from '../../shared/api/reply';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
}

/** An API refusal as the API words it: status, code, message and every listed problem. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { path?: string; message: string }[] = [],
  ) {
    super(message);
  }
}

const KEY = 'hopper.credentials';

export function savedCredentials(): Credentials | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Credentials;
  } catch {
    return undefined;
  }
}

export function saveCredentials(c: Credentials | undefined): void {
  if (c) sessionStorage.setItem(KEY, JSON.stringify(c));
  else sessionStorage.removeItem(KEY);
}

/** Calls the API; resolves with the JSON body of a 2xx answer, rejects with an ApiError otherwise. */
export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const url = new URL(path, location.origin).toString();
  const init: RequestInit = { method, headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) };
  const creds = savedCredentials();
  // No retries of its own (aws4fetch retries 5xx ten times by default): a POST sent again could start a second operation.
  let res: Response;
  try {
    res = creds ? await new AwsClient({ ...creds, service: 'execute-api', retries: 0 }).fetch(url, init) : await fetch(url, init);
  } catch (err) {
    throw new ApiError(0, 'Unreachable', `the API did not answer: ${(err as Error).message}`);
  }
  const reply = readReply(res.status, res.statusText, await res.text());
  if (!reply.ok) throw new ApiError(res.status, reply.code, reply.message, reply.details);
  return reply.json as T;
}
