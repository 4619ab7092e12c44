/**
 * A compromised host: with a shell on a node or a control plane of cluster A, an attacker
 * runs the AWS CLI with the host's own credentials (its instance profile's, from the
 * metadata service) against cluster B. The simulator evaluates each call against the
 * cluster's own host roles (shared/aws/host-roles.ts), as AWS would: every probe is
 * refused, while A's own hosts still read what joining A takes.
 */
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { podRoleTrustPolicy } from '../../shared/aws/service-account-issuer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';
import { onHost as onCloudHost } from '../helpers/on-host';

let cp: TestControlPlane;
let ssm: SSMClient;
type Instance = { id: string; state: { name: string } | string; tags: Record<string, string>; iamInstanceProfile?: { name?: string } };
const hosts: Record<'aNode' | 'aControlPlane' | 'bNode' | 'bControlPlane', string> = { aNode: '', aControlPlane: '', bNode: '', bControlPlane: '' };
let bGroup = '';
let bSecurityGroup = '';
let bLoadBalancer = '';

async function create(name: string, extra: Record<string, unknown> = {}) {
  const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', { name, region: 'us-east-1', zones: ['us-east-1a'], topology: 'public', ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const op = await cp.waitForOperation(res.body.operation.id, 240_000);
  expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
}

/** Runs `command` on a host as its root would, and returns its exit code and output. */
const onHost = (instanceId: string, command: string) => onCloudHost(cp.cloud, instanceId, command);

beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
  ssm = new SSMClient({ endpoint: cp.cloud, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
  await create('alpha');
  await create('beta', { api: { loadBalancer: { type: 'public' } } });
  const res = await cp.simResources();
  const running = (res.instances as unknown as Instance[]).filter((i) => (typeof i.state === 'string' ? i.state : i.state.name) === 'running');
  const pick = (cluster: string, profile: string) => running.find((i) => i.tags['hopper:cluster'] === cluster && i.iamInstanceProfile?.name === profile)?.id ?? '';
  hosts.aNode = pick('alpha', 'hopper-alpha-node');
  hosts.aControlPlane = pick('alpha', 'hopper-alpha-control-plane');
  hosts.bNode = pick('beta', 'hopper-beta-node');
  hosts.bControlPlane = pick('beta', 'hopper-beta-control-plane');
  bGroup = ((res.autoScalingGroups ?? []) as { name: string; tags: Record<string, string> }[]).find((g) => g.tags['hopper:cluster'] === 'beta')?.name ?? '';
  bSecurityGroup = ((res.securityGroups ?? []) as { id: string; tags: Record<string, string> }[]).find((g) => g.tags['hopper:cluster'] === 'beta')?.id ?? '';
  bLoadBalancer = ((res.loadBalancers ?? []) as { id: string; tags: Record<string, string> }[]).find((l) => l.tags['hopper:cluster'] === 'beta')?.id ?? '';
  for (const [k, v] of Object.entries(hosts)) expect(v, k).toMatch(/^i-/);
}, 600_000);
afterAll(async () => {
  ssm?.destroy();
  await cp?.stop();
});

/** Each probe an attacker on a host of alpha tries against beta. */
function probes(): Record<string, string> {
  return {
    "read beta's admin kubeconfig": 'aws ssm get-parameter --name /hopper/beta/kubeconfig/admin --with-decryption',
    "read beta's join token": 'aws ssm get-parameter --name /hopper/beta/join/token --with-decryption',
    "read beta's certificate key": 'aws ssm get-parameter --name /hopper/beta/join/certificate-key --with-decryption',
    "rewrite beta's join endpoint": 'aws ssm put-parameter --name /hopper/beta/join/endpoint --type SecureString --value 10.9.9.9:6443 --overwrite',
    "tag beta's control plane": `aws ec2 create-tags --resources ${hosts.bControlPlane} --tags Key=hopper:cluster,Value=alpha`,
    "stop beta's node": `aws ec2 stop-instances --instance-ids ${hosts.bNode}`,
    "terminate beta's node": `aws ec2 terminate-instances --instance-ids ${hosts.bNode}`,
    "open beta's security group": `aws ec2 authorize-security-group-ingress --group-id ${bSecurityGroup} --protocol tcp --port 22 --cidr 0.0.0.0/0`,
    "delete beta's load balancer": `aws elbv2 delete-load-balancer --load-balancer-arn ${bLoadBalancer}`,
    "resize beta's nodes": `aws autoscaling set-desired-capacity --auto-scaling-group-name ${bGroup} --desired-capacity 0`,
    "put a scaling event for beta": `aws events put-events --entries '${JSON.stringify([{ Source: 'hopper.scaling', DetailType: 'ScaleInstanceGroup', Detail: JSON.stringify({ cluster: 'beta', group: 'nodes', min: 0, max: 0, desired: 0 }), EventBusName: `hopper-${cp.embedded.config.stage}-scaling` }])}'`,
  };
}

