/**
 * Join data before `kubeadm init`: the CA made first (`kubeadm init phase certs ca`) and its
 * hash taken with openssl, a token chosen with `kubeadm token generate` and given to init in
 * its config. A node that starts `kubeadm join` with them before the control plane exists
 * joins once init has made the token — kubeadm's discovery retries, as on a real host — and
 * one whose token the cluster never made, deleted (`kubeadm token delete`) or let expire fails
 * after discovery's five minutes with kubeadm's message. Meanwhile what a host may look at
 * before its join (`curl -k https://<endpoint>/readyz`, and kube-public's cluster-info with
 * the token's signature, which discovery needs) is refused until an API server answers there,
 * and cluster-info is signed for a token exactly while the token is live.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendCommandCommand, GetCommandInvocationCommand } from '@aws-sdk/client-ssm';
import { PREPARE } from './kube-scripts';
import { type Sim, launch, network, runScript, startSim, stopSim, until } from './ssm-helpers';

const HASH = 'sha256:$(openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | sha256sum | cut -d" " -f1)';

const joinConfig = (endpoint: string, token: string, hash: string) =>
  `printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: JoinConfiguration\\ndiscovery:\\n  bootstrapToken:\\n    apiServerEndpoint: ${endpoint}\\n    token: ${token}\\n    caCertHashes:\\n    - ${hash}\\nnodeRegistration:\\n  name: %s\\n' "$NAME" > /etc/kubernetes/kubeadm-join.yaml`;

const CLUSTER_INFO = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

/** Whether `jws` is a detached HS256 JWS of `payload` keyed by the token's secret, as kubeadm's discovery checks it. */
function verifies(jws: string | undefined, payload: string, token: string): boolean {
  const [header, empty, signature] = (jws ?? '').split('.');
  if (empty !== '' || !header || !signature) return false;
  const [id, secret] = token.split('.');
  if (JSON.parse(Buffer.from(header, 'base64url').toString()).kid !== id) return false;
  return createHmac('sha256', secret).update(`${header}.${Buffer.from(payload).toString('base64url')}`).digest('base64url') === signature;
}

/** Sends a script without waiting; the returned function waits for its end. */
async function start(sim: Sim, instanceId: string, commands: string[]) {
  const sent = await sim.ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], Parameters: { commands } }));
  const commandId = sent.Command!.CommandId!;
  return () =>
    until(async () => {
      const inv = await sim.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      return ['Success', 'Failed', 'TimedOut'].includes(inv.Status ?? '') ? inv : undefined;
    }, 60_000);
}

