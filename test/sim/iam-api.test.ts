/**
 * IAM's own API in the simulator, driven by the unmodified IAM SDK client: roles with
 * paths, inline and managed policies and a permissions boundary; instance profiles; IAM's
 * refusals (exists, conflict, limit, malformed); a boundary capping a role's session; and
 * the eventual consistency every tool that creates an instance profile meets — EC2 refuses
 * a profile it has not been shown yet.
 */
import * as ec2 from '@aws-sdk/client-ec2';
import * as iam from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../../local/sim/server';
import { PROFILE_PROPAGATION_SECONDS } from '../../local/sim/iam/principals';
import { credentials, refusal, startSim, until } from './sim-helpers';

let sim: SimServer;
let admin: iam.IAMClient;
let boundaryArn = '';

const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });


async function session(role: string): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> {
  const res = await fetch(`${sim.url}/_sim/iam/roles/${role}/sessions`, { method: 'POST', body: '{}' });
  return (await res.json()) as { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}

beforeAll(async () => {
  sim = await startSim({ timeScale: 50 });
  admin = new iam.IAMClient({ endpoint: sim.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  const res = await fetch(`${sim.url}/_sim/iam/policies/test-boundary`, {
    method: 'PUT',
    body: JSON.stringify({ document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ec2:Describe*', 'ssm:GetParameter'], Resource: '*' }] } }),
  });
  boundaryArn = ((await res.json()) as { arn: string }).arn;
});
afterAll(async () => {
  admin?.destroy();
  await sim?.stop();
});

describe('the IAM API', () => {
  it('creates a role under a path with a boundary, its policies and a profile holding it', async () => {
    const created = await admin.send(
      new iam.CreateRoleCommand({ RoleName: 'hopper-t-node', Path: '/hopper/', AssumeRolePolicyDocument: TRUST, PermissionsBoundary: boundaryArn, Tags: [{ Key: 'hopper:cluster', Value: 't' }] }),
    );
    expect(created.Role).toMatchObject({ Arn: 'arn:aws:iam::000000000000:role/hopper/hopper-t-node', Path: '/hopper/', PermissionsBoundary: { PermissionsBoundaryArn: boundaryArn } });
    await admin.send(new iam.PutRolePolicyCommand({ RoleName: 'hopper-t-node', PolicyName: 'join', PolicyDocument: doc({ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' }) }));
    await admin.send(new iam.AttachRolePolicyCommand({ RoleName: 'hopper-t-node', PolicyArn: boundaryArn }));
    expect((await admin.send(new iam.ListRolePoliciesCommand({ RoleName: 'hopper-t-node' }))).PolicyNames).toEqual(['join']);
    const got = await admin.send(new iam.GetRolePolicyCommand({ RoleName: 'hopper-t-node', PolicyName: 'join' }));
    expect(JSON.parse(decodeURIComponent(got.PolicyDocument ?? ''))).toMatchObject({ Statement: [{ Action: 'ssm:GetParameter' }] });

    await admin.send(new iam.CreateInstanceProfileCommand({ InstanceProfileName: 'hopper-t-node', Path: '/hopper/' }));
    await admin.send(new iam.AddRoleToInstanceProfileCommand({ InstanceProfileName: 'hopper-t-node', RoleName: 'hopper-t-node' }));
    const profile = await admin.send(new iam.GetInstanceProfileCommand({ InstanceProfileName: 'hopper-t-node' }));
    expect(profile.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual(['hopper-t-node']);
  });

  it("refuses as IAM does: a name taken, a second role in a profile, deleting what is in use, a policy that is not one, one that does not exist", async () => {
    expect(await refusal(admin.send(new iam.CreateRoleCommand({ RoleName: 'hopper-t-node', AssumeRolePolicyDocument: TRUST })))).toMatchObject({ name: 'EntityAlreadyExistsException', status: 409 });
    await admin.send(new iam.CreateRoleCommand({ RoleName: 'other', AssumeRolePolicyDocument: TRUST }));
    expect(await refusal(admin.send(new iam.AddRoleToInstanceProfileCommand({ InstanceProfileName: 'hopper-t-node', RoleName: 'other' })))).toMatchObject({ name: 'LimitExceededException' });
    expect(await refusal(admin.send(new iam.DeleteRoleCommand({ RoleName: 'hopper-t-node' })))).toMatchObject({ name: 'DeleteConflictException' });
    expect(await refusal(admin.send(new iam.DeleteInstanceProfileCommand({ InstanceProfileName: 'hopper-t-node' })))).toMatchObject({ name: 'DeleteConflictException' });
    expect(await refusal(admin.send(new iam.PutRolePolicyCommand({ RoleName: 'other', PolicyName: 'x', PolicyDocument: '{"nope"' })))).toMatchObject({ name: 'MalformedPolicyDocumentException' });
    expect(await refusal(admin.send(new iam.AttachRolePolicyCommand({ RoleName: 'other', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' })))).toMatchObject({ name: 'NoSuchEntityException', status: 404 });
    expect(await refusal(admin.send(new iam.GetRoleCommand({ RoleName: 'nobody' })))).toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('deletes in the order IAM requires: role out of the profile, profile, policies, role', async () => {
    await admin.send(new iam.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'hopper-t-node', RoleName: 'hopper-t-node' }));
    await admin.send(new iam.DeleteInstanceProfileCommand({ InstanceProfileName: 'hopper-t-node' }));
    await admin.send(new iam.DeleteRolePolicyCommand({ RoleName: 'hopper-t-node', PolicyName: 'join' }));
    await admin.send(new iam.DetachRolePolicyCommand({ RoleName: 'hopper-t-node', PolicyArn: boundaryArn }));
    await admin.send(new iam.DeleteRoleCommand({ RoleName: 'hopper-t-node' }));
    expect(await refusal(admin.send(new iam.GetRoleCommand({ RoleName: 'hopper-t-node' })))).toMatchObject({ name: 'NoSuchEntityException' });
  });

  it("caps a session with its role's permissions boundary: allowed by the role, refused by the boundary", async () => {
    await admin.send(new iam.CreateRoleCommand({ RoleName: 'bounded', AssumeRolePolicyDocument: TRUST, PermissionsBoundary: boundaryArn }));
    await admin.send(new iam.PutRolePolicyCommand({ RoleName: 'bounded', PolicyName: 'all', PolicyDocument: doc({ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }) }));
    const client = new ec2.EC2Client({ endpoint: sim.url, region: 'us-east-1', credentials: await session('bounded'), maxAttempts: 1 });
    await client.send(new ec2.DescribeVpcsCommand({}));
    const refused = await refusal(client.send(new ec2.CreateVpcCommand({ CidrBlock: '10.1.0.0/16' })));
    expect(refused.name).toBe('UnauthorizedOperation');
    expect(refused.message).toContain('because no permissions boundary allows the ec2:CreateVpc action');
    client.destroy();
  });

  it('authorizes IAM calls too: a role may create roles only under its path and with the boundary', async () => {
    await admin.send(new iam.CreateRoleCommand({ RoleName: 'creator', AssumeRolePolicyDocument: TRUST }));
    await admin.send(
      new iam.PutRolePolicyCommand({
        RoleName: 'creator',
        PolicyName: 'create',
        PolicyDocument: doc({ Effect: 'Allow', Action: ['iam:CreateRole', 'iam:PutRolePolicy'], Resource: 'arn:aws:iam::000000000000:role/hopper/*', Condition: { StringEquals: { 'iam:PermissionsBoundary': boundaryArn } } }),
      }),
    );
    const client = new iam.IAMClient({ endpoint: sim.url, region: 'us-east-1', credentials: await session('creator'), maxAttempts: 1 });
    await client.send(new iam.CreateRoleCommand({ RoleName: 'hopper-ok', Path: '/hopper/', AssumeRolePolicyDocument: TRUST, PermissionsBoundary: boundaryArn }));
    await client.send(new iam.PutRolePolicyCommand({ RoleName: 'hopper-ok', PolicyName: 'p', PolicyDocument: doc({ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }) }));
    const unbounded = await refusal(client.send(new iam.CreateRoleCommand({ RoleName: 'hopper-free', Path: '/hopper/', AssumeRolePolicyDocument: TRUST })));
    expect(unbounded).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(unbounded.message).toContain('iam:CreateRole on resource: arn:aws:iam::000000000000:role/hopper/hopper-free');
    const elsewhere = await refusal(client.send(new iam.CreateRoleCommand({ RoleName: 'admin2', AssumeRolePolicyDocument: TRUST, PermissionsBoundary: boundaryArn })));
    expect(elsewhere.name).toBe('AccessDenied');
    // A role outside the path (no boundary): its policies cannot be changed by this role.
    expect((await refusal(client.send(new iam.PutRolePolicyCommand({ RoleName: 'other', PolicyName: 'p', PolicyDocument: doc({ Effect: 'Allow', Action: '*', Resource: '*' }) })))).name).toBe('AccessDenied');
    client.destroy();
  });
});

describe('instance profiles and EC2', () => {
  it('refuses a launch with a profile IAM has not shown EC2 yet, and accepts it once it has', async () => {
    const client = new ec2.EC2Client({ endpoint: sim.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    const vpc = (await client.send(new ec2.CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const subnet = (await until(() => client.send(new ec2.CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' })).catch(() => undefined), 10_000)).Subnet!.SubnetId!;
    const image = (await client.send(new ec2.DescribeImagesCommand({ Owners: ['099720109477'] }))).Images![0].ImageId!;
    const launch = (profile: string) => client.send(new ec2.RunInstancesCommand({ ImageId: image, InstanceType: 't3.small', MinCount: 1, MaxCount: 1, SubnetId: subnet, IamInstanceProfile: { Name: profile } }));

    expect(await refusal(until(() => launch('never-made'), 10_000))).toMatchObject({
      name: 'InvalidParameterValue',
      message: 'Value (never-made) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name',
    });

    // Read before the calls: propagation counts from when IAM took them, a little before they
    // returned (CI once saw the launch accepted 7,950 ms after a clock read taken on return).
    const madeAt = sim.state.clock.now();
    await admin.send(new iam.CreateInstanceProfileCommand({ InstanceProfileName: 'fresh' }));
    await admin.send(new iam.AddRoleToInstanceProfileCommand({ InstanceProfileName: 'fresh', RoleName: 'other' }));
    const early = await refusal(launch('fresh'));
    expect(sim.state.clock.now() - madeAt).toBeLessThan(PROFILE_PROPAGATION_SECONDS * 1000);
    expect(early.name).toBe('InvalidParameterValue');
    // A launch retried for a few seconds gets through, as every tool that creates one retries.
    const launched = await until(() => launch('fresh').catch(() => undefined), 10_000);
    expect(sim.state.clock.now() - madeAt).toBeGreaterThanOrEqual(PROFILE_PROPAGATION_SECONDS * 1000);
    expect(launched.Instances?.[0]?.IamInstanceProfile?.Arn).toBe('arn:aws:iam::000000000000:instance-profile/fresh');
    client.destroy();
  });
});

describe('the judgement the embedded runtime asks for (DynamoDB, EventBridge)', () => {
  it('follows a policy change at once, though decisions are remembered', async () => {
    await admin.send(new iam.CreateRoleCommand({ RoleName: 'judged', AssumeRolePolicyDocument: TRUST }));
    await admin.send(new iam.PutRolePolicyCommand({ RoleName: 'judged', PolicyName: 'table', PolicyDocument: doc({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/hopper' }) }));
    const { accessKeyId } = await session('judged');
    const ask = async () =>
      (await (await fetch(`${sim.url}/_sim/iam/authorize`, { method: 'POST', body: JSON.stringify({ accessKeyId, action: 'dynamodb:GetItem', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/hopper' }) })).json()) as { allowed: boolean; message?: string };
    expect((await ask()).allowed).toBe(true);
    expect((await ask()).allowed).toBe(true);
    await admin.send(new iam.DeleteRolePolicyCommand({ RoleName: 'judged', PolicyName: 'table' }));
    const after = await ask();
    expect(after.allowed).toBe(false);
    expect(after.message).toContain('is not authorized to perform: dynamodb:GetItem');
  });
});
