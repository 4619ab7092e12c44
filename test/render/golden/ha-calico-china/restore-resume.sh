#!/bin/bash
# Hopper: start the control plane again after the failed restore of backup 2026-12-05T01-45-00Z
# Rendered for cluster prod.k8s.local, Kubernetes v1.32.1. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

for component in etcd kube-scheduler kube-controller-manager kube-apiserver; do
  if [[ -f /etc/kubernetes/hopper-restore-held/$component.yaml ]]; then mv /etc/kubernetes/hopper-restore-held/$component.yaml /etc/kubernetes/manifests/; fi
done
rm -f '/var/lib/etcd/hopper-restore-0123456789abcdef.db'
echo "hopper: the control plane's static pods are back in /etc/kubernetes/manifests"
