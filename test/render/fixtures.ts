/** Render contexts of the golden scenarios. */
import type { RenderContext } from '../../shared/render';

/** One control plane on its private IP, cilium, packages from pkgs.k8s.io. */
export const singleCilium: RenderContext = {
  clusterName: 'demo',
  region: 'us-east-1',
  kubernetesVersion: '1.31.4',
  architecture: 'amd64',
  networking: 'cilium',
  podCidr: '10.244.0.0/16',
  serviceCidr: '10.96.0.0/12',
  controlPlaneEndpoint: '10.0.1.10:6443',
  apiServerCertSANs: ['10.0.1.10'],
  parameterKeyId: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  instanceGroups: [{ name: 'nodes' }],
};

/** Three control planes behind a load balancer, calico, everything from a mirror in Beijing. */
export const haCalicoChina: RenderContext = {
  clusterName: 'prod.k8s.local',
  region: 'cn-north-1',
  kubernetesVersion: '1.32.1',
  architecture: 'arm64',
  networking: 'calico',
  podCidr: '192.168.0.0/16',
  serviceCidr: '10.96.0.0/12',
  controlPlaneEndpoint: 'api-prod-0123456789.elb.cn-north-1.amazonaws.com.cn:6443',
  apiServerCertSANs: ['api-prod-0123456789.elb.cn-north-1.amazonaws.com.cn', 'api.prod.example.cn'],
  parameterKeyId: 'arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  assets: {
    packageBaseUrl: 'https://mirrors.example.cn/kubernetes-new/core/stable/{minor}/deb/',
    binaryBaseUrl: 'https://mirrors.example.cn/files',
    registryMirrors: ['https://registry.example.cn/k8s'],
  },
  tokenTtl: '2h0m0s',
  instanceGroups: [
    {
      name: 'gpu',
      labels: { 'hopper.io/accelerator': 'nvidia', team: 'ml', spot: 'true' },
      taints: [
        { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' },
        { key: 'dedicated', effect: 'NoExecute' },
      ],
    },
  ],
};

/** Join data in the formats kubeadm prints. */
export const TOKEN = 'abcdef.0123456789abcdef';
export const CA_HASH = `sha256:${'ab'.repeat(32)}`;
export const CERT_KEY = 'cd'.repeat(32);
