#!/bin/bash
# Hopper: upgrade kubelet and kubectl to v1.32.0
# Rendered for cluster demo, Kubernetes v1.31.4. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 022
export DEBIAN_FRONTEND=noninteractive

# Kubernetes packages of v1.32 from https://pkgs.k8s.io/core:/stable:/v1.32/deb/
mkdir -p /etc/apt/keyrings
rm -f /etc/apt/keyrings/kubernetes-apt-keyring.gpg
curl -fsSL 'https://pkgs.k8s.io/core:/stable:/v1.32/deb/Release.key' | gpg --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
cat >/etc/apt/sources.list.d/kubernetes.list <<'HOPPER_EOF'
deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /
HOPPER_EOF
apt-get update

apt-get install -y --allow-change-held-packages 'kubelet=1.32.0-1.1' 'kubectl=1.32.0-1.1'
apt-mark hold kubelet kubectl

systemctl restart kubelet

echo 'hopper: kubelet and kubectl at v1.32.0'
