/**
 * `GET /v1/clusters/{name}/kubeconfig[?ttl=1h]`: a kubeconfig with a client certificate of
 * the caller's own, valid for `ttl` (default one hour, from 10 minutes to 24 hours).
 *
 * The long-lived admin credential never leaves the control plane. The API makes a fresh
 * key and a CSR naming the caller (CN = the IAM ARN that signed the request, O =
 * `kubeadm:cluster-admins`, the group kubeadm binds to cluster-admin), and a control plane
 * has the cluster's own signer issue the certificate over SSM (only public data comes back).
 * The key exists only in this function's memory and the response. Access is therefore
 * auditable by user in the API server's audit log, expires by itself, and is revoked for
 * everyone by removing the group's ClusterRoleBinding — unlike a shared admin.conf.
 */
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { allow, anywhere, arn, shellDocument, table } from '../../shared/aws/iam';
import { NotFoundError, ServiceUnavailableError } from '../../shared/errors';
import { kubeconfigTtlQuery } from '../../shared/api/schemas';
import { newClientRequest, x509 } from '../../shared/pki/x509';
import { CLIENT_CERTIFICATE_OUTPUT, renderIssueClientCertificateScript } from '../../shared/render';
import type { ClusterSpec } from '../../shared/spec';
import { roleFilters } from '../../shared/tags';
import { RUN_SHELL_SCRIPT, wrapScript } from '../commands/send-script';
import { CONTROL_PLANE_ROLE, recordedApiEndpoint, renderContext } from '../control-plane/render-context';
import { inSeatOrder } from '../control-plane/seats';
import { defineFunction } from '../lib/function';
import { apiDeps, type ApiDeps } from './deps';
import { outsideAddress } from './outside-address';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterParams } from './params';

/** The group kubeadm (1.29+) binds to cluster-admin: revocable, unlike system:masters. */
export const ADMIN_GROUP = 'kubeadm:cluster-admins';
/** API Gateway gives a request 30 s; the control planes must answer well within (all tries together). */
const ANSWER_WITHIN_MS = 20_000;

const query = z.object({ ttl: kubeconfigTtlQuery });

type Request = ApiRequest<unknown, z.infer<typeof clusterParams>, z.infer<typeof query>>;

export async function getKubeconfig(req: Request, deps: ApiDeps = apiDeps([ssmClient, ec2Client])): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  if (!deps.ssm || !deps.ec2) throw new Error('getKubeconfig needs the SSM and EC2 clients: apiDeps([ssmClient, ec2Client])');
  if (!req.caller) throw new Error('no caller identity: the kubeconfig route must use the aws_iam authorizer');
  const spec = record.spec as ClusterSpec;
  const notYet = () => new NotFoundError(`cluster ${record.name} has no running control plane to issue a kubeconfig (status ${record.status})`);
  const endpoint = await recordedApiEndpoint(deps, record.name).catch(() => undefined);
  if (!endpoint) throw notYet();
  const found = await deps.ec2.send(new DescribeInstancesCommand({ Filters: [...roleFilters(record.name, CONTROL_PLANE_ROLE), { Name: 'instance-state-name', Values: ['running'] }] }));
  const instances = inSeatOrder((found.Reservations ?? []).flatMap((r) => r.Instances ?? []));
  if (instances.length === 0) throw notYet();

  const ttlSeconds = req.query.ttl;
  const { keyPem, csrPem } = await newClientRequest({ commonName: req.caller, organizations: [ADMIN_GROUP] });
  const name = `hopper-${record.name}-${randomBytes(5).toString('hex')}`.slice(0, 63);
  const script = renderIssueClientCertificateScript(renderContext(spec, endpoint, deps), { name, csrPem, expirationSeconds: ttlSeconds });
  const failures: string[] = [];
  // One deadline for all of them: the next control plane is tried only within what is left.
  const deadline = Date.now() + ANSWER_WITHIN_MS;
  for (const instance of instances) {
    if (Date.now() >= deadline) break;
    const answer = await issueOn(deps, instance.InstanceId ?? '', script, record.name, deadline).catch((err: Error) => ({ error: err.message }));
    if ('error' in answer) {
      failures.push(`${instance.InstanceId}: ${answer.error}`);
      continue;
    }
    // What the certificate itself says: the signer's clock, not this function's, decides.
    const expiresAt = new x509.X509Certificate(Buffer.from(answer.certificateB64, 'base64').toString()).notAfter.toISOString();
    // The certificate is signed: a failed lookup of the outside address leaves the endpoint as it is, and says so.
    const outside = await outsideAddress(answer.server).catch((err: Error) => ({ server: answer.server, note: `could not find where ${answer.server} is reached from outside: ${err.message}` }));
    return {
      status: 200,
      body: { cluster: record.name, user: req.caller, expiresAt, kubeconfig: kubeconfig(record.name, { ...answer, ...outside }, keyPem), ...(outside.note ? { note: outside.note } : {}) },
    };
  }
  throw new ServiceUnavailableError(`no control plane of ${record.name} issued a certificate: ${failures.join('; ')}`);
}

