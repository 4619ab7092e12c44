/**
 * IAM in the simulator: a role session may do what its policies allow and nothing else,
 * refused as each service refuses (EC2 UnauthorizedOperation with an encoded message,
 * SSM AccessDeniedException, Auto Scaling and ELBv2 AccessDenied), conditions on tags
 * evaluated against what the simulator holds.
 */
import * as asg from '@aws-sdk/client-auto-scaling';
import * as ec2 from '@aws-sdk/client-ec2';
import * as elb from '@aws-sdk/client-elastic-load-balancing-v2';
import * as ssm from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../../local/sim/server';
import { refusal, startSim } from './sim-helpers';

const admin = { accessKeyId: 'test', secretAccessKey: 'test' };
type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let sim: SimServer;

async function simJson(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sim.url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A role with `statements`, and a session of it. */
async function roleSession(name: string, statements: unknown[]): Promise<Credentials> {
  const put = await simJson('PUT', `/_sim/iam/roles/${name}`, { policies: [{ name: 'p', document: { Version: '2012-10-17', Statement: statements } }] });
  expect(put.status).toBe(200);
  const session = await simJson('POST', `/_sim/iam/roles/${name}/sessions`, { sessionName: 'test' });
  return session.body as unknown as Credentials;
}

const clients = (credentials: Credentials) => ({
  ec2: new ec2.EC2Client({ endpoint: sim.url, region: 'us-east-1', credentials, maxAttempts: 1 }),
  ssm: new ssm.SSMClient({ endpoint: sim.url, region: 'us-east-1', credentials, maxAttempts: 1 }),
  asg: new asg.AutoScalingClient({ endpoint: sim.url, region: 'us-east-1', credentials, maxAttempts: 1 }),
  elb: new elb.ElasticLoadBalancingV2Client({ endpoint: sim.url, region: 'us-east-1', credentials, maxAttempts: 1 }),
});

const ARN = (rest: string) => `arn:aws:ec2:us-east-1:000000000000:${rest}`;


beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim?.stop();
});

