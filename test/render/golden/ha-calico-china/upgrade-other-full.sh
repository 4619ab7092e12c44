#!/bin/bash
# Hopper: upgrade the control-plane instance to v1.33.0
# Rendered for cluster prod.k8s.local, Kubernetes v1.32.1. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 022
export DEBIAN_FRONTEND=noninteractive

# Kubernetes packages of v1.33 from https://mirrors.example.cn/kubernetes-new/core/stable/v1.33/deb/
mkdir -p /etc/apt/keyrings
rm -f /etc/apt/keyrings/kubernetes-apt-keyring.gpg
curl -fsSL 'https://mirrors.example.cn/kubernetes-new/core/stable/v1.33/deb/Release.key' | gpg --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
cat >/etc/apt/sources.list.d/kubernetes.list <<'HOPPER_EOF'
deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://mirrors.example.cn/kubernetes-new/core/stable/v1.33/deb/ /
HOPPER_EOF
apt-get update

apt-get install -y --allow-change-held-packages 'kubeadm=1.33.0-1.1'
apt-mark hold kubeadm

LOG_DIR=/var/log/hopper
mkdir -p "$LOG_DIR"
run_logged() {
  local log="$LOG_DIR/$1.log"
  shift
  local status=0
  "$@" >"$log" 2>&1 || status=$?
  if [[ $status -ne 0 ]]; then
    echo "hopper: $1 failed with status $status; last lines of $log:" >&2
    tail -n 40 "$log" | grep -v -i -E 'token|certificate-key|private key' >&2 || true
  fi
  return "$status"
}

run_logged kubeadm-upgrade-node kubeadm upgrade node
echo 'hopper: control-plane instance upgraded to v1.33.0 (kubeadm upgrade node)'

apt-get install -y --allow-change-held-packages 'kubelet=1.33.0-1.1' 'kubectl=1.33.0-1.1'
apt-mark hold kubelet kubectl

systemctl restart kubelet

echo 'hopper: kubelet and kubectl at v1.33.0'
