#!/bin/bash
# Hopper: refresh the join token in Parameter Store
# Rendered for cluster demo, Kubernetes v1.31.4. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

REGION='us-east-1'
PARAM_PREFIX='/hopper/demo/'
PARAM_KEY='arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'

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
# Under the deployment's key, not the account's aws/ssm: only this cluster's host roles may
# use it for this cluster's parameters. Every value fits the standard (free) tier.
put_param() {
  aws ssm put-parameter --region "$REGION" --name "$PARAM_PREFIX$1" --type SecureString --key-id "$PARAM_KEY" --tier Standard --value "$2" --overwrite >/dev/null
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