describe('simulated IAM', () => {
  it('lets an administrator key (anything not issued to a role) do everything', async () => {
    const { ec2: c } = clients(admin);
    const vpc = await c.send(new ec2.CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    expect(vpc.Vpc?.VpcId).toMatch(/^vpc-/);
  });

  it('refuses a session key it did not issue, as AWS refuses an unknown token', async () => {
    const e = await refusal(clients({ accessKeyId: 'ASIAFORGED0000000000', secretAccessKey: 'x', sessionToken: 'x' }).ec2.send(new ec2.DescribeVpcsCommand({})));
    expect(e.name).toBe('AuthFailure');
  });

  it('allows what a policy grants and refuses the rest with EC2 UnauthorizedOperation naming the caller, action and resource', async () => {
    const creds = await roleSession('vpc-maker', [
      { Effect: 'Allow', Action: ['ec2:CreateVpc', 'ec2:CreateTags'], Resource: [ARN('vpc/*')] },
      { Effect: 'Allow', Action: ['ec2:DescribeVpcs'], Resource: '*' },
    ]);
    const { ec2: c } = clients(creds);
    const made = await c.send(
      new ec2.CreateVpcCommand({ CidrBlock: '10.1.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'hopper:cluster', Value: 'a' }] }] }),
    );
    expect(made.Vpc?.VpcId).toMatch(/^vpc-/);
    const e = await refusal(c.send(new ec2.CreateSubnetCommand({ VpcId: made.Vpc?.VpcId, CidrBlock: '10.1.0.0/24', AvailabilityZone: 'us-east-1a' })));
    expect(e.name).toBe('UnauthorizedOperation');
    expect(e.status).toBe(403);
    expect(e.message).toContain('You are not authorized to perform this operation. User: arn:aws:sts::000000000000:assumed-role/vpc-maker/test');
    expect(e.message).toContain('ec2:CreateSubnet on resource: arn:aws:ec2:us-east-1:000000000000:subnet/*');
    expect(e.message).toMatch(/Encoded authorization failure message: [A-Za-z0-9+/=]+$/);
    // Nothing was made by the refused call.
    const subnets = await clients(admin).ec2.send(new ec2.DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [made.Vpc?.VpcId ?? ''] }] }));
    expect(subnets.Subnets ?? []).toHaveLength(0);
    const denials = (await simJson('GET', '/_sim/iam')).body.denials as { action: string }[];
    expect(denials.at(-1)?.action).toBe('ec2:CreateSubnet');
  });

  it('checks tagging at creation as ec2:CreateTags with ec2:CreateAction', async () => {
    const creds = await roleSession('untagged-only', [{ Effect: 'Allow', Action: ['ec2:CreateVpc'], Resource: [ARN('vpc/*')] }]);
    const { ec2: c } = clients(creds);
    await c.send(new ec2.CreateVpcCommand({ CidrBlock: '10.2.0.0/16' }));
    const e = await refusal(c.send(new ec2.CreateVpcCommand({ CidrBlock: '10.3.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'k', Value: 'v' }] }] })));
    expect(e.name).toBe('UnauthorizedOperation');
    expect(e.message).toContain('ec2:CreateTags');
  });

  it("evaluates tag conditions against the resource's tags: a cluster's role terminates its own instances, not another's", async () => {
    const administrator = clients(admin).ec2;
    const image = (await administrator.send(new ec2.DescribeImagesCommand({ Owners: ['099720109477'] }))).Images?.[0]?.ImageId;
    const vpc = (await administrator.send(new ec2.CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc?.VpcId;
    const subnet = (await administrator.send(new ec2.CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.9.0.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet?.SubnetId;
    const launch = async (cluster: string) =>
      (
        await administrator.send(
          new ec2.RunInstancesCommand({
            ImageId: image,
            SubnetId: subnet,
            InstanceType: 't3.small',
            MinCount: 1,
            MaxCount: 1,
            TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'hopper:cluster', Value: cluster }] }],
          }),
        )
      ).Instances?.[0]?.InstanceId as string;
    const [mine, theirs] = [await launch('a'), await launch('b')];
    const creds = await roleSession('cluster-a', [
      { Effect: 'Allow', Action: ['ec2:TerminateInstances'], Resource: [ARN('instance/*')], Condition: { StringEquals: { 'ec2:ResourceTag/hopper:cluster': 'a' } } },
    ]);
    const { ec2: c } = clients(creds);
    const e = await refusal(c.send(new ec2.TerminateInstancesCommand({ InstanceIds: [theirs] })));
    expect(e.name).toBe('UnauthorizedOperation');
    expect(e.message).toContain(`instance/${theirs}`);
    const done = await c.send(new ec2.TerminateInstancesCommand({ InstanceIds: [mine] }));
    expect(done.TerminatingInstances?.[0]?.InstanceId).toBe(mine);
  });

  it('passes a DeleteTags without Tags through a ForAllValues condition on aws:TagKeys, as AWS does', async () => {
    const vpc = (await clients(admin).ec2.send(new ec2.CreateVpcCommand({ CidrBlock: '10.4.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'owner', Value: 'x' }] }] })))
      .Vpc?.VpcId as string;
    const creds = await roleSession('tag-remover', [
      { Effect: 'Allow', Action: ['ec2:DeleteTags'], Resource: [ARN('vpc/*')], Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['hopper:*'] } } },
    ]);
    const { ec2: c } = clients(creds);
    expect((await refusal(c.send(new ec2.DeleteTagsCommand({ Resources: [vpc], Tags: [{ Key: 'owner' }] })))).name).toBe('UnauthorizedOperation');
    // The hole the condition leaves: no keys named, every tag deleted.
    await c.send(new ec2.DeleteTagsCommand({ Resources: [vpc] }));
    const tags = (await clients(admin).ec2.send(new ec2.DescribeVpcsCommand({ VpcIds: [vpc] }))).Vpcs?.[0]?.Tags ?? [];
    expect(tags).toEqual([]);
  });

  it('refuses SSM with AccessDeniedException and checks parameters by their ARN', async () => {
    await clients(admin).ssm.send(new ssm.PutParameterCommand({ Name: '/hopper/a/join/token', Value: 't', Type: 'SecureString' }));
    await clients(admin).ssm.send(new ssm.PutParameterCommand({ Name: '/hopper/b/join/token', Value: 't', Type: 'SecureString' }));
    const creds = await roleSession('reader-a', [
      { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: ['arn:aws:ssm:us-east-1:000000000000:parameter/hopper/a/*'] },
    ]);
    const { ssm: c } = clients(creds);
    expect((await c.send(new ssm.GetParameterCommand({ Name: '/hopper/a/join/token', WithDecryption: true }))).Parameter?.Value).toBe('t');
    const e = await refusal(c.send(new ssm.GetParameterCommand({ Name: '/hopper/b/join/token', WithDecryption: true })));
    expect(e.name).toBe('AccessDeniedException');
    expect(e.message).toBe(
      'User: arn:aws:sts::000000000000:assumed-role/reader-a/test is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:000000000000:parameter/hopper/b/join/token because no identity-based policy allows the ssm:GetParameter action',
    );
  });

  it('refuses Auto Scaling and ELBv2 calls with AccessDenied, and an explicit Deny over an Allow', async () => {
    // Resources that exist (a call naming one that does not is answered NotFound by the service).
    const administrator = clients(admin);
    const vpc = (await administrator.ec2.send(new ec2.CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc?.VpcId as string;
    const subnet = (await administrator.ec2.send(new ec2.CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.20.0.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet
      ?.SubnetId as string;
    const image = (await administrator.ec2.send(new ec2.DescribeImagesCommand({ Owners: ['099720109477'] }))).Images?.[0]?.ImageId;
    await administrator.ec2.send(new ec2.CreateLaunchTemplateCommand({ LaunchTemplateName: 'probe', LaunchTemplateData: { ImageId: image, InstanceType: 't3.small' } }));
    await administrator.asg.send(
      new asg.CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'probe', LaunchTemplate: { LaunchTemplateName: 'probe' }, MinSize: 0, MaxSize: 1, VPCZoneIdentifier: subnet }),
    );
    const lb = (await administrator.elb.send(new elb.CreateLoadBalancerCommand({ Name: 'probe-api', Type: 'network', Scheme: 'internal', Subnets: [subnet] }))).LoadBalancers?.[0]
      ?.LoadBalancerArn as string;

    const c = clients(await roleSession('nothing', [{ Effect: 'Allow', Action: ['ec2:DescribeVpcs'], Resource: '*' }]));
    const a = await refusal(c.asg.send(new asg.SetDesiredCapacityCommand({ AutoScalingGroupName: 'probe', DesiredCapacity: 1 })));
    expect([a.name, a.status]).toEqual(['AccessDenied', 403]);
    const b = await refusal(c.elb.send(new elb.DeleteLoadBalancerCommand({ LoadBalancerArn: lb })));
    expect([b.name, b.status]).toEqual(['AccessDenied', 403]);
    expect(b.message).toContain('elasticloadbalancing:DeleteLoadBalancer');

    const denied = clients(
      await roleSession('denied', [
        { Effect: 'Allow', Action: ['ec2:*'], Resource: '*' },
        { Effect: 'Deny', Action: ['ec2:DeleteVpc'], Resource: '*' },
      ]),
    );
    const d = await refusal(denied.ec2.send(new ec2.DeleteVpcCommand({ VpcId: vpc })));
    expect(d.name).toBe('UnauthorizedOperation');
    expect(d.message).toContain('with an explicit deny');
  });

  it('answers NotFound, not AccessDenied, for a resource that does not exist (as EC2 does)', async () => {
    const c = clients(await roleSession('scoped', [{ Effect: 'Allow', Action: ['ec2:DeleteVpc'], Resource: [ARN('vpc/*')], Condition: { StringLike: { 'aws:ResourceTag/hopper:cluster': '?*' } } }]));
    expect((await refusal(c.ec2.send(new ec2.DeleteVpcCommand({ VpcId: 'vpc-00000000000000000' })))).name).toBe('InvalidVpcID.NotFound');
  });

  it('rejects a malformed role with every problem listed', async () => {
    const res = await simJson('PUT', '/_sim/iam/roles/bad', { policies: [{ document: {} }], instanceProfiles: [1] });
    expect(res.status).toBe(400);
    expect(String(res.body.error)).toContain('policies[0].name');
    expect(String(res.body.error)).toContain('policies[0].document');
    expect(String(res.body.error)).toContain('instanceProfiles');
  });
});
