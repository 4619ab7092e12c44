/**
 * A cluster on the VPC CNI: aws-node on every host creates and attaches network interfaces
 * with the host's own role, as on AWS. The simulator authorizes those calls against the
 * cluster's host roles, so the create succeeds only because the roles allow the CNI what it
 * needs — interfaces tagged for this cluster — and aws-node told to tag them for another
 * cluster is refused and leaves every node NotReady.
 */
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';

let cp: TestControlPlane;
let ssm: SSMClient;
let controlPlane = '';

interface Kube {
  clusters: { clusterName: string; daemonSetEnv: Record<string, Record<string, string>>; nodes: { name: string; ready: boolean; readyMessage: string }[] }[];
}

async function kube() {
  const body = (await (await fetch(`${cp.cloud}/_sim/kubernetes`)).json()) as Kube;
  return body.clusters.find((c) => c.clusterName === 'vc')!;
}

async function onControlPlane(command: string): Promise<string> {
  const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [controlPlane], Parameters: { commands: [command] } }));
  for (let i = 0; i < 600; i++) {
    const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: controlPlane })).catch(() => undefined);
    if (inv && ['Success', 'Failed'].includes(inv.Status ?? '')) {
      expect(inv.Status, inv.StandardErrorContent).toBe('Success');
      return inv.StandardOutputContent ?? '';
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('command did not finish');
}

async function until<T>(probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
  ssm = new SSMClient({ endpoint: cp.cloud, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
  const res = await cp.request<{ operation: { id: string } }>('POST', '/v1/clusters', { name: 'vc', region: 'us-east-1', zones: ['us-east-1a'], topology: 'public', networking: 'amazon-vpc-cni' });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const op = await cp.waitForOperation(res.body.operation.id, 240_000);
  expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
  const instances = (await cp.simResources()).instances as { id: string; state: { name: string } | string; tags: Record<string, string> }[];
  controlPlane = instances.find((i) => i.tags['hopper:cluster'] === 'vc' && i.tags['hopper:role'] === 'control-plane' && (typeof i.state === 'string' ? i.state : i.state.name) === 'running')?.id ?? '';
  expect(controlPlane).toMatch(/^i-/);
}, 300_000);
afterAll(async () => {
  ssm?.destroy();
  await cp?.stop();
});

describe('the VPC CNI under the host roles', () => {
  it('creates a cluster whose every node is Ready: aws-node tags its interfaces for the cluster, which the roles allow', async () => {
    const cluster = await kube();
    expect(cluster.daemonSetEnv['aws-node']).toEqual({ CLUSTER_NAME: 'vc' });
    expect(cluster.nodes.length).toBeGreaterThanOrEqual(3);
    for (const node of cluster.nodes) expect(node.ready, node.readyMessage).toBe(true);
  });

  it("refuses aws-node's interfaces tagged for another cluster: every node goes NotReady with EC2's refusal, and comes back when put right", async () => {
    await onControlPlane('kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system set env daemonset/aws-node CLUSTER_NAME=someone-else');
    const refused = await until(async () => {
      const c = await kube();
      return c.nodes.every((n) => /UnauthorizedOperation/.test(n.readyMessage)) ? c : undefined;
    });
    for (const node of refused.nodes) {
      expect(node.ready).toBe(false);
      expect(node.readyMessage).toMatch(/aws-node: failed to create and attach an ENI: UnauthorizedOperation: .*ec2:CreateNetworkInterface on resource: arn:aws:ec2:us-east-1:000000000000:network-interface\//);
    }
    await onControlPlane('kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system set env daemonset/aws-node CLUSTER_NAME=vc');
    await until(async () => ((await kube()).nodes.every((n) => n.ready) ? true : undefined));
  }, 60_000);
});
