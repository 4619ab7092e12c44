/**
 * `curl` on a simulated host: the instance metadata service (IMDSv2: PUT a token,
 * then GET with it; 401 without one when the instance requires tokens), a Kubernetes API
 * server's answers to an anonymous GET (port 6443: the health endpoints and kube-public's
 * cluster-info, which kubeadm's RBAC lets anyone read; anything else there is 403) and the
 * simulated internet of `network.ts`. Exit codes and messages are
 * curl's: 6 for an unknown host, 7 for a refused connection, 22 for an HTTP error under `-f`,
 * 28 for a timeout.
 */
import type { SimState } from '../core/state';
import type { SimInstance } from '../core/types';
import { instanceCredentials } from './instance-credentials';
import type { SimHost } from './host';
import { tokenReaches } from './metadata-hops';
import { fetchUrl } from './network';
import type { ShimRequest, ShimResult } from './protocol';

interface CurlArgs {
  url?: string;
  method: string;
  headers: Record<string, string>;
  fail: boolean;
  silent: boolean;
  showError: boolean;
  output?: string;
  /** `-m`/`--max-time`, seconds. */
  maxTime?: number;
  /** `--connect-timeout`, seconds. */
  connectTimeout?: number;
}

function parse(args: string[]): CurlArgs {
  const c: CurlArgs = { method: 'GET', headers: {}, fail: false, silent: false, showError: false };
  const withValue = ['-X', '--request', '-H', '--header', '-o', '--output', '-m', '--max-time', '--retry', '--retry-delay', '--connect-timeout', '-w', '--write-out', '-d', '--data', '-A', '--user-agent', '--retry-max-time'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (withValue.includes(a)) {
      const v = args[++i] ?? '';
      if (a === '-X' || a === '--request') c.method = v.toUpperCase();
      if (a === '-H' || a === '--header') {
        const idx = v.indexOf(':');
        if (idx > 0) c.headers[v.slice(0, idx).trim().toLowerCase()] = v.slice(idx + 1).trim();
      }
      if (a === '-o' || a === '--output') c.output = v;
      if (a === '-m' || a === '--max-time') c.maxTime = Number(v);
      if (a === '--connect-timeout') c.connectTimeout = Number(v);
      continue;
    }
    if (a === '--fail' || a === '--fail-with-body') c.fail = true;
    else if (a === '--silent') c.silent = true;
    else if (a === '--show-error') c.showError = true;
    else if (/^-[a-zA-Z]+$/.test(a)) {
      if (a.includes('f')) c.fail = true;
      if (a.includes('s')) c.silent = true;
      if (a.includes('S')) c.showError = true;
      if (a.endsWith('o')) c.output = args[++i];
    } else if (!a.startsWith('-')) c.url = a;
  }
  return c;
}

const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';

/** Answers from the metadata service. */
/**
 * `iam/security-credentials/` names the instance profile's role; `…/<role>` gives its
 * session's credentials, as the CLI and SDKs read them on EC2.
 */
function iamCredentials(state: SimState, inst: SimInstance, rest: string, now: number): { status: number; body: string } {
  const session = instanceCredentials(state, inst);
  if (!session) return { status: 404, body: '' };
  if (rest === 'iam/security-credentials/' || rest === 'iam/security-credentials') return { status: 200, body: session.role };
  if (rest === `iam/security-credentials/${session.role}`) {
    const body = {
      Code: 'Success',
      LastUpdated: new Date(now).toISOString(),
      Type: 'AWS-HMAC',
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      Token: session.sessionToken,
      // Not modelled yet: the session does not expire; AWS rotates these about hourly.
      Expiration: new Date(now + 6 * 3600_000).toISOString(),
    };
    return { status: 200, body: JSON.stringify(body, null, 2) };
  }
  return { status: 404, body: '' };
}

