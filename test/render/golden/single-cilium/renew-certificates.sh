#!/bin/bash
# Hopper: renew the control plane certificates (kubeadm certs renew all) and restart its static pods
# Rendered for cluster demo, Kubernetes v1.31.4. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

if [[ ! -f /etc/kubernetes/admin.conf ]]; then
  echo "hopper: this instance is not an initialised control plane" >&2
  exit 1
fi
export KUBECONFIG=/etc/kubernetes/admin.conf

kubeadm certs renew all

# The running pods keep the old certificates until they restart.
for component in kube-apiserver kube-controller-manager kube-scheduler etcd; do
  crictl --runtime-endpoint unix:///run/containerd/containerd.sock pods --namespace kube-system --name "$component" -q | xargs -r crictl --runtime-endpoint unix:///run/containerd/containerd.sock stopp
done

# Back when the API server answers with the renewed certificate (two minutes at most).
for _ in $(seq 60); do
  if kubectl get nodes -o name >/dev/null 2>&1; then break; fi
  sleep 2
done
kubectl get nodes -o name >/dev/null

kubeadm certs check-expiration
