import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderControlPlaneInitScript, renderKubeadmInitConfig, renderKubeadmJoinConfig, RenderError } from '../../shared/render';
import { CA_HASH, CERT_KEY, haCalicoChina, singleCilium, TOKEN } from './fixtures';

const node = { name: 'ip-10-0-1-10.ec2.internal', advertiseAddress: '10.0.1.10' };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const parse = (text: string): any[] => parseAllDocuments(text).map((d) => d.toJS());

describe('renderKubeadmInitConfig', () => {
  it('renders InitConfiguration and ClusterConfiguration in kubeadm.k8s.io/v1beta4', () => {
    const [init, cluster] = parse(renderKubeadmInitConfig(singleCilium, node));
    expect(init).toMatchObject({ apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'InitConfiguration' });
    expect(cluster).toMatchObject({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'ClusterConfiguration',
      kubernetesVersion: 'v1.31.4',
      controlPlaneEndpoint: '10.0.1.10:6443',
      networking: { podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12' },
      apiServer: { certSANs: ['10.0.1.10'] },
    });
  });

  it('runs the kubelet with the external cloud provider as a v1beta4 name/value list, named after the private DNS name', () => {
    const [init] = parse(renderKubeadmInitConfig(singleCilium, node));
    expect(init.nodeRegistration.name).toBe('ip-10-0-1-10.ec2.internal');
    expect(init.nodeRegistration.kubeletExtraArgs).toEqual([{ name: 'cloud-provider', value: 'external' }]);
    expect(init.localAPIEndpoint).toEqual({ advertiseAddress: '10.0.1.10', bindPort: 6443 });
  });

  it("signs service-account tokens as the published issuer when the cluster has one, and the init script publishes its keys there", () => {
    const issuer = { url: 'https://hopper-dev-oidc-1-us-east-1.s3.us-east-1.amazonaws.com/uid-1', bucket: 'hopper-dev-oidc-1-us-east-1', region: 'us-east-1', prefix: 'uid-1' };
    expect(parse(renderKubeadmInitConfig(singleCilium, node))[1].apiServer.extraArgs).toBeUndefined();
    expect(parse(renderKubeadmInitConfig({ ...singleCilium, serviceAccountIssuer: issuer }, node))[1].apiServer.extraArgs).toEqual([
      { name: 'service-account-issuer', value: issuer.url },
      { name: 'service-account-jwks-uri', value: `${issuer.url}/openid/v1/jwks` },
    ]);
    const script = renderControlPlaneInitScript({ ...singleCilium, serviceAccountIssuer: issuer });
    expect(script).toContain("'s3://hopper-dev-oidc-1-us-east-1/uid-1/.well-known/openid-configuration'");
    expect(script).toContain("'s3://hopper-dev-oidc-1-us-east-1/uid-1/openid/v1/jwks'");
    // After kubeadm init made the key, before the join data (nodes wait for that, not for this).
    expect(script.indexOf('kubeadm init --config')).toBeLessThan(script.indexOf('get --raw /openid/v1/jwks'));
    expect(renderControlPlaneInitScript(singleCilium)).not.toContain('openid');
  });

  it('gives bootstrap tokens the configured TTL', () => {
    expect(parse(renderKubeadmInitConfig(singleCilium, node))[0].bootstrapTokens[0].ttl).toBe('2h0m0s');
    expect(parse(renderKubeadmInitConfig(haCalicoChina, node))[0].bootstrapTokens[0].ttl).toBe('2h0m0s');
  });

  it('takes imageRepository from the registry mirror only when one is given', () => {
    expect(parse(renderKubeadmInitConfig(singleCilium, node))[1].imageRepository).toBeUndefined();
    expect(parse(renderKubeadmInitConfig(haCalicoChina, node))[1].imageRepository).toBe('registry.example.cn/k8s');
    const explicit = { ...haCalicoChina, assets: { ...haCalicoChina.assets, imageRepository: 'registry.example.cn/google_containers' } };
    expect(parse(renderKubeadmInitConfig(explicit, node))[1].imageRepository).toBe('registry.example.cn/google_containers');
  });

  it('refuses Kubernetes older than 1.31, which has no v1beta4', () => {
    expect(() => renderKubeadmInitConfig({ ...singleCilium, kubernetesVersion: '1.30.2' }, node)).toThrow(RenderError);
  });

  it('lists every invalid field at once', () => {
    try {
      // An empty key is what a deployment without HOPPER_PARAMETER_KEY would give: refused, never the account's aws/ssm key.
      renderKubeadmInitConfig({ ...singleCilium, podCidr: 'nope', controlPlaneEndpoint: 'no-port', tokenTtl: '1 day', parameterKeyId: '' }, node);
      expect.fail('should throw');
    } catch (error) {
      expect((error as RenderError).details.map((d) => d.path)).toEqual(['podCidr', 'controlPlaneEndpoint', 'parameterKeyId', 'tokenTtl']);
    }
  });
});

describe('renderKubeadmJoinConfig', () => {
  const data = { apiServerEndpoint: 'lb:6443', token: TOKEN, caCertHash: CA_HASH };

  it('joins a control plane with its certificate key and advertise address', () => {
    const [join] = parse(renderKubeadmJoinConfig(haCalicoChina, node, { ...data, certificateKey: CERT_KEY }));
    expect(join).toMatchObject({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'JoinConfiguration',
      discovery: { bootstrapToken: { apiServerEndpoint: 'lb:6443', token: TOKEN, caCertHashes: [CA_HASH] } },
      controlPlane: { certificateKey: CERT_KEY, localAPIEndpoint: { advertiseAddress: '10.0.1.10' } },
    });
    expect(join.nodeRegistration.taints).toBeUndefined();
  });

  it("joins a worker with its group's labels, taints and the external cloud provider", () => {
    const [join] = parse(renderKubeadmJoinConfig(haCalicoChina, node, { ...data, group: haCalicoChina.instanceGroups![0] }));
    expect(join.controlPlane).toBeUndefined();
    expect(join.nodeRegistration.kubeletExtraArgs).toEqual([
      { name: 'cloud-provider', value: 'external' },
      { name: 'node-labels', value: 'hopper.io/accelerator=nvidia,hopper.io/instance-group=gpu,spot=true,team=ml' },
    ]);
    expect(join.nodeRegistration.taints).toEqual([
      { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' },
      { key: 'dedicated', effect: 'NoExecute' },
    ]);
  });

  it('keeps values that look like numbers or booleans as strings', () => {
    const [join] = parse(renderKubeadmJoinConfig(singleCilium, node, { ...data, token: '123456.1234567890123456', group: { name: 'g', taints: [{ key: 'k', value: 'true', effect: 'NoSchedule' }] } }));
    expect(join.discovery.bootstrapToken.token).toBe('123456.1234567890123456');
    expect(join.nodeRegistration.taints[0].value).toBe('true');
  });

  it('refuses labels the kubelet may not set on itself', () => {
    expect(() => renderKubeadmJoinConfig(singleCilium, node, { ...data, group: { name: 'g', labels: { 'node-role.kubernetes.io/worker': '' } } })).toThrow(/kubelet refuses/);
    expect(() => renderKubeadmJoinConfig(singleCilium, node, { ...data, group: { name: 'g', labels: { 'node.kubernetes.io/pool': 'a' } } })).not.toThrow();
  });
});
