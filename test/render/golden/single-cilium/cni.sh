#!/bin/bash
# Hopper: install the cilium CNI
# Rendered for cluster demo, Kubernetes v1.31.4. Do not edit: Hopper renders it again.
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
curl -fsSL --retry 5 'https://raw.githubusercontent.com/cilium/cilium/v1.16.5/install/kubernetes/quick-install.yaml' -o /etc/kubernetes/addons/cni-cilium.yaml
sed -i -E 's#^([[:space:]]*cluster-pool-ipv4-cidr:).*#\1 "10.244.0.0/16"#' /etc/kubernetes/addons/cni-cilium.yaml

for attempt in $(seq 1 30); do
  if kc get nodes -o json >/dev/null && kc apply -f /etc/kubernetes/addons/cni-cilium.yaml; then
    break
  fi
  if [[ $attempt -eq 30 ]]; then
    echo "hopper: could not apply /etc/kubernetes/addons/cni-cilium.yaml" >&2
    exit 1
  fi
  sleep 10
done

echo 'hopper: cilium v1.16.5 applied'
