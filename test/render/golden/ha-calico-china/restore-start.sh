#!/bin/bash
# Hopper: start the control plane again on the data of backup 2026-12-05T01-45-00Z
# Rendered for cluster prod.k8s.local, Kubernetes v1.32.1. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

if [[ ! -f /etc/kubernetes/admin.conf ]]; then
  echo "hopper: this instance is not an initialised control plane" >&2
  exit 1
fi
export KUBECONFIG=/etc/kubernetes/admin.conf

# etcd first, then the API server that needs it, then the controllers.
for component in etcd kube-scheduler kube-controller-manager kube-apiserver; do
  if [[ -f /etc/kubernetes/hopper-restore-held/$component.yaml ]]; then mv /etc/kubernetes/hopper-restore-held/$component.yaml /etc/kubernetes/manifests/; fi
done

# Back once a quorum of members runs on the restored data (the others start at the same time).
for _ in $(seq 90); do
  if kubectl get nodes -o name >/dev/null 2>&1; then break; fi
  sleep 2
done
kubectl get nodes -o name >/dev/null
# The restore succeeded here: what earlier restores set aside goes, this one's stays.
find /var/lib/etcd -maxdepth 1 -name 'data.before-*' ! -name 'data.before-hopper-restore-0123456789abcdef' -exec rm -rf {} +
echo "hopper: the API server answers on the restored data"
