import { CreateSubnetCommand, CreateVpcCommand, ModifyInstanceMetadataOptionsCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { giveInternet } from '../helpers/internet';
import { PREPARE } from './kube-scripts';
import { hostManager } from '../../local/sim/hosts/manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_PROFILE, type Sim, launch, network, runScript, startSim, stopSim, ubuntuImage, until } from './ssm-helpers';

describe('a host without a way out', () => {
  let sim: Sim;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => stopSim(sim));

  it("comes online in SSM only once its private subnet's NAT gateway is available; its aws CLI cannot connect and kubeadm pulls no image until then", async () => {
    const vpc = (await sim.ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc!.VpcId!;
    const pub = (await until(() => sim.ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.1.0.0/24', AvailabilityZone: 'us-east-1a' })))).Subnet!.SubnetId!;
    const priv = (await until(() => sim.ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.1.1.0/24', AvailabilityZone: 'us-east-1a' })))).Subnet!.SubnetId!;
    // The user data records what the CLI and kubeadm's image pull say before the NAT gateway is up.
    const probe = [
      '#!/bin/bash',
      'aws ssm get-parameter --name /probe > /root/probe.out 2>&1; echo "exit $?" >> /root/probe.out',
      ...PREPARE.filter((l) => !l.startsWith('set ') && !/^TOKEN=|^md\(\)|^IP=/.test(l)),
      'kubeadm config images pull > /root/pull.out 2>&1; echo "exit $?" >> /root/pull.out',
    ].join('\n');
    const launched = await sim.ec2.send(
      new RunInstancesCommand({ ImageId: (await ubuntuImage(sim)), InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, SubnetId: priv, IamInstanceProfile: { Name: SEED_PROFILE }, UserData: Buffer.from(probe).toString('base64') }),
    );
    const id = launched.Instances![0].InstanceId!;
    const online = async () => (await sim.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }))).InstanceInformationList?.[0]?.PingStatus;
    // Well past boot and the agent's registration time, its user data done: still not online, with no route out.
    await sim.server.state.clock.sleep(200);
    await until(async () => (hostManager(sim.server.state)?.userData.get(id) ?? 'running') !== 'running' || undefined, 30_000);
    expect(await online()).toBeUndefined();
    await giveInternet(sim.ec2, vpc, { public: [pub], private: [priv] });
    await until(async () => ((await online()) === 'Online' ? true : undefined), 30_000);
    const out = await runScript(sim, id, ['cat /root/probe.out']);
    expect(out.StandardOutputContent).toContain('Could not connect to the endpoint URL: "https://ssm.us-east-1.amazonaws.com/"');
    expect(out.StandardOutputContent).toContain('exit 255');
    const pull = await runScript(sim, id, ['cat /root/pull.out']);
    expect(pull.StandardOutputContent).toMatch(/failed to pull image "registry\.k8s\.io\/kube-apiserver:v1\.31\.4".*i\/o timeout/);
    expect(pull.StandardOutputContent).toContain('exit 1');
    // With the NAT gateway up, the pull goes through and the images stay in containerd's store.
    const again = await runScript(sim, id, ['kubeadm config images pull >/dev/null', 'cat /var/lib/containerd/io.containerd.content.v1.content/hopper-images']);
    expect(again.StandardOutputContent).toContain('registry.k8s.io/kube-apiserver:v1.31.4');
  });
});

describe('SSM Run Command on simulated hosts', () => {
  let sim: Sim;
  let instanceId: string;
  beforeAll(async () => {
    sim = await startSim();
    instanceId = await launch(sim, await network(sim));
  });
  afterAll(async () => stopSim(sim));

  it('runs the script under bash and reports Success with its output', async () => {
    const inv = await runScript(sim, instanceId, ['echo hello from $(hostname)', 'grep ^ID= /etc/os-release']);
    expect(inv.Status).toBe('Success');
    expect(inv.ResponseCode).toBe(0);
    expect(inv.StandardOutputContent).toMatch(/^hello from ip-10-0-\d+-\d+\nID=ubuntu\n$/);
  });

  it('cuts standard output at 24,000 characters', async () => {
    const inv = await runScript(sim, instanceId, ['head -c 30000 /dev/zero | tr "\\0" x']);
    expect(inv.Status).toBe('Success');
    expect(inv.StandardOutputContent).toHaveLength(24_000);
  });

  it.each([
    ['a syntax error', ['if true; then', 'echo unterminated'], /syntax error: unexpected end of file/],
    ['an unknown command', ['frobnicate --now'], /line 1: frobnicate: command not found/],
    ['an unset variable under set -u', ['set -u', 'echo "$NOT_SET"'], /line 2: NOT_SET: unbound variable/],
    ['reading a missing file', ['set -e', 'cat /etc/kubernetes/admin.conf'], /cat: \/etc\/kubernetes\/admin.conf: No such file or directory/],
  ])('fails the invocation for %s with bash\'s message in stderr', async (_what, commands, message) => {
    const inv = await runScript(sim, instanceId, commands);
    expect(inv.Status).toBe('Failed');
    expect(inv.ResponseCode).not.toBe(0);
    expect(inv.StandardErrorContent).toMatch(message);
  });

  it('rejects SendCommand to an instance that is not online', async () => {
    await expect(
      sim.ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-0123456789abcdef0'], Parameters: { commands: ['true'] } })),
    ).rejects.toMatchObject({ name: 'InvalidInstanceId' });
  });

  it('requires an IMDSv2 token on instances that demand it', async () => {
    const inv = await runScript(sim, instanceId, [
      'curl -s -o /dev/null -w "%{http_code}" http://169.254.169.254/latest/meta-data/instance-id || true',
      'if curl -sf http://169.254.169.254/latest/meta-data/instance-id; then echo v1-worked; else echo "v1 refused $?"; fi',
      'TOKEN=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")',
      'curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id; echo',
      'curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/placement/region; echo',
    ]);
    expect(inv.StandardOutputContent).toContain('v1 refused 22');
    expect(inv.StandardOutputContent).toContain(`${instanceId}\nus-east-1\n`);
  });

  it("keeps a pod's network namespace, one hop further, from the token and the role's credentials at hop limit 1; hop limit 2 lets it through", async () => {
    const probe = [
      'aws sts get-caller-identity --query Arn --output text',
      'ip netns exec cni-1 curl -sS -m 1 -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60" || echo "pod token refused $?"',
      'ip netns exec cni-1 aws sts get-caller-identity --query Arn --output text || echo "pod credentials refused $?"',
    ];
    const limited = await runScript(sim, instanceId, probe);
    expect(limited.StandardOutputContent).toMatch(/^arn:aws:sts::000000000000:assumed-role\/seed-host\/i-\w+\npod token refused 28\npod credentials refused 253\n$/);
    expect(limited.StandardErrorContent).toContain('curl: (28) Operation timed out after 1000 milliseconds');
    expect(limited.StandardErrorContent).toContain('Unable to locate credentials');

    await sim.ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: instanceId, HttpPutResponseHopLimit: 2, HttpTokens: 'required' }));
    const opened = await runScript(sim, instanceId, probe);
    expect(opened.StandardOutputContent).not.toContain('refused');
    expect((opened.StandardOutputContent ?? '').split('\n').filter((l) => l.includes('assumed-role'))).toHaveLength(2);
  });
});

describe('SSM command visibility', () => {
  it('answers InvocationDoesNotExist right after SendCommand, as AWS does for a moment', async () => {
    // A long visibility delay (in simulated seconds) makes the window observable at 1000x.
    const sim = await startSim(1000, { 'ssm.invocationVisible': { typical: 3000, min: 3000, max: 3000 } });
    try {
      const instanceId = await launch(sim, await network(sim));
      const sent = await sim.ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], Parameters: { commands: ['true'] } }));
      await expect(sim.ssm.send(new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: instanceId }))).rejects.toMatchObject({
        name: 'InvocationDoesNotExist',
      });
      const done = await until(async () => {
        const inv = await sim.ssm.send(new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: instanceId }));
        return inv.Status === 'Success' ? inv : undefined;
      });
      expect(done.ResponseCode).toBe(0);
    } finally {
      await stopSim(sim);
    }
  });
});
