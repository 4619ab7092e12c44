#!/bin/bash
# Hopper: remove lost etcd members and refresh the join data in Parameter Store
# Rendered for cluster prod.k8s.local, Kubernetes v1.32.1. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

REGION='cn-north-1'
PARAM_PREFIX='/hopper/prod.k8s.local/'
PARAM_KEY='arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'

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

export KUBECONFIG=/etc/kubernetes/admin.conf
# etcd members no control-plane instance backs any more (lost instances) leave etcd, and their Nodes go.
ETCDCTL=(env ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key)
LIVE_ADDRESSES=' 10.1.1.10 10.1.2.10 10.1.3.10 '
# id|address|name: a member that never started has no name yet, so the fields are split on "|".
MEMBERS=$("${ETCDCTL[@]}" member list | awk -F', ' '{ split($4, url, "[/:]"); print $1 "|" url[4] "|" $3 }')
while IFS='|' read -r MEMBER_ID MEMBER_ADDRESS MEMBER_NAME; do
  [[ -z $MEMBER_ID || -z $MEMBER_ADDRESS || $LIVE_ADDRESSES == *" $MEMBER_ADDRESS "* ]] && continue
  "${ETCDCTL[@]}" member remove "$MEMBER_ID" >/dev/null
  if [[ -n $MEMBER_NAME ]] && kubectl get node "$MEMBER_NAME" -o name >/dev/null 2>&1; then kubectl delete node "$MEMBER_NAME" >/dev/null; fi
  echo "hopper: etcd member ${MEMBER_NAME:-(never started)} ($MEMBER_ID) at $MEMBER_ADDRESS had no instance any more: removed, and its Node"
done <<<"$MEMBERS"
# The seat's member at 10.1.3.10 stays: its replacement starts it again from the data on its volume.
KEPT_NAME=$(awk -F'|' -v address='10.1.3.10' '$2 == address { print $3 "."; exit }' <<<"$MEMBERS")
if [[ -n $KEPT_NAME ]]; then
  KEPT_NAME=${KEPT_NAME%.}
  # The predecessor's Node goes: the replacement registers its own (a new instance, a new provider ID).
  if [[ -n $KEPT_NAME ]] && kubectl get node "$KEPT_NAME" -o name >/dev/null 2>&1; then kubectl delete node "$KEPT_NAME" >/dev/null; fi
  echo "hopper-seat-member: kept"
else
  echo "hopper-seat-member: none"
fi

# Join data for the other instances. The join command holds the token: parsed, never printed.
JOIN_COMMAND=$(kubeadm token create --ttl '2h0m0s' --print-join-command)
read -r -a JOIN_WORDS <<<"$JOIN_COMMAND"
JOIN_ENDPOINT=${JOIN_WORDS[2]:-}
JOIN_TOKEN=""
CA_CERT_HASH=""
for ((i = 3; i + 1 < ${#JOIN_WORDS[@]}; i++)); do
  case ${JOIN_WORDS[i]} in
    --token) JOIN_TOKEN=${JOIN_WORDS[i + 1]} ;;
    --discovery-token-ca-cert-hash) CA_CERT_HASH=${JOIN_WORDS[i + 1]} ;;
  esac
done
# The last line of upload-certs' output is the key that decrypts the uploaded certificates.
CERTIFICATE_KEY=$(kubeadm init phase upload-certs --upload-certs | tail -n 1)
require_format JOIN_ENDPOINT "$JOIN_ENDPOINT" '^[A-Za-z0-9.-]+:[0-9]{1,5}$'
require_format JOIN_TOKEN "$JOIN_TOKEN" '^[a-z0-9]{6}[.][a-z0-9]{16}$'
require_format CA_CERT_HASH "$CA_CERT_HASH" '^sha256:[0-9a-f]{64}$'
require_format CERTIFICATE_KEY "$CERTIFICATE_KEY" '^[0-9a-f]{64}$'
put_param join/token "$JOIN_TOKEN"
put_param join/ca-cert-hash "$CA_CERT_HASH"
put_param join/certificate-key "$CERTIFICATE_KEY"
put_param join/endpoint "$JOIN_ENDPOINT"
# admin.conf stays here: users get short-lived certificates of their own (renderIssueClientCertificateScript).
echo "hopper: join data for $JOIN_ENDPOINT stored under $PARAM_PREFIX (token, CA hash, certificate key, endpoint)"
