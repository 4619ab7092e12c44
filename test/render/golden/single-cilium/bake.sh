#!/bin/bash
# Hopper: bake a node image (containerd, kubeadm/kubelet/kubectl v1.31.4, amd64)
# Rendered for cluster demo, Kubernetes v1.31.4. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 022
export DEBIAN_FRONTEND=noninteractive

# Kernel modules for containerd (overlay) and bridged pod traffic (br_netfilter), now and at every boot.
cat >/etc/modules-load.d/k8s.conf <<'HOPPER_EOF'
overlay
br_netfilter
HOPPER_EOF
modprobe overlay
modprobe br_netfilter
cat >/etc/sysctl.d/99-kubernetes.conf <<'HOPPER_EOF'
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
HOPPER_EOF
sysctl --system

# The kubelet refuses to start with swap on by default. Ubuntu cloud images have none; make sure.
if command -v swapoff >/dev/null 2>&1; then
  swapoff -a
fi
sed -i -E 's/^([^#].*[[:space:]]swap[[:space:]].*)$/#\1/' /etc/fstab

# containerd from the Ubuntu archive, with the systemd cgroup driver the kubelet uses.
apt-get update
apt-get install -y containerd ca-certificates curl gpg
mkdir -p /etc/containerd
containerd config default >/etc/containerd/config.toml
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml
if ! grep -q 'SystemdCgroup = true' /etc/containerd/config.toml; then
  echo "hopper: could not switch containerd to the systemd cgroup driver" >&2
  exit 1
fi
systemctl restart containerd

# Kubernetes packages of v1.31 from https://pkgs.k8s.io/core:/stable:/v1.31/deb/
mkdir -p /etc/apt/keyrings
rm -f /etc/apt/keyrings/kubernetes-apt-keyring.gpg
curl -fsSL 'https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key' | gpg --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
cat >/etc/apt/sources.list.d/kubernetes.list <<'HOPPER_EOF'
deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.31/deb/ /
HOPPER_EOF
apt-get update

apt-get install -y --allow-change-held-packages 'kubeadm=1.31.4-1.1' 'kubelet=1.31.4-1.1' 'kubectl=1.31.4-1.1'
apt-mark hold kubeadm kubelet kubectl

# etcdctl, for the control planes' etcd snapshots (backups): the host has no other way in.

apt-get install -y etcd-client

systemctl enable --now containerd kubelet

# The control plane's images in containerd's store: kubeadm init and join pull nothing, so a
# host needs no way out to a registry to bootstrap, and no create waits on one.
kubeadm config images pull --kubernetes-version 'v1.31.4' --cri-socket unix:///var/run/containerd/containerd.sock

# Leave nothing instance-specific in the image: each instance gets its own machine-id
# and a first-boot cloud-init run (which is what runs the node user data).
apt-get clean
rm -rf /var/lib/apt/lists/*
truncate -s 0 /etc/machine-id
rm -f /var/lib/dbus/machine-id
if command -v cloud-init >/dev/null 2>&1; then
  cloud-init clean --logs
else
  rm -rf /var/lib/cloud/instances /var/lib/cloud/instance /var/lib/cloud/data /var/lib/cloud/sem
fi

echo 'hopper: image ready: Kubernetes v1.31.4, containerd, amd64'
