#!/bin/bash
# Hopper: install the calico CNI
# Rendered for cluster prod.k8s.local, Kubernetes v1.32.1. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

kc() {
  kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"
}

if [[ ! -f /etc/kubernetes/admin.conf ]]; then
  echo "hopper: no /etc/kubernetes/admin.conf: run this on an initialised control plane" >&2
  exit 1
fi

mkdir -p /etc/kubernetes/addons
curl -fsSL --retry 5 'https://mirrors.example.cn/files/raw.githubusercontent.com/projectcalico/calico/v3.29.1/manifests/calico.yaml' -o /etc/kubernetes/addons/cni-calico.yaml

for attempt in $(seq 1 30); do
  if kc get nodes -o json >/dev/null && kc apply -f /etc/kubernetes/addons/cni-calico.yaml; then
    break
  fi
  if [[ $attempt -eq 30 ]]; then
    echo "hopper: could not apply /etc/kubernetes/addons/cni-calico.yaml" >&2
    exit 1
  fi
  sleep 10
done

echo 'hopper: calico v3.29.1 applied'
