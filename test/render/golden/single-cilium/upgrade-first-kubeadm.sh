#!/bin/bash
# Hopper: upgrade kubeadm and the first control-plane instance to v1.32.0
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

apt-get install -y --allow-change-held-packages 'kubeadm=1.32.0-1.1'
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

run_logged kubeadm-upgrade-plan kubeadm upgrade plan
run_logged kubeadm-upgrade-apply kubeadm upgrade apply 'v1.32.0' --yes
echo 'hopper: control plane upgraded to v1.32.0 (kubeadm upgrade apply)'