function imds(state: SimState, host: SimHost, inst: SimInstance, c: CurlArgs, path: string, now: number, hops: number): { status: number; body: string } | 'timeout' {
  if (inst.metadataOptions.httpEndpoint === 'disabled') return { status: 404, body: '' };
  if (path === '/latest/api/token') {
    if (c.method !== 'PUT') return { status: 405, body: '' };
    // The answer's TTL runs out on the way back: the caller waits for nothing.
    if (!tokenReaches(inst, hops)) return 'timeout';
    const ttl = Number(c.headers[TOKEN_TTL_HEADER]);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return { status: 400, body: '' };
    const token = `AQAEA${Buffer.from(`${inst.instanceId}:${now}:${Math.random()}`).toString('base64url')}==`;
    host.imdsTokens.set(token, now + ttl * 1000);
    return { status: 200, body: token };
  }
  const token = c.headers['x-aws-ec2-metadata-token'];
  if (token !== undefined) {
    const exp = host.imdsTokens.get(token);
    if (exp === undefined || exp < now) return { status: 401, body: '' };
  } else if (inst.metadataOptions.httpTokens === 'required') {
    return { status: 401, body: '' };
  }
  const region = inst.availabilityZone.replace(/[a-z]$/, '');
  const values: Record<string, string | undefined> = {
    'instance-id': inst.instanceId,
    'ami-id': inst.imageId,
    'instance-type': inst.instanceType,
    'local-ipv4': inst.privateIpAddress,
    'local-hostname': inst.privateDnsName,
    hostname: inst.privateDnsName,
    'public-ipv4': inst.publicIpAddress,
    'placement/availability-zone': inst.availabilityZone,
    'placement/region': region,
    mac: '0a:00:00:00:00:01',
    // Present only once AWS has something to say: 404 until then, as on EC2.
    'spot/instance-action': inst.spotInstanceAction ? JSON.stringify(inst.spotInstanceAction) : undefined,
    'events/maintenance/scheduled': inst.scheduledEvents?.length
      ? JSON.stringify(
          inst.scheduledEvents.map((e) => ({ Code: e.code, Description: e.description, EventId: e.id, NotBefore: imdsTime(e.notBefore), ...(e.notAfter ? { NotAfter: imdsTime(e.notAfter) } : {}), State: e.description.startsWith('[Completed]') ? 'completed' : 'active' })),
        )
      : undefined,
  };
  if (path === '/latest/meta-data/' || path === '/latest/meta-data') return { status: 200, body: Object.keys(values).filter((k) => values[k] !== undefined).join('\n') };
  if (path === '/latest/user-data') return inst.userData ? { status: 200, body: inst.userData } : { status: 404, body: '' };
  if (path === '/latest/dynamic/instance-identity/document') {
    return { status: 200, body: JSON.stringify({ accountId: state.accountId, architecture: inst.architecture, availabilityZone: inst.availabilityZone, imageId: inst.imageId, instanceId: inst.instanceId, instanceType: inst.instanceType, privateIp: inst.privateIpAddress, region }, null, 2) };
  }
  const rest = path.replace(/^\/latest\/meta-data\//, '');
  if (rest.startsWith('iam/')) return iamCredentials(state, inst, rest, now);
  const value = values[rest];
  return value === undefined ? { status: 404, body: '' } : { status: 200, body: value };
}

/** IMDS writes event times as `21 Jan 2019 09:00:43 GMT`. */
function imdsTime(iso: string): string {
  return new Date(iso).toUTCString().replace(/^\w+, /, '');
}

/** The Kubernetes API port: what a host's curl reaches there is an API server (or nothing yet). */
const API_PORT = '6443';
/** What an anonymous GET of a path at host:port meets, as seen from this host: nothing yet, or the API server's answer. */
export type AnonymousApiGet = (endpoint: string, path: string) => 'refused' | 'timeout' | { status: number; body: string };

export async function curl(state: SimState, host: SimHost, inst: SimInstance, req: ShimRequest, now: number, hops = 1, api?: AnonymousApiGet): Promise<ShimResult> {
  const c = parse(req.args);
  const err = (code: number, message: string): ShimResult => ({ exitCode: code, stderr: !c.silent || c.showError ? `curl: (${code}) ${message}\n` : '' });
  if (!c.url) return { exitCode: 2, stderr: 'curl: no URL specified\ncurl: try \'curl --help\' for more information\n' };
  let u: URL;
  try {
    u = new URL(/^[a-z]+:\/\//.test(c.url) ? c.url : `http://${c.url}`);
  } catch {
    return err(3, 'URL rejected: Malformed input to a URL function');
  }
  let res: { status: number; body: string };
  if (u.hostname === '169.254.169.254') {
    const answer = imds(state, host, inst, c, u.pathname, now, hops);
    if (answer === 'timeout') return err(28, `Operation timed out after ${Math.round((c.maxTime ?? 300) * 1000)} milliseconds with 0 bytes received`);
    res = answer;
  } else if (u.port === API_PORT && api) {
    const reach = api(`${u.hostname}:${u.port}`, u.pathname);
    if (reach === 'refused') return err(7, `Failed to connect to ${u.hostname} port ${u.port} after 0 ms: Couldn't connect to server`);
    if (reach === 'timeout') {
      // Nothing answers the connection: curl gives up after its connect timeout (or max time).
      const seconds = Math.min(c.connectTimeout ?? 300, c.maxTime ?? 300);
      await state.clock.sleep(seconds);
      return err(28, `Connection timed out after ${Math.round(seconds * 1000)} milliseconds`);
    }
    res = reach;
  } else {
    const r = fetchUrl(u.toString());
    if ('error' in r) return err(6, `Could not resolve host: ${r.host}`);
    res = r;
  }
  if (c.fail && res.status >= 400) return err(22, `The requested URL returned error: ${res.status}`);
  if (!c.output) return { stdout: res.body, exitCode: 0 };
  const path = c.output.startsWith('/') ? c.output : `${req.cwd.replace(/\/$/, '')}/${c.output}`;
  // curl opens its output as the shell would (a new file gets 0666 less the umask; an existing
  // one, or a device such as /dev/null, keeps its mode): no chmod.
  return { exitCode: 0, files: [{ path, content: res.body }] };
}