async function attempts(from: string): Promise<{ refused: string[]; through: string[]; outputs: Record<string, string> }> {
  const refused: string[] = [];
  const through: string[] = [];
  const outputs: Record<string, string> = {};
  for (const [what, command] of Object.entries(probes())) {
    const r = await onHost(from, command);
    outputs[what] = r.err || r.out;
    if (r.code === 254 && /An error occurred \((AccessDeniedException|UnauthorizedOperation|AccessDenied)\) when calling the \w+ operation: (You are not authorized to perform this operation\. )?User: arn:aws:sts::000000000000:assumed-role\//.test(r.err)) refused.push(what);
    else through.push(what);
  }
  return { refused, through, outputs };
}

describe('a compromised host of one cluster against another', () => {
  it('the host CLI acts as the instance profile, and a node of alpha still reads what joining alpha takes', async () => {
    const who = await onHost(hosts.aNode, 'aws sts get-caller-identity --query Arn --output text');
    expect(who.out.trim()).toBe(`arn:aws:sts::000000000000:assumed-role/hopper-alpha-node/${hosts.aNode}`);
    const token = await onHost(hosts.aNode, 'aws ssm get-parameter --name /hopper/alpha/join/token --with-decryption --query Parameter.Value --output text');
    expect(token.code, token.err).toBe(0);
    expect(token.out.trim()).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  });

  it("from a node of alpha: beta's kubeconfig, parameters, instances, groups, security groups and load balancer are all refused", async () => {
    const { refused, through, outputs } = await attempts(hosts.aNode);
    expect(through, JSON.stringify(outputs, null, 1)).toEqual([]);
    expect(refused).toHaveLength(Object.keys(probes()).length);
    expect(outputs["terminate beta's node"]).toContain('UnauthorizedOperation');
    expect(outputs["read beta's join token"]).toContain('AccessDeniedException');
  }, 120_000);

  it('from a control plane of alpha: the same probes, all refused', async () => {
    const { refused, through, outputs } = await attempts(hosts.aControlPlane);
    expect(through, JSON.stringify(outputs, null, 1)).toEqual([]);
    expect(refused).toHaveLength(Object.keys(probes()).length);
  }, 120_000);

  it("from a pod on a node of alpha (its own network namespace, a hop further than the node's hop limit): no credentials, so every probe fails, alpha's join token too", async () => {
    for (const [what, command] of Object.entries(probes())) {
      const r = await onHost(hosts.aNode, `ip netns exec cni-attacker ${command}`);
      expect(r.code, `${what}: ${r.err || r.out}`).toBe(253);
      expect(r.err, what).toContain('Unable to locate credentials');
    }
    const own = await onHost(hosts.aNode, 'ip netns exec cni-attacker aws ssm get-parameter --name /hopper/alpha/join/token --with-decryption');
    expect(own.code).toBe(253);
    // The node itself still has its role.
    expect((await onHost(hosts.aNode, 'aws sts get-caller-identity --query Arn --output text')).code).toBe(0);
  }, 120_000);

  it("a join token of alpha is worthless to beta: beta's API server does not know it", async () => {
    const alphaToken = (await onHost(hosts.aControlPlane, 'aws ssm get-parameter --name /hopper/alpha/join/token --with-decryption --query Parameter.Value --output text')).out.trim();
    expect(alphaToken).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const betaTokens = await onHost(hosts.bControlPlane, 'kubeadm token list');
    expect(betaTokens.code, betaTokens.err).toBe(0);
    const betaToken = (await onHost(hosts.bControlPlane, 'aws ssm get-parameter --name /hopper/beta/join/token --with-decryption --query Parameter.Value --output text')).out.trim();
    expect(betaTokens.out).toContain(betaToken);
    expect(betaTokens.out).not.toContain(alphaToken.split('.')[0]);
  }, 120_000);

  it("a control plane of alpha still writes alpha's join data and nothing else there, and a node of alpha cannot", async () => {
    const write = (name: string) => `aws ssm put-parameter --name /hopper/alpha/${name} --type SecureString --value x --overwrite`;
    expect((await onHost(hosts.aControlPlane, write('join/probe'))).code).toBe(0);
    // Not a kubeconfig: no admin credential is published for anyone to find.
    expect((await onHost(hosts.aControlPlane, write('kubeconfig/admin'))).err).toContain('AccessDeniedException');
    const fromNode = await onHost(hosts.aNode, write('join/probe'));
    expect(fromNode.code).toBe(254);
    expect(fromNode.err).toContain('AccessDeniedException');
    // Nor does a node read alpha's certificate key: the three join values only.
    expect((await onHost(hosts.aNode, 'aws ssm get-parameter --name /hopper/alpha/join/certificate-key --with-decryption')).err).toContain('AccessDeniedException');
  }, 120_000);

  it("an instance of another workload in the account, allowed ssm:GetParameter on everything, reads only ciphertext of a cluster's join data", async () => {
    // What AmazonSSMManagedInstanceCore or ReadOnlyAccess grants any instance role in the account.
    const put = await fetch(`${cp.cloud}/_sim/iam/roles/other-workload`, {
      method: 'PUT',
      body: JSON.stringify({ policies: [{ name: 'read-parameters', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ssm:GetParameter*'], Resource: '*' }] } }] }),
    });
    expect(put.status).toBe(200);
    const session = (await (await fetch(`${cp.cloud}/_sim/iam/roles/other-workload/sessions`, { method: 'POST', body: '{}' })).json()) as { accessKeyId: string; secretAccessKey: string; sessionToken: string };
    const other = new SSMClient({ endpoint: cp.cloud, region: 'us-east-1', credentials: session, maxAttempts: 1 });
    try {
      const err = await other.send(new GetParameterCommand({ Name: '/hopper/alpha/join/token', WithDecryption: true })).catch((e: Error) => e);
      expect((err as Error).name).toBe('AccessDeniedException');
      expect((err as Error).message).toMatch(/kms:Decrypt on resource: arn:aws:kms:/);
      const sealed = await other.send(new GetParameterCommand({ Name: '/hopper/alpha/join/token' }));
      const token = (await ssm.send(new GetParameterCommand({ Name: '/hopper/alpha/join/token', WithDecryption: true }))).Parameter?.Value ?? '';
      expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
      expect(Buffer.from(sealed.Parameter?.Value ?? '', 'base64').toString('latin1')).not.toContain(token);
      expect(sealed.Parameter?.Value).not.toContain(token);
      // Under the account's aws/ssm key, as before, the same role would have read it in clear.
      await ssm.send(new PutParameterCommand({ Name: '/hopper/alpha/join/probe-aws-key', Type: 'SecureString', Value: token, Overwrite: true }));
      expect((await other.send(new GetParameterCommand({ Name: '/hopper/alpha/join/probe-aws-key', WithDecryption: true }))).Parameter?.Value).toBe(token);
    } finally {
      other.destroy();
    }
  });
});

/**
 * Pods that need AWS get a role of their own (IAM roles for service accounts), never their
 * node's: the cluster's service-account issuer is published for IAM at create, a role trusts
 * it for one service account, and the pod exchanges its projected token with STS — from its
 * own network namespace, where the node's credentials are out of reach. What that role may do
 * is all the pod gets: beta stays out of reach, and so does alpha's own join data.
 */
describe('a pod with a role of its own (IAM roles for service accounts)', () => {
  const TOKEN_FILE = '/var/run/secrets/eks.amazonaws.com/serviceaccount/token';
  let issuer: { url: string; providerArn: string; audience: string };
  let appRole = '';
  const iamAdmin = () => new IAMClient({ endpoint: cp.cloud, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });

  /** A pod's shell: the env the pod identity webhook injects, in the pod's network namespace. */
  const asPod = (role: string, command: string) => `AWS_ROLE_ARN=${role} AWS_WEB_IDENTITY_TOKEN_FILE=${TOKEN_FILE} AWS_ROLE_SESSION_NAME=reader-pod ip netns exec cni-app ${command}`;

  /** A token for apps/reader, made on alpha's control plane and handed to the pod on alpha's node. */
  async function projectToken(cluster: 'alpha' | 'beta', node: string): Promise<void> {
    const controlPlane = cluster === 'alpha' ? hosts.aControlPlane : hosts.bControlPlane;
    const kubectl = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';
    await onHost(controlPlane, `${kubectl} create serviceaccount reader -n apps`);
    const made = await onHost(controlPlane, `${kubectl} create token reader -n apps --audience sts.amazonaws.com --duration 1h`);
    expect(made.code, made.err).toBe(0);
    const written = await onHost(node, `mkdir -p ${TOKEN_FILE.replace(/\/token$/, '')} && printf %s '${made.out.trim()}' > ${TOKEN_FILE}`);
    expect(written.code, written.err).toBe(0);
  }

  beforeAll(async () => {
    const view = await cp.request<{ serviceAccountIssuer?: typeof issuer }>('GET', '/v1/clusters/alpha');
    issuer = view.body.serviceAccountIssuer!;
    const iam = iamAdmin();
    try {
      const role = await iam.send(new CreateRoleCommand({ RoleName: 'alpha-apps-reader', AssumeRolePolicyDocument: JSON.stringify(podRoleTrustPolicy(issuer.providerArn, issuer.url, 'apps/reader')) }));
      appRole = role.Role!.Arn!;
      await iam.send(new PutRolePolicyCommand({ RoleName: 'alpha-apps-reader', PolicyName: 'read-app-settings', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: 'arn:aws:ssm:us-east-1:000000000000:parameter/apps/*' }] }) }));
    } finally {
      iam.destroy();
    }
    await ssm.send(new PutParameterCommand({ Name: '/apps/greeting', Type: 'String', Value: 'hello from alpha', Overwrite: true }));
    await projectToken('alpha', hosts.aNode);
  }, 120_000);

  it("publishes each cluster's issuer where IAM reads it: the API server's own keys, and a provider tagged for the cluster", async () => {
    expect(issuer.url).toMatch(/^https:\/\/hopper-[\w-]+-oidc-000000000000-us-east-1\.s3\.us-east-1\.amazonaws\.com\/[\w-]+$/);
    expect(issuer.providerArn).toBe(`arn:aws:iam::000000000000:oidc-provider/${issuer.url.replace('https://', '')}`);
    expect(issuer.audience).toBe('sts.amazonaws.com');
    const served = await onHost(hosts.aControlPlane, 'kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /openid/v1/jwks');
    // What STS reads (it fetched these to let the pods below in): the API server's own keys.
    const [, bucket, prefix] = /^https:\/\/([^.]+)\.s3\.[^/]+\/(.+)$/.exec(issuer.url)!;
    const s3 = new S3Client({ endpoint: cp.cloud, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
    try {
      const published = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/openid/v1/jwks` }));
      expect(JSON.parse(await published.Body!.transformToString())).toEqual(JSON.parse(served.out));
      const discovery = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/.well-known/openid-configuration` }));
      expect(JSON.parse(await discovery.Body!.transformToString())).toMatchObject({ issuer: issuer.url, jwks_uri: `${issuer.url}/openid/v1/jwks` });
    } finally {
      s3.destroy();
    }
    const beta = await cp.request<{ serviceAccountIssuer?: typeof issuer }>('GET', '/v1/clusters/beta');
    expect(beta.body.serviceAccountIssuer?.url).not.toBe(issuer.url);
  });

  it('gives the pod its own role through STS, and that role reads what it was given', async () => {
    const who = await onHost(hosts.aNode, asPod(appRole, 'aws sts get-caller-identity --query Arn --output text'));
    expect(who.code, who.err).toBe(0);
    expect(who.out.trim()).toBe('arn:aws:sts::000000000000:assumed-role/alpha-apps-reader/reader-pod');
    const read = await onHost(hosts.aNode, asPod(appRole, 'aws ssm get-parameter --name /apps/greeting --query Parameter.Value --output text'));
    expect(read.out.trim()).toBe('hello from alpha');
  });

  it("from that pod: every probe against beta is refused, and alpha's join token too", async () => {
    for (const [what, command] of Object.entries(probes())) {
      const r = await onHost(hosts.aNode, asPod(appRole, command));
      expect(r.code, `${what}: ${r.err || r.out}`).toBe(254);
      expect(r.err, what).toMatch(/\((AccessDeniedException|UnauthorizedOperation|AccessDenied)\).*assumed-role\/alpha-apps-reader\/reader-pod/);
    }
    const own = await onHost(hosts.aNode, asPod(appRole, 'aws ssm get-parameter --name /hopper/alpha/join/token --with-decryption'));
    expect(own.err).toContain('AccessDeniedException');
  }, 120_000);

  it("an alpha token is useless for beta's pod role, and a beta token for alpha's", async () => {
    const beta = (await cp.request<{ serviceAccountIssuer?: typeof issuer }>('GET', '/v1/clusters/beta')).body.serviceAccountIssuer!;
    const iam = iamAdmin();
    let betaRole = '';
    try {
      betaRole = (await iam.send(new CreateRoleCommand({ RoleName: 'beta-apps-reader', AssumeRolePolicyDocument: JSON.stringify(podRoleTrustPolicy(beta.providerArn, beta.url, 'apps/reader')) }))).Role!.Arn!;
    } finally {
      iam.destroy();
    }
    const fromAlpha = await onHost(hosts.aNode, asPod(betaRole, 'aws sts get-caller-identity'));
    expect(fromAlpha.code).toBe(255);
    expect(fromAlpha.err).toContain('An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity');
    await projectToken('beta', hosts.bNode);
    const fromBeta = await onHost(hosts.bNode, asPod(appRole, 'aws sts get-caller-identity'));
    expect(fromBeta.code).toBe(255);
    expect(fromBeta.err).toContain('(AccessDenied)');
    expect((await onHost(hosts.bNode, asPod(betaRole, 'aws sts get-caller-identity --query Arn --output text'))).out.trim()).toBe('arn:aws:sts::000000000000:assumed-role/beta-apps-reader/reader-pod');
  }, 120_000);
});
