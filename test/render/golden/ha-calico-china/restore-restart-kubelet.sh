#!/bin/bash
# Hopper: restart the kubelet after the restore of backup 2026-12-05T01-45-00Z
# Rendered for cluster prod.k8s.local, Kubernetes v1.32.1. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

systemctl restart kubelet
for _ in $(seq 30); do
  if systemctl is-active --quiet kubelet; then break; fi
  sleep 2
done
systemctl is-active --quiet kubelet
echo "hopper: kubelet restarted on the restored cluster"
