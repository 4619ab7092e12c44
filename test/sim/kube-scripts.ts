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
