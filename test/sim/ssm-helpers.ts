/** Shared set-up for the hosts/kube/SSM tests: a simulator and SDK clients pointed at it. */
import { EC2Client, RunInstancesCommand, CreateVpcCommand, CreateSubnetCommand, type _InstanceType } from '@aws-sdk/client-ec2';
import { SSMClient, DescribeInstanceInformationCommand, SendCommandCommand, GetCommandInvocationCommand, type GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import { startCloudSimulator, type SimServer } from '../../local/sim/server';
import { giveInternet } from '../helpers/internet';

export interface Sim {
  server: SimServer;
  ec2: EC2Client;
  ssm: SSMClient;
}

/**
 * The instance profile the seed recipe's hosts get: as on AWS, a host calls SSM with its
 * role's credentials, and this one may read and write the recipe's parameters only.
 */
export const SEED_PROFILE = 'seed-host';

export async function startSim(timeScale = 1000, latencies?: Record<string, { typical: number; min: number; max: number }>): Promise<Sim> {
  const server = await startCloudSimulator({ port: 0, timeScale, latencies });
  const role = await fetch(`${server.url}/_sim/iam/roles/seed-host`, {
    method: 'PUT',
    body: JSON.stringify({
      instanceProfiles: [SEED_PROFILE],
      policies: [{ name: 'seed', document: { Statement: [{ Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: 'arn:aws:ssm:*:*:parameter/hopper/seed/*' }] } }],
    }),
  });
  if (!role.ok) throw new Error(`seed role: ${role.status} ${await role.text()}`);
  const cfg = { endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } };
  return { server, ec2: new EC2Client(cfg), ssm: new SSMClient({ ...cfg, maxAttempts: 1 }) };
}

export async function stopSim(sim: Sim): Promise<void> {
  sim.ec2.destroy();
  sim.ssm.destroy();
  await sim.server.stop();
}

/** Polls until `fn` returns a value (not undefined) or the real-time limit passes. */
export async function until<T>(fn: () => Promise<T | undefined>, limitMs = 20_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A VPC and one subnet in us-east-1a. */
export async function network(sim: Sim): Promise<string> {
  const vpc = await sim.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  await new Promise((r) => setTimeout(r, 20));
  const subnet = await until(() => sim.ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: '10.0.0.0/20', AvailabilityZone: 'us-east-1a' })));
  // A public subnet: its hosts reach Systems Manager through the internet gateway.
  await giveInternet(sim.ec2, vpc.Vpc!.VpcId!, { public: [subnet.Subnet!.SubnetId!] });
  return subnet.Subnet?.SubnetId ?? '';
}

/** Launches one Ubuntu instance (IMDSv2 required) and waits until SSM sees it online. */
export async function launch(sim: Sim, subnetId: string, userData?: string, imageId = 'ami-ubuntu'): Promise<string> {
  const image = imageId === 'ami-ubuntu' ? await ubuntuImage(sim) : imageId;
  const out = await sim.ec2.send(
    new RunInstancesCommand({
      ImageId: image,
      InstanceType: 't3.medium' as _InstanceType,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnetId,
      UserData: userData ? Buffer.from(userData).toString('base64') : undefined,
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
      IamInstanceProfile: { Name: SEED_PROFILE },
    }),
  );
  const id = out.Instances?.[0].InstanceId ?? '';
  await until(async () => {
    const info = await sim.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }));
    return info.InstanceInformationList?.[0]?.PingStatus === 'Online' ? true : undefined;
  });
  return id;
}

export async function ubuntuImage(sim: Sim): Promise<string> {
  const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
  const p = await sim.ssm.send(new GetParameterCommand({ Name: '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id' }));
  return p.Parameter?.Value ?? '';
}

/** Sends a shell script over SSM and waits for the invocation to finish. */
export async function runScript(sim: Sim, instanceId: string, commands: string[]): Promise<GetCommandInvocationCommandOutput> {
  const sent = await sim.ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], Parameters: { commands } }));
  const commandId = sent.Command?.CommandId ?? '';
  return until(async () => {
    const inv = await sim.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    return inv.Status === 'Success' || inv.Status === 'Failed' || inv.Status === 'TimedOut' ? inv : undefined;
  }, 60_000);
}
