/**
 * The seed recipe by hand through the SDK: a VPC and subnet, a control plane
 * bootstrapped with `kubeadm init` over SSM, two workers joining through user data
 * with join data from Parameter Store, a CNI applied, three Ready nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { parse } from 'yaml';
import { caCertHash, clientSubject, newClientRequest, x509 } from '../../shared/pki/x509';
import { INIT, JOIN_USER_DATA } from './kube-scripts';
import { type Sim, launch, network, runScript, startSim, stopSim, until } from './ssm-helpers';

interface NodeList {
  apiVersion: string;
  kind: string;
  items: { metadata: { name: string }; spec: { providerID: string }; status: { conditions: { type: string; status: string }[]; nodeInfo: { kubeletVersion: string } } }[];
}

const KUBECTL = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';

describe('the seed recipe on the simulator', () => {
  let sim: Sim;
  let controlPlane: string;
  let subnet: string;
  beforeAll(async () => {
    sim = await startSim();
    subnet = await network(sim);
    controlPlane = await launch(sim, subnet);
  });
  afterAll(async () => stopSim(sim));

  it('bootstraps a control plane with kubeadm init over SSM', async () => {
    const inv = await runScript(sim, controlPlane, INIT);
    expect(inv.StandardErrorContent).not.toMatch(/error|not found/i);
    expect(inv.Status).toBe('Success');
    expect(inv.StandardOutputContent).toContain('Your Kubernetes control-plane has initialized successfully!');
    const admin = await runScript(sim, controlPlane, ['grep server: /etc/kubernetes/admin.conf']);
    expect(admin.StandardOutputContent).toMatch(/server: https:\/\/10\.0\.\d+\.\d+:6443/);
  });

  it('is a real CA: admin.conf holds a one-year certificate it signed, and its key hash is what joins pin', async () => {
    const files = await runScript(sim, controlPlane, ['cat /etc/kubernetes/pki/ca.crt; echo ==admin.conf==; cat /etc/kubernetes/admin.conf']);
    const [caPem, adminConf] = (files.StandardOutputContent ?? '').split('==admin.conf==\n');
    const ca = new x509.X509Certificate(caPem);
    const user = (parse(adminConf) as { users: { user: { 'client-certificate-data': string } }[] }).users[0].user;
    const cert = new x509.X509Certificate(Buffer.from(user['client-certificate-data'], 'base64').toString());
    expect(clientSubject(cert)).toEqual({ commonName: 'kubernetes-admin', organizations: ['kubeadm:cluster-admins'] });
    expect(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true })).toBe(true);
    expect(Math.round((cert.notAfter.getTime() - cert.notBefore.getTime()) / 86_400_000)).toBe(365);
    const printed = await runScript(sim, controlPlane, ['kubeadm token create --print-join-command']);
    expect(printed.StandardOutputContent).toContain(`--discovery-token-ca-cert-hash ${caCertHash(ca)}`);
  });

  it("has kube-controller-manager's client signer refuse what the API server and signer refuse", async () => {
    const { csrPem } = await newClientRequest({ commonName: 'mallory', organizations: ['system:masters'] });
    const csr = (name: string, extra: string) =>
      `${KUBECTL} create -f - <<'EOF'\napiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: ${name}\nspec:\n  request: ${Buffer.from(csrPem).toString('base64')}\n  signerName: kubernetes.io/kube-apiserver-client\n${extra}\nEOF`;
    const short = await runScript(sim, controlPlane, [csr('too-short', '  expirationSeconds: 60\n  usages: [client auth]')]);
    expect(short.Status).toBe('Failed');
    expect(short.StandardErrorContent).toContain('spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds');

    const garbage = await runScript(sim, controlPlane, [`${KUBECTL} create -f - <<'EOF'\napiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: garbage\nspec:\n  request: ${Buffer.from('not a csr').toString('base64')}\n  signerName: kubernetes.io/kube-apiserver-client\n  usages: [client auth]\nEOF`]);
    expect(garbage.StandardErrorContent).toContain('spec.request: Invalid value');

    // Server usages: approved, but the signer fails it and issues nothing.
    const server = await runScript(sim, controlPlane, [csr('server-usage', '  usages: [server auth]'), `${KUBECTL} certificate approve server-usage`, `${KUBECTL} get csr server-usage -o json`]);
    const obj = JSON.parse((server.StandardOutputContent ?? '').slice((server.StandardOutputContent ?? '').indexOf('{'))) as { status: { certificate?: string; conditions: { type: string }[] } };
    expect(obj.status.certificate).toBeUndefined();
    expect(obj.status.conditions.map((c) => c.type)).toEqual(['Approved', 'Failed']);

    // Not approved: nothing is issued; approved: a certificate for the CSR's own subject.
    const pending = await runScript(sim, controlPlane, [csr('client', '  usages: [client auth]'), `${KUBECTL} get csr client -o 'jsonpath={.status.certificate}'`]);
    expect(pending.StandardOutputContent?.trim()).toMatch(/created$/);
    const issued = await runScript(sim, controlPlane, [`${KUBECTL} certificate approve client >/dev/null`, `${KUBECTL} get csr client -o 'jsonpath={.status.certificate}'`]);
    const cert = new x509.X509Certificate(Buffer.from(issued.StandardOutputContent ?? '', 'base64').toString());
    expect(clientSubject(cert)).toEqual({ commonName: 'mallory', organizations: ['system:masters'] });
    expect((await runScript(sim, controlPlane, [`${KUBECTL} delete csr client`])).StandardOutputContent).toContain('deleted');
  });

  it('joins two workers through user data and reports three Ready nodes once a CNI is applied', async () => {
    const workers = [await launch(sim, subnet, JOIN_USER_DATA), await launch(sim, subnet, JOIN_USER_DATA)];
    await until(async () => {
      const r = (await fetch(`${sim.server.url}/_sim/kubernetes`).then((x) => x.json())) as { clusters: { nodes: unknown[] }[] };
      return r.clusters[0]?.nodes.length === 3 ? true : undefined;
    });
    const before = JSON.parse((await runScript(sim, controlPlane, [`${KUBECTL} get nodes -o json`])).StandardOutputContent ?? '') as NodeList;
    expect(before.items.map((n) => n.status.conditions.find((c) => c.type === 'Ready')?.status)).toEqual(['False', 'False', 'False']);

    const apply = await runScript(sim, controlPlane, [`${KUBECTL} apply -f https://raw.githubusercontent.com/projectcalico/calico/v3.29.1/manifests/calico.yaml`]);
    expect(apply.StandardOutputContent).toContain('daemonset.apps/calico-node created');
    const wait = await runScript(sim, controlPlane, [`${KUBECTL} wait --for=condition=Ready nodes --all --timeout=120s`]);
    expect(wait.Status).toBe('Success');

    const list = JSON.parse((await runScript(sim, controlPlane, [`${KUBECTL} get nodes -o json`])).StandardOutputContent ?? '') as NodeList;
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(list.items).toHaveLength(3);
    for (const n of list.items) {
      expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(n.status.nodeInfo.kubeletVersion).toBe('v1.31.4');
    }
    expect(list.items.map((n) => n.spec.providerID).sort()).toEqual([controlPlane, ...workers].map((id) => `aws:///us-east-1a/${id}`).sort());
  });

  it('drains a worker, and a pod that refuses eviction fails the drain with kubectl\'s message', async () => {
    const nodes = JSON.parse((await runScript(sim, controlPlane, [`${KUBECTL} get nodes -o json`])).StandardOutputContent ?? '') as NodeList;
    const [first, second] = nodes.items.map((n) => n.metadata.name).filter((_, i) => i > 0);
    const ok = await runScript(sim, controlPlane, [`${KUBECTL} drain ${first} --ignore-daemonsets --delete-emptydir-data --timeout=60s`]);
    expect(ok.Status).toBe('Success');
    expect(ok.StandardOutputContent).toContain(`node/${first} drained`);

    await fetch(`${sim.server.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ hosts: { refuseEviction: [second] } }) });
    const stuck = await runScript(sim, controlPlane, [`${KUBECTL} drain ${second} --ignore-daemonsets --delete-emptydir-data --timeout=30s`]);
    expect(stuck.Status).toBe('Failed');
    expect(stuck.StandardErrorContent).toMatch(/error when evicting pods\/"web-[0-9a-f-]+" -n "default"/);
    const forced = await runScript(sim, controlPlane, [`${KUBECTL} drain ${second} --ignore-daemonsets --delete-emptydir-data --disable-eviction --timeout=30s`]);
    expect(forced.Status).toBe('Success');
  });

  it('signs service-account tokens that verify against the keys it publishes for its issuer', async () => {
    const made = await runScript(sim, controlPlane, [`${KUBECTL} create serviceaccount reader -n default`, `${KUBECTL} create token reader -n default --audience sts.amazonaws.com --duration 20m`]);
    expect(made.Status).toBe('Success');
    const jwt = (made.StandardOutputContent ?? '').trim().split('\n').pop()!;
    const docs = await runScript(sim, controlPlane, [`${KUBECTL} get --raw /.well-known/openid-configuration; echo; ${KUBECTL} get --raw /openid/v1/jwks; echo; test -s /etc/kubernetes/pki/sa.key && cat /etc/kubernetes/pki/sa.pub`]);
    const [discovery, jwks, ...pub] = (docs.StandardOutputContent ?? '').split('\n');
    expect(JSON.parse(discovery)).toMatchObject({ issuer: 'https://kubernetes.default.svc.cluster.local', id_token_signing_alg_values_supported: ['RS256'] });
    expect(pub.join('\n')).toContain('BEGIN PUBLIC KEY');
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(JSON.parse(jwks) as JSONWebKeySet), { issuer: 'https://kubernetes.default.svc.cluster.local', audience: 'sts.amazonaws.com', currentDate: new Date(sim.server.state.clock.now()) });
    expect(payload.sub).toBe('system:serviceaccount:default:reader');
    expect(Number(payload.exp) - Number(payload.iat)).toBe(1200);
    const missing = await runScript(sim, controlPlane, [`${KUBECTL} create token nobody -n default`]);
    expect(missing.StandardErrorContent).toContain('serviceaccounts "nobody" not found');
  });
});
