/**
 * `GET /v1/clusters/{name}/kubeconfig` hands out short-lived credentials of the caller's
 * own: a real X.509 client certificate, signed by the cluster's CA through a
 * CertificateSigningRequest on a control plane, naming the IAM principal that asked, for
 * the lifetime asked for. No long-lived admin credential is kept in Parameter Store.
 */
import { EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { signRequest } from '../../cli/sigv4';
import { caCertHash, clientSubject, x509 } from '../../shared/pki/x509';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';

let cp: TestControlPlane;
let ssm: SSMClient;
const admin = { accessKeyId: 'admin', secretAccessKey: 'admin' };
const ACCOUNT = '000000000000';

beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
  ssm = new SSMClient({ endpoint: cp.cloud, region: 'us-east-1', credentials: admin });
  const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', { name: 'kc', region: 'us-east-1', zones: ['us-east-1a'], topology: 'public' });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const op = await cp.waitForOperation(res.body.operation.id, 240_000);
  expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
}, 300_000);
afterAll(() => cp?.stop());

interface Served {
  cluster: string;
  user: string;
  expiresAt: string;
  kubeconfig: string;
  note?: string;
}

interface Credentials {
  server: string;
  ca: x509.X509Certificate;
  cert: x509.X509Certificate;
  keyDer: Buffer;
}

function credentialsOf(kubeconfig: string): Credentials {
  const doc = parse(kubeconfig) as {
    'current-context': string;
    clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const pem = (b64: string) => Buffer.from(b64, 'base64').toString();
  const keyPem = pem(doc.users[0].user['client-key-data']);
  expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  return {
    server: doc.clusters[0].cluster.server,
    ca: new x509.X509Certificate(pem(doc.clusters[0].cluster['certificate-authority-data'])),
    cert: new x509.X509Certificate(pem(doc.users[0].user['client-certificate-data'])),
    keyDer: Buffer.from(x509.PemConverter.decodeFirst(keyPem)),
  };
}

/** Whether the private key in the kubeconfig is the one the certificate was issued for. */
async function keyMatches(c: Credentials): Promise<boolean> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const key = await webcrypto.subtle.importKey('pkcs8', c.keyDer, alg, false, ['sign']);
  const data = Buffer.from('proof of possession');
  const signature = await webcrypto.subtle.sign(alg, key, data);
  return webcrypto.subtle.verify(alg, await c.cert.publicKey.export(alg, ['verify'], webcrypto as never), signature, data);
}

/** The simulated clock, on which the cluster's signer issues and the API server checks. */
const simNow = async () => ((await (await fetch(`${cp.cloud}/_sim/clock`)).json()) as { epochMs: number }).epochMs;

interface Serving {
  status: number;
  body: Served & { error?: { message: string; details?: { path: string; message: string }[] } };
  /** The simulated moments just before and after the request: the certificate was signed in between. */
  issuedWithin: [number, number];
}

async function serve(query = ''): Promise<Serving> {
  const before = await simNow();
  const res = await cp.request<Serving['body']>('GET', `/v1/clusters/kc/kubeconfig${query}`);
  return { ...res, issuedWithin: [before, await simNow()] };
}

/** The certificate stops being valid `seconds` after it was signed (on the simulated clock). */
function expectLifetime(cert: x509.X509Certificate, served: Serving, seconds: number): void {
  const [from, to] = served.issuedWithin;
  expect(cert.notAfter.getTime()).toBeGreaterThanOrEqual(Math.floor(from / 1000) * 1000 + seconds * 1000);
  expect(cert.notAfter.getTime()).toBeLessThanOrEqual(to + seconds * 1000);
  // Valid from before it was signed (backdated for clock skew), on the wall clock too.
  expect(cert.notBefore.getTime()).toBeLessThanOrEqual(Math.min(from, Date.now()) - 300_000 + 1000);
}

