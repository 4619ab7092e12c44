/** Shell fragments in the host contract's forms, shared by the Kubernetes tests. */

/** Host preparation in the contract's forms (modules, sysctls, containerd, pinned packages). */
export const PREPARE = [
  'set -euo pipefail',
  'modprobe overlay',
  'modprobe br_netfilter',
  "printf 'overlay\\nbr_netfilter\\n' > /etc/modules-load.d/k8s.conf",
  "printf 'net.bridge.bridge-nf-call-iptables = 1\\nnet.ipv4.ip_forward = 1\\n' > /etc/sysctl.d/k8s.conf",
  'sysctl --system',
  'apt-get update',
  'apt-get install -y containerd',
  'mkdir -p /etc/containerd',
  "containerd config default | sed 's/SystemdCgroup = false/SystemdCgroup = true/' > /etc/containerd/config.toml",
  'systemctl restart containerd',
  'curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key | gpg --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg',
  "echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.31/deb/ /' > /etc/apt/sources.list.d/kubernetes.list",
  'apt-get update',
  'apt-get install -y kubelet=1.31.4-1.1 kubeadm=1.31.4-1.1 kubectl=1.31.4-1.1',
  'apt-mark hold kubelet kubeadm kubectl',
  'systemctl enable --now containerd kubelet',
  'TOKEN=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")',
  'md() { curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }',
  'IP=$(md local-ipv4); REGION=$(md placement/region); NAME=$(md local-hostname)',
  'mkdir -p /etc/kubernetes',
];

/** The seed's `kubeadm init` over SSM, storing the join data in Parameter Store (`/hopper/seed/`). */
export const INIT = [
  ...PREPARE,
  "printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: InitConfiguration\\nnodeRegistration:\\n  name: %s\\n---\\napiVersion: kubeadm.k8s.io/v1beta4\\nkind: ClusterConfiguration\\nkubernetesVersion: v1.31.4\\ncontrolPlaneEndpoint: %s:6443\\nnetworking:\\n  podSubnet: 10.244.0.0/16\\n' \"$NAME\" \"$IP\" > /etc/kubernetes/kubeadm-init.yaml",
  'kubeadm init --config /etc/kubernetes/kubeadm-init.yaml --upload-certs',
  'JOIN=$(kubeadm token create --ttl 24h0m0s --print-join-command)',
  'put() { aws ssm put-parameter --region "$REGION" --name "/hopper/seed/$1" --type SecureString --value "$2" --overwrite >/dev/null; }',
  'put join/ca-cert-hash "$(echo "$JOIN" | awk \'{print $7}\')"',
  'put join/endpoint "$IP:6443"',
  'put join/certificate-key "$(kubeadm init phase upload-certs --upload-certs | tail -1)"',
  // The token last: workers wait for it, so everything else is there when it appears.
  'put join/token "$(echo "$JOIN" | awk \'{print $5}\')"',
];

/** The seed's worker user data: wait for the join data, then `kubeadm join`. */
export const JOIN_USER_DATA = [
  '#!/bin/bash',
  ...PREPARE,
  'get() { aws ssm get-parameter --region "$REGION" --name "/hopper/seed/$1" --with-decryption --query Parameter.Value --output text; }',
  'until get join/token >/dev/null 2>&1; do sleep 10; done',
  "printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: JoinConfiguration\\ndiscovery:\\n  bootstrapToken:\\n    apiServerEndpoint: %s\\n    token: %s\\n    caCertHashes:\\n    - %s\\nnodeRegistration:\\n  name: %s\\n' \"$(get join/endpoint)\" \"$(get join/token)\" \"$(get join/ca-cert-hash)\" \"$NAME\" > /etc/kubernetes/kubeadm-join.yaml",
  'kubeadm join --config /etc/kubernetes/kubeadm-join.yaml',
  '',
].join('\n');

