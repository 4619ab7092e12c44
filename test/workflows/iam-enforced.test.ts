/**
 * The embedded runtime deploys every function's role to the simulator and runs each
 * function as its role: what a workflow does passes only if its packaged IAM grants it,
 * exactly as on AWS. A grant taken away fails the workflow with AWS's own refusal.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionRoleName } from '../../local/runtime/iam';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
}, 60_000);
afterAll(() => cp?.stop());

interface IamView {
  roles: { name: string; arn: string; permissionsBoundary?: string; managedPolicyArns: string[]; policies: { name: string; document: { Statement: { Action: string[] }[] } }[] }[];
  policies: { name: string; arn: string }[];
  instanceProfiles: Record<string, string>;
  oidcProviders: { arn: string; url: string; clientIds: string[]; tags: Record<string, string> }[];
  denials: { principal: string; action: string; resource: string }[];
}

async function iam(): Promise<IamView> {
  return (await (await fetch(`${cp.cloud}/_sim/iam`)).json()) as IamView;
}

let grantedIssuer = '';
const issuerBucket = (url: string) => /^https:\/\/([^.]+)\.s3\./.exec(url)![1];
const issuerPrefix = (url: string) => url.replace(/^https:\/\/[^/]+\//, '');

/** The objects published under an issuer's prefix in its bucket. */
async function issuerDocuments(url: string): Promise<string[]> {
  const s3 = new S3Client({ endpoint: cp.cloud, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: issuerBucket(url), Prefix: `${issuerPrefix(url)}/` }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  } finally {
    s3.destroy();
  }
}

async function putRole(name: string, policies: unknown): Promise<void> {
  const res = await fetch(`${cp.cloud}/_sim/iam/roles/${name}`, { method: 'PUT', body: JSON.stringify({ policies }) });
  expect(res.status).toBe(200);
}

async function create(name: string) {
  const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', { name, region: 'us-east-1', zones: ['us-east-1a'], topology: 'public' });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return cp.waitForOperation(res.body.operation.id, 240_000);
}