describe('the kubeconfig the API serves', () => {
  it('holds a one-hour client certificate for the caller, signed by the cluster CA that nodes pin when they join', async () => {
    const res = await serve();
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const c = credentialsOf(res.body.kubeconfig);
    expect(clientSubject(c.cert)).toEqual({ commonName: `arn:aws:iam::${ACCOUNT}:root`, organizations: ['kubeadm:cluster-admins'] });
    expect(res.body.user).toBe(`arn:aws:iam::${ACCOUNT}:root`);
    expectLifetime(c.cert, res, 3600);
    expect(res.body.expiresAt).toBe(c.cert.notAfter.toISOString());
    expect(await c.cert.verify({ publicKey: c.ca.publicKey, signatureOnly: true })).toBe(true);
    expect(c.ca.subject).toBe('CN=kubernetes');
    // The same CA kubeadm join pins: its hash is the one published for joining nodes.
    const pinned = await ssm.send(new GetParameterCommand({ Name: '/hopper/kc/join/ca-cert-hash', WithDecryption: true }));
    expect(caCertHash(c.ca)).toBe(pinned.Parameter?.Value);
    expect(await keyMatches(c)).toBe(true);
    expect(c.server).toMatch(/^https:\/\/[\d.]+:6443$/);
    // A control plane's own address: the kubeconfig says it is reachable only from inside the VPC.
    expect(res.body.note).toMatch(/^the API endpoint [\d.]+:6443 is reachable only from inside the cluster's VPC .*api\.loadBalancer\.type: public/);
    const eku = c.cert.getExtension(x509.ExtendedKeyUsageExtension);
    expect(eku?.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
  }, 60_000);

  it('names the role session that signed the request', async () => {
    const put = await fetch(`${cp.cloud}/_sim/iam/roles/alice`, { method: 'PUT', body: JSON.stringify({ policies: [] }) });
    expect(put.status).toBe(200);
    const session = (await (await fetch(`${cp.cloud}/_sim/iam/roles/alice/sessions`, { method: 'POST', body: JSON.stringify({ sessionName: 'alice' }) })).json()) as {
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken: string;
      arn: string;
    };
    const url = `${cp.api}/v1/clusters/kc/kubeconfig`;
    const headers = await signRequest({ method: 'GET', url, headers: {} }, { credentials: session, region: 'us-east-1' });
    const res = await fetch(url, { headers });
    const body = (await res.json()) as Served;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(session.arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/alice/alice`);
    expect(clientSubject(credentialsOf(body.kubeconfig).cert).commonName).toBe(session.arn);

    // A key the simulator never issued a session for is refused, as API Gateway refuses a bad token.
    const forged = await signRequest({ method: 'GET', url, headers: {} }, { credentials: { ...session, accessKeyId: 'ASIAFORGEDFORGED0000' }, region: 'us-east-1' });
    expect((await fetch(url, { headers: forged })).status).toBe(403);
  }, 60_000);

  it('lives as long as asked (?ttl=8h), and each request gets its own key', async () => {
    const [a, b] = await Promise.all([serve('?ttl=8h'), serve('?ttl=8h')]);
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(b.status, JSON.stringify(b.body)).toBe(200);
    const ca = credentialsOf(a.body.kubeconfig);
    const cb = credentialsOf(b.body.kubeconfig);
    expectLifetime(ca.cert, a, 8 * 3600);
    expect(ca.keyDer.equals(cb.keyDer)).toBe(false);
    expect(ca.cert.serialNumber).not.toBe(cb.cert.serialNumber);
    // The CertificateSigningRequests are gone once the certificates are out.
    const kube = (await (await fetch(`${cp.cloud}/_sim/kubernetes`)).json()) as { clusters: { clusterName: string; certificateSigningRequests: string[] }[] };
    expect(kube.clusters.find((c) => c.clusterName === 'kc')?.certificateSigningRequests).toEqual([]);
  }, 60_000);

  it.each([
    ['5m', /from 10m to 24h/],
    ['48h', /from 10m to 24h/],
    ['soon', /a duration such as 30m, 1h or 8h/],
  ])('refuses ?ttl=%s with 400 naming the problem', async (ttl, message) => {
    const res = await serve(`?ttl=${ttl}`);
    expect(res.status).toBe(400);
    expect(res.body.error?.details).toEqual([expect.objectContaining({ path: 'query.ttl', message: expect.stringMatching(message) })]);
  });

  it('keeps no admin credential in Parameter Store, and none in the cluster record', async () => {
    const err = await ssm.send(new GetParameterCommand({ Name: '/hopper/kc/kubeconfig/admin', WithDecryption: true })).catch((e: Error) => e);
    expect((err as Error).name).toBe('ParameterNotFound');
    const record = await cp.request('GET', '/v1/clusters/kc');
    expect(JSON.stringify(record.body)).not.toMatch(/client-key-data|certificate-authority-data|PRIVATE KEY/);
  });

  it('answers 404 naming the cause while no control plane runs (the last test: it stops the one control plane)', async () => {
    const instances = (await cp.simResources()).instances as { id: string; tags: Record<string, string> }[];
    const controlPlane = instances.find((i) => i.tags['hopper:cluster'] === 'kc' && i.tags['hopper:role'] === 'control-plane')!.id;
    await new EC2Client({ endpoint: cp.cloud, region: 'us-east-1', credentials: admin }).send(new StopInstancesCommand({ InstanceIds: [controlPlane] }));
    const res = await serve();
    expect(res.status).toBe(404);
    expect(res.body.error?.message).toMatch(/cluster kc has no running control plane to issue a kubeconfig/);
  }, 60_000);

  it('answers 404 for a cluster that does not exist', async () => {
    const res = await cp.request<{ error: { code: string } }>('GET', '/v1/clusters/nope/kubeconfig');
    expect(res.status).toBe(404);
  });
});