interface Issued {
  server: string;
  caB64: string;
  certificateB64: string;
  tlsServerName?: string;
}

/** Runs the script on one instance and reads its three result lines. */
async function issueOn(deps: ApiDeps, instanceId: string, script: string, cluster: string, deadline: number): Promise<Issued> {
  const ssm = deps.ssm!;
  const sent = await ssm.send(
    new SendCommandCommand({
      DocumentName: RUN_SHELL_SCRIPT,
      InstanceIds: [instanceId],
      Comment: `hopper ${cluster} IssueKubeconfig`.slice(0, 100),
      Parameters: { commands: [wrapScript(script)], executionTimeout: ['30'] },
      TimeoutSeconds: 30,
    }),
  );
  const commandId = sent.Command?.CommandId ?? '';
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })).catch((err: Error) => {
      if (err.name === 'InvocationDoesNotExist') return undefined; // not registered yet
      throw err;
    });
    const status = inv?.Status ?? 'Pending';
    if (status === 'Success') return parseIssued(inv?.StandardOutputContent ?? '');
    if (!['Pending', 'InProgress', 'Delayed'].includes(status)) throw new Error(`${status}: ${(inv?.StandardErrorContent ?? '').trim().split('\n').pop() ?? ''}`);
    if (Date.now() > deadline) throw new Error(`no answer in time (${status})`);
  }
}

function parseIssued(stdout: string): Issued {
  const line = (prefix: string) => stdout.split('\n').find((l) => l.startsWith(prefix))?.slice(prefix.length).trim() ?? '';
  const o = CLIENT_CERTIFICATE_OUTPUT;
  const issued = { server: line(o.server), caB64: line(o.ca), certificateB64: line(o.certificate) };
  if (!issued.server || !issued.caB64 || !issued.certificateB64) throw new Error('the control plane printed no certificate');
  return issued;
}

/** The kubeconfig: cluster, user and context all named after the cluster (as kops does). */
function kubeconfig(cluster: string, issued: Issued, keyPem: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${issued.caB64}`,
    `    server: ${issued.server}`,
    ...(issued.tlsServerName ? [`    tls-server-name: ${issued.tlsServerName}`] : []),
    `  name: ${cluster}`,
    'users:',
    `- name: ${cluster}`,
    '  user:',
    `    client-certificate-data: ${issued.certificateB64}`,
    `    client-key-data: ${Buffer.from(keyPem).toString('base64')}`,
    'contexts:',
    '- context:',
    `    cluster: ${cluster}`,
    `    user: ${cluster}`,
    `  name: ${cluster}`,
    `current-context: ${cluster}`,
    'preferences: {}',
    '',
  ].join('\n');
}

export const lambda = defineFunction({
  events: [{ httpApi: { method: 'GET', path: '/v1/clusters/{name}/kubeconfig', authorizer: { type: 'aws_iam' } } }],
  permissions: [
    table('GetItem', 'Query'),
    anywhere('ec2:DescribeInstances'),
    shellDocument(),
    // Only the control planes of Hopper's clusters: the script needs admin.conf, which only they have.
    allow(['ssm:SendCommand'], [arn('ec2', 'instance/*')], { StringLike: { 'ssm:resourceTag/hopper:cluster': '*' }, StringEquals: { 'ssm:resourceTag/hopper:role': CONTROL_PLANE_ROLE } }),
    anywhere('ssm:GetCommandInvocation'),
  ],
});

export const handler = route({ params: clusterParams, query }, (req) => getKubeconfig(req));