describe('kubeadm join data published before kubeadm init', () => {
  let sim: Sim;
  let controlPlane: string;
  let workers: string[];
  beforeAll(async () => {
    sim = await startSim();
    const subnet = await network(sim);
    [controlPlane, ...workers] = await Promise.all([launch(sim, subnet), launch(sim, subnet), launch(sim, subnet)]);
    for (const id of [controlPlane, ...workers]) expect((await runScript(sim, id, PREPARE)).Status).toBe('Success');
  });
  afterAll(async () => stopSim(sim));

  it('joins a node that started before the control plane existed, with the CA and token init was given', async () => {
    const made = await runScript(sim, controlPlane, [...PREPARE, 'kubeadm init phase certs ca', `echo "${HASH}"`, 'kubeadm token generate', 'echo "$IP:6443"']);
    expect(made.Status).toBe('Success');
    const [hash, token, endpoint] = (made.StandardOutputContent ?? '').trim().split('\n').slice(-3);
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);

    // Nothing answers at the endpoint yet: a health probe from a host is refused, as curl says.
    const probe = (path: string) => runScript(sim, workers[1], [`curl -ksSf --max-time 2 https://${endpoint}${path}; echo " exit $?"`]);
    const early = await probe('/readyz');
    expect(early.StandardOutputContent).toContain(' exit 7');
    expect(early.StandardErrorContent).toContain("Couldn't connect to server");
    // The worker's join starts first: nothing answers at the endpoint yet.
    const joined = await start(sim, workers[0], [...PREPARE, joinConfig(endpoint, token, hash), 'kubeadm join --config /etc/kubernetes/kubeadm-join.yaml']);
    const init = await runScript(sim, controlPlane, [
      ...PREPARE,
      `printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: InitConfiguration\\nbootstrapTokens:\\n- token: ${token}\\n  ttl: 2h0m0s\\nnodeRegistration:\\n  name: %s\\n---\\napiVersion: kubeadm.k8s.io/v1beta4\\nkind: ClusterConfiguration\\nkubernetesVersion: v1.31.4\\ncontrolPlaneEndpoint: %s:6443\\n' "$NAME" "$IP" > /etc/kubernetes/kubeadm-init.yaml`,
      'kubeadm init --config /etc/kubernetes/kubeadm-init.yaml',
      'kubeadm token create --print-join-command',
    ]);
    expect(init.Status).toBe('Success');
    expect(init.StandardOutputContent).toContain(`[bootstrap-token] Using token: ${token}`);
    // The CA made before init is the cluster's: joins pin the hash taken from the file.
    expect(init.StandardOutputContent).toContain(`--discovery-token-ca-cert-hash ${hash}`);
    // The API server answers its health endpoints to anyone now, and nothing else without credentials.
    expect((await probe('/readyz')).StandardOutputContent).toBe('ok exit 0\n');
    expect((await probe('/api/v1/namespaces')).StandardOutputContent).toContain(' exit 22');
    // cluster-info, as discovery reads it: the kubeconfig and the token's detached JWS (HS256, keyed by its secret).
    const info = JSON.parse((await probe(CLUSTER_INFO)).StandardOutputContent!.replace(/ exit 0\n$/, '')) as { data: Record<string, string> };
    expect(info.data.kubeconfig).toContain(`server: https://${endpoint}`);
    expect(verifies(info.data[`jws-kubeconfig-${token.split('.')[0]}`], info.data.kubeconfig, token)).toBe(true);
    const join = await joined();
    expect(join.StandardErrorContent ?? '').not.toMatch(/error/i);
    expect(join.Status).toBe('Success');
    expect(join.StandardOutputContent).toContain('This node has joined the cluster');
    const nodes = await runScript(sim, controlPlane, ['kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o name']);
    expect((nodes.StandardOutputContent ?? '').trim().split('\n')).toHaveLength(2);
  });

  it('fails a join with a deleted or an expired token, with kubeadm\'s message', async () => {
    const ip = 'TOKEN=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 600"); curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/local-ipv4';
    const made = await runScript(sim, controlPlane, [`echo "${HASH}"`, ip, 'echo', 'kubeadm token create --ttl 10m', 'kubeadm token create --ttl 1h']);
    const [hash, endpoint, expiring, deleted] = (made.StandardOutputContent ?? '').trim().split('\n');
    const removal = await runScript(sim, controlPlane, [`kubeadm token delete ${deleted.split('.')[0]}`]);
    expect(removal.StandardOutputContent).toBe(`bootstrap token "${deleted.split('.')[0]}" deleted\n`);
    const signed = async () => Object.keys((JSON.parse((await runScript(sim, workers[1], [`curl -ksf https://${endpoint}:6443${CLUSTER_INFO}`])).StandardOutputContent!) as { data: object }).data);
    expect(await signed()).toContain(`jws-kubeconfig-${expiring.split('.')[0]}`);
    expect(await signed()).not.toContain(`jws-kubeconfig-${deleted.split('.')[0]}`);
    const join = (token: string) => runScript(sim, workers[1], [...PREPARE, joinConfig(`${endpoint}:6443`, token, hash), 'kubeadm join --config /etc/kubernetes/kubeadm-join.yaml']);
    const withDeleted = await join(deleted);
    expect(withDeleted.Status).toBe('Failed');
    expect(withDeleted.StandardErrorContent).toContain(`could not find a JWS signature in the cluster-info ConfigMap for token ID "${deleted.split('.')[0]}"`);
    // Ten simulated minutes later the other token has expired too.
    const jump = await fetch(`${sim.server.url}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 601 }) });
    expect(jump.status).toBe(200);
    expect(await signed()).not.toContain(`jws-kubeconfig-${expiring.split('.')[0]}`);
    const withExpired = await join(expiring);
    expect(withExpired.Status).toBe('Failed');
    expect(withExpired.StandardErrorContent).toContain(`could not find a JWS signature in the cluster-info ConfigMap for token ID "${expiring.split('.')[0]}"`);
  });

  it('fails a join whose token the cluster never made after the five minutes of discovery, with kubeadm\'s message', async () => {
    const endpoint = (await runScript(sim, controlPlane, ['TOKEN=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 600")', 'curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/local-ipv4'])).StandardOutputContent!.trim();
    const hash = (await runScript(sim, controlPlane, [`echo "${HASH}"`])).StandardOutputContent!.trim();
    const join = await runScript(sim, workers[1], [...PREPARE, joinConfig(`${endpoint}:6443`, 'abcdef.0123456789abcdef', hash), 'kubeadm join --config /etc/kubernetes/kubeadm-join.yaml']);
    expect(join.Status).toBe('Failed');
    expect(join.StandardErrorContent).toContain('could not find a JWS signature in the cluster-info ConfigMap for token ID "abcdef"');
  });
});
