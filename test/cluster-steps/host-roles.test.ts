/**
 * The host-role steps run twice, after a crash half-way, and against a name that is not
 * theirs: EnsureHostRoles makes nothing twice and converges the policies; DeleteHostRoles
 * and DeleteCertificateKey find nothing left the second time.
 */
import * as iam from '@aws-sdk/client-iam';
import { DeleteParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteCertificateKey } from '../../functions/control-plane/delete-certificate-key';
import { deleteHostRoles } from '../../functions/delete/delete-host-roles';
import { ensureHostRoles } from '../../functions/identity/ensure-host-roles';
import { HOST_TRUST_POLICY } from '../../shared/aws/host-roles';
import { startStepEnv, type StepEnv } from '../helpers/step-env';

let env: StepEnv;
const client = () => env.deps.clients.iam;

async function roleNames(): Promise<string[]> {
  const view = (await (await fetch(`${env.simUrl}/_sim/iam`)).json()) as { roles: { name: string }[] };
  return view.roles.map((r) => r.name).filter((n) => n.startsWith('hopper-')).sort();
}

async function inlinePolicies(role: string): Promise<string[]> {
  return ((await client().send(new iam.ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? []).sort();
}

beforeAll(async () => {
  env = await startStepEnv();
});
afterAll(() => env?.stop());

describe('EnsureHostRoles', () => {
  it('run twice: the same two roles and profiles, one inventory record each, and a policy added by hand is gone', async () => {
    await env.createCluster({ name: 'twice', region: 'us-east-1', zones: ['us-east-1a'] });
    const first = await roleNames();
    await client().send(new iam.PutRolePolicyCommand({ RoleName: 'hopper-twice-node', PolicyName: 'by-hand', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' }] }) }));
    const out = await ensureHostRoles({ cluster: 'twice' }, env.deps);
    expect(out).toEqual({ controlPlane: 'hopper-twice-control-plane', node: 'hopper-twice-node' });
    expect(await roleNames()).toEqual(first);
    expect(first).toEqual(expect.arrayContaining(['hopper-twice-control-plane', 'hopper-twice-node']));
    expect(await inlinePolicies('hopper-twice-node')).toEqual(['ecr-read', 'join-data']);
    const records = (await env.deps.store.listResources('twice')).filter((r) => r.type === 'host-role');
    expect(records.map((r) => r.id).sort()).toEqual(['hopper-twice-control-plane', 'hopper-twice-node']);
  });

  it('after a crash between the role and its profile: the rerun makes the profile and puts the role in it', async () => {
    await env.createCluster({ name: 'crashed', region: 'us-east-1', zones: ['us-east-1a'] });
    for (const name of ['hopper-crashed-control-plane', 'hopper-crashed-node']) {
      await client().send(new iam.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
      await client().send(new iam.DeleteInstanceProfileCommand({ InstanceProfileName: name }));
    }
    await ensureHostRoles({ cluster: 'crashed' }, env.deps);
    const profile = await client().send(new iam.GetInstanceProfileCommand({ InstanceProfileName: 'hopper-crashed-node' }));
    expect(profile.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual(['hopper-crashed-node']);
  });

  it('refuses a role of that name that is not the cluster’s, and changes nothing of it', async () => {
    await client().send(
      new iam.CreateRoleCommand({ RoleName: 'hopper-taken-node', Path: '/hopper/', AssumeRolePolicyDocument: JSON.stringify(HOST_TRUST_POLICY), Tags: [{ Key: 'hopper:cluster', Value: 'someone-else' }] }),
    );
    await expect(env.createCluster({ name: 'taken', region: 'us-east-1', zones: ['us-east-1a'] })).rejects.toThrow(/hopper-taken-node exists and is not cluster taken's \(tagged for someone-else\)/);
    expect(await inlinePolicies('hopper-taken-node')).toEqual([]);
  });
});

describe('DeleteHostRoles', () => {
  it('deletes both roles and profiles and forgets them; a second run succeeds, what is gone counting as deleted', async () => {
    const { operationId } = await env.createCluster({ name: 'gone', region: 'us-east-1', zones: ['us-east-1a'] });
    const input = { cluster: 'gone', operationId, hostRoles: ['hopper-gone-control-plane', 'hopper-gone-node'] };
    expect(await deleteHostRoles(input, env.deps)).toEqual({ deleted: 2 });
    expect((await roleNames()).filter((n) => n.startsWith('hopper-gone-'))).toEqual([]);
    expect((await env.deps.store.listResources('gone')).filter((r) => r.type === 'host-role')).toEqual([]);
    expect(await deleteHostRoles(input, env.deps)).toEqual({ deleted: 2 });
  });

  it("leaves a role of that name that is not the cluster's", async () => {
    const { operationId } = await env.createCluster({ name: 'mixed', region: 'us-east-1', zones: ['us-east-1a'] });
    await client().send(
      new iam.CreateRoleCommand({ RoleName: 'hopper-mixed-extra', Path: '/hopper/', AssumeRolePolicyDocument: JSON.stringify(HOST_TRUST_POLICY), Tags: [{ Key: 'hopper:cluster', Value: 'other' }] }),
    );
    await deleteHostRoles({ cluster: 'mixed', operationId, hostRoles: ['hopper-mixed-extra'] }, env.deps);
    expect(await roleNames()).toContain('hopper-mixed-extra');
  });
});

describe('DeleteCertificateKey', () => {
  it('deletes the key, and a second run finds it gone', async () => {
    await env.deps.clients.ssm.send(new PutParameterCommand({ Name: '/hopper/keyed/join/certificate-key', Type: 'SecureString', Value: 'a'.repeat(64) }));
    expect(await deleteCertificateKey({ cluster: 'keyed' }, env.deps)).toEqual({ deleted: true });
    expect(await deleteCertificateKey({ cluster: 'keyed' }, env.deps)).toEqual({ deleted: false });
    await expect(env.deps.clients.ssm.send(new DeleteParameterCommand({ Name: '/hopper/keyed/join/certificate-key' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
  });
});
