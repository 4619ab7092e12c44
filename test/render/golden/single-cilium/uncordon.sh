#!/bin/bash
# Hopper: uncordon a node
# Rendered for cluster demo, Kubernetes v1.31.4. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

kc() {
  kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"
}

NODE='ip-10-0-1-10.ec2.internal'

if ! OUTPUT=$(kc uncordon "$NODE" 2>&1); then
  if [[ $OUTPUT == *NotFound* || $OUTPUT == *"not found"* ]]; then
    echo "hopper: node $NODE not found; nothing to uncordon"
    exit 0
  fi
  printf '%s\n' "$OUTPUT" >&2
  exit 1
fi
printf '%s\n' "$OUTPUT"
