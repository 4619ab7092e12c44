#!/bin/bash
# Hopper: refresh the join token in Parameter Store
# Rendered for cluster demo, Kubernetes v1.31.4. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

REGION='us-east-1'
PARAM_PREFIX='/hopper/demo/'

# Run-time values are checked before they reach a config file, and never printed:
# some of them are secrets, and SSM output ends up in logs.
require_format() {
  if [[ ! $2 =~ $3 ]]; then
    echo "hopper: $1 has an unexpected format" >&2
    exit 1
  fi
}

get_param() {
  aws ssm get-parameter --region "$REGION" --name "$PARAM_PREFIX$1" --with-decryption --query Parameter.Value --output text
}
# Intelligent-Tiering: standard (free) while a value fits 4 KB, advanced for the admin
# kubeconfig, which does not.
put_param() {
  aws ssm put-parameter --region "$REGION" --name "$PARAM_PREFIX$1" --type SecureString --tier Intelligent-Tiering --value "$2" --overwrite >/dev/null
}

if [[ ! -f /etc/kubernetes/admin.conf ]]; then
  echo "hopper: this instance is not an initialised control plane" >&2
  exit 1
fi

# The token is stored, never printed.
JOIN_TOKEN=$(kubeadm token create --ttl '2h0m0s')
require_format JOIN_TOKEN "$JOIN_TOKEN" '^[a-z0-9]{6}[.][a-z0-9]{16}$'
put_param join/token "$JOIN_TOKEN"
echo "hopper: a join token valid for 2h0m0s stored under $PARAM_PREFIX"
