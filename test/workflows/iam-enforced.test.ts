/**
 * The embedded runtime deploys every function's role to the simulator and runs each
 * function as its role: what a workflow does passes only if its packaged IAM grants it,
 * exactly as on AWS. A grant taken away fails the workflow with AWS's own refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionRoleName } from '../../local/runtime/iam';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
}, 60_000);
afterAll(() => cp?.stop());

interface IamView {
  roles: { name: string; policies: { name: string; document: { Statement: { Action: string[] }[] } }[] }[];
  instanceProfiles: Record<string, string>;
  denials: { principal: string; action: string; resource: string }[];
}

async function iam(): Promise<IamView> {
  return (await (await fetch(`${cp.cloud}/_sim/iam`)).json()) as IamView;
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
  it('deploys one role per function and the instance roles with their profiles', async () => {
    const view = await iam();
    const names = new Set(view.roles.map((r) => r.name));
    for (const fn of Object.keys(cp.embedded.config.functions)) expect(names.has(functionRoleName(cp.embedded.config, fn)), fn).toBe(true);
    expect(view.instanceProfiles).toMatchObject({ ControlPlaneInstanceProfile: 'ControlPlaneRole', NodeInstanceProfile: 'NodeRole' });
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

  it('creates a cluster with every call authorized, none refused on the way', async () => {
    const before = (await iam()).denials.length;
    const op = await create('granted');
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    // A refusal a step swallowed (as NotFound, say) would show here.
    expect((await iam()).denials.slice(before)).toEqual([]);
  }, 300_000);
});
