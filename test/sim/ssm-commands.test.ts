import { ModifyInstanceMetadataOptionsCommand } from '@aws-sdk/client-ec2';
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sim, launch, network, runScript, startSim, stopSim, until } from './ssm-helpers';

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
