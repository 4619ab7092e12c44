/** Running a command on a simulated host over SSM Run Command, as an operator with admin credentials would. */
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';

export interface HostResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `command` on `instanceId` (AWS-RunShellScript) and returns its exit code and output. */
export async function onHost(cloud: string, instanceId: string, command: string): Promise<HostResult> {
  const ssm = new SSMClient({ endpoint: cloud, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
  try {
    const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], Parameters: { commands: [command] } }));
    for (let i = 0; i < 1200; i++) {
      const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: sent.Command!.CommandId!, InstanceId: instanceId })).catch(() => undefined);
      if (inv && ['Success', 'Failed', 'TimedOut'].includes(inv.Status ?? '')) return { code: inv.ResponseCode ?? -1, out: inv.StandardOutputContent ?? '', err: inv.StandardErrorContent ?? '' };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`command on ${instanceId} did not finish`);
  } finally {
    ssm.destroy();
  }
}