describe('IAM enforced on the embedded runtime', () => {
  it("deploys a role for each function (its own, or the one it shares with functions of the same grants), the hosts' managed policies and the image builder's role with its profile", async () => {
    const view = await iam();
    const names = new Set(view.roles.map((r) => r.name));
    for (const fn of Object.keys(cp.embedded.config.functions)) expect(names.has(functionRoleName(cp.embedded.config, fn)), fn).toBe(true);
    expect(view.instanceProfiles).toMatchObject({ ImageBuilderInstanceProfile: 'ImageBuilderRole' });
    const stage = cp.embedded.config.stage;
    expect(view.policies.map((p) => p.name).sort()).toEqual([`hopper-${stage}-host-agent`, `hopper-${stage}-host-boundary`]);
  });

  it('fails a create whose VPC step lost its ec2:CreateVpc grant with EC2 UnauthorizedOperation, and creates no VPC', async () => {
    const roleName = functionRoleName(cp.embedded.config, 'ensureVpc');
    const role = (await iam()).roles.find((r) => r.name === roleName);
    expect(role).toBeDefined();
    const original = role!.policies;
    const reduced = original.map((p) => ({
      ...p,
      document: { ...p.document, Statement: p.document.Statement.map((s) => ({ ...s, Action: s.Action.filter((a) => a !== 'ec2:CreateVpc') })) },
    }));
    await putRole(roleName, reduced);
    try {
      const op = await create('nogrant');
      expect(op.status).toBe('Failed');
      const error = JSON.stringify(op.error);
      expect(error).toContain('UnauthorizedOperation');
      expect(error).toContain(`assumed-role/${roleName}/ensureVpc is not authorized to perform: ec2:CreateVpc`);
      const vpcs = ((await cp.simResources()).vpcs ?? []) as { tags: Record<string, string> }[];
      expect(vpcs.filter((v) => v.tags['hopper:cluster'] === 'nogrant')).toHaveLength(0);
    } finally {
      await putRole(roleName, original);
    }
  }, 300_000);

  it("refuses a function's DynamoDB call its role does not grant, as DynamoDB does, and only that one", async () => {
    const created = await cp.request('POST', '/v1/clusters', { name: 'tabled', region: 'us-east-1', zones: ['us-east-1a'], topology: 'public' });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const roleName = functionRoleName(cp.embedded.config, 'apiListEvents');
    const role = (await iam()).roles.find((r) => r.name === roleName)!;
    const original = role.policies;
    const withoutQuery = original.map((p) => ({ ...p, document: { ...p.document, Statement: p.document.Statement.map((st) => ({ ...st, Action: st.Action.filter((a) => a !== 'dynamodb:Query') })) } }));
    const before = (await iam()).denials.length;
    await putRole(roleName, withoutQuery);
    try {
      // The function's GetItem still passes (the cluster is found); its Query is refused: a 500, as API Gateway answers a failed function.
      const res = await cp.request('GET', '/v1/clusters/tabled/events');
      expect(res.status).toBe(500);
      const denials = (await iam()).denials.slice(before);
      expect(denials).toEqual([expect.objectContaining({ action: 'dynamodb:Query', resource: expect.stringMatching(/^arn:aws:dynamodb:us-east-1:000000000000:table\/[\w-]+$/), principal: expect.stringContaining(`assumed-role/${roleName}/`) })]);
    } finally {
      await putRole(roleName, original);
    }
    expect((await cp.request('GET', '/v1/clusters/tabled/events')).status).toBe(200);
    // The create goes on meanwhile, every call of it allowed; it ends before the next test counts refusals.
    const op = await cp.waitForOperation((created.body as { operation: { id: string } }).operation.id, 240_000);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
  }, 300_000);

  it('creates a cluster with every call authorized, none refused on the way', async () => {
    const before = (await iam()).denials.length;
    const op = await create('granted');
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    // A refusal a step swallowed (as NotFound, say) would show here.
    expect((await iam()).denials.slice(before)).toEqual([]);

    // The cluster's own host roles: under Hopper's path, held by the boundary, each in its profile.
    const view = await iam();
    const boundary = view.policies.find((p) => p.name === `hopper-${cp.embedded.config.stage}-host-boundary`)!.arn;
    for (const kind of ['control-plane', 'node']) {
      const name = `hopper-granted-${kind}`;
      expect(view.instanceProfiles[name]).toBe(name);
      expect(view.roles.find((r) => r.name === name)).toMatchObject({ arn: `arn:aws:iam::000000000000:role/hopper/${name}`, permissionsBoundary: boundary });
    }
    const instances = ((await cp.simResources()).instances ?? []) as { state: string; tags: Record<string, string>; iamInstanceProfile?: { name?: string } }[];
    // The cluster's running hosts (its image builder, gone by now, had the stack's builder profile).
    const profiles = new Set(instances.filter((i) => i.tags['hopper:cluster'] === 'granted' && i.state === 'running').map((i) => i.iamInstanceProfile?.name));
    expect([...profiles].sort()).toEqual(['hopper-granted-control-plane', 'hopper-granted-node']);

    // Its service-account issuer: a provider tagged for it, and the issuer's documents published.
    const provider = view.oidcProviders.find((p) => p.tags['hopper:cluster'] === 'granted');
    expect(provider).toMatchObject({ clientIds: ['sts.amazonaws.com'] });
    expect(await issuerDocuments(provider!.url)).toEqual([`${issuerPrefix(provider!.url)}/.well-known/openid-configuration`, `${issuerPrefix(provider!.url)}/openid/v1/jwks`]);
    grantedIssuer = provider!.url;
  }, 300_000);

  it("deletes a cluster's host roles and profiles with it, every call authorized", async () => {
    const before = (await iam()).denials.length;
    const res = await cp.request<{ operation: { id: string } }>('DELETE', '/v1/clusters/granted');
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const op = await cp.waitForOperation(res.body.operation.id, 240_000);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    const view = await iam();
    expect(view.denials.slice(before)).toEqual([]);
    expect(view.roles.filter((r) => r.name.startsWith('hopper-granted-'))).toEqual([]);
    expect(Object.keys(view.instanceProfiles).filter((p) => p.startsWith('hopper-granted-'))).toEqual([]);
    // No role can trust its tokens any more, and its issuer's documents are gone.
    expect(view.oidcProviders.filter((p) => p.url === grantedIssuer)).toEqual([]);
    expect(await issuerDocuments(grantedIssuer)).toEqual([]);
  }, 300_000);
});
