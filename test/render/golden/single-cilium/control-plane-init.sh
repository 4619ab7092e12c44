#!/bin/bash
# Hopper: initialise the first control-plane instance (kubeadm init)
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

# IMDSv2: instances require a session token first.
TOKEN=""
for _ in $(seq 1 30); do
  if TOKEN=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 21600"); then
    break
  fi
  sleep 2
done
if [[ -z $TOKEN ]]; then
  echo "hopper: instance metadata service unavailable" >&2
  exit 1
fi
imds() {
  curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"
}

NODE_NAME=$(imds local-hostname)
# With several domains in the DHCP options the name lists them all: the first is the node's.
NODE_NAME=${NODE_NAME%% *}
NODE_NAME=${NODE_NAME,,}
NODE_IP=$(imds local-ipv4)
require_format NODE_NAME "$NODE_NAME" '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'
require_format NODE_IP "$NODE_IP" '^[0-9]{1,3}([.][0-9]{1,3}){3}$'

get_param() {
  aws ssm get-parameter --region "$REGION" --name "$PARAM_PREFIX$1" --with-decryption --query Parameter.Value --output text
}
# Under the deployment's key, not the account's aws/ssm: only this cluster's host roles may
# use it for this cluster's parameters. Every value fits the standard (free) tier.
put_param() {
  aws ssm put-parameter --region "$REGION" --name "$PARAM_PREFIX$1" --type SecureString --key-id "$PARAM_KEY" --tier Standard --value "$2" --overwrite >/dev/null
}

LOG_DIR=/var/log/hopper
mkdir -p "$LOG_DIR"
run_logged() {
  local log="$LOG_DIR/$1.log"
  shift
  local status=0
  "$@" >"$log" 2>&1 || status=$?
  if [[ $status -ne 0 ]]; then
    echo "hopper: $1 failed with status $status; last lines of $log:" >&2
    tail -n 40 "$log" | grep -v -i -E 'token|certificate-key|private key' >&2 || true
  fi
  return "$status"
}

mkdir -p /etc/kubernetes
INIT_FLAGS=()
if [[ -f /etc/kubernetes/admin.conf ]]; then
  echo "hopper: control plane already initialised on $NODE_NAME; skipping kubeadm init"
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
else
  if [[ -e /var/lib/etcd/data/member ]]; then
    # The seat's volume holds the cluster's etcd data (its control plane was replaced):
    # etcd starts from it, with the CA keys the cluster has always had.
    echo "hopper: etcd data found on the seat's volume; restoring the control plane from it"
    mkdir -p /etc/kubernetes/pki/etcd
    for pki_file in ca.crt ca.key sa.key sa.pub front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key; do
      if pki_value=$(get_param "pki/$pki_file" 2>/dev/null); then
        printf '%s' "$pki_value" | base64 -d > "/etc/kubernetes/pki/$pki_file"
      fi
    done
    INIT_FLAGS+=(--ignore-preflight-errors=DirAvailable--var-lib-etcd-data)
  fi
  # Join data before kubeadm init: secrets to Parameter Store, never printed.
  [[ -f /etc/kubernetes/pki/ca.crt && -f /etc/kubernetes/pki/ca.key ]] || run_logged kubeadm-certs-ca kubeadm init phase certs ca --kubernetes-version 'v1.31.4'
  CA_CERT_HASH="sha256:$(openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)"
  JOIN_TOKEN=$(kubeadm token generate)
  CERTIFICATE_KEY=$(kubeadm certs certificate-key)
  JOIN_ENDPOINT='10.0.1.10:6443'
  require_format CA_CERT_HASH "$CA_CERT_HASH" '^sha256:[0-9a-f]{64}$'
  require_format JOIN_TOKEN "$JOIN_TOKEN" '^[a-z0-9]{6}[.][a-z0-9]{16}$'
  require_format CERTIFICATE_KEY "$CERTIFICATE_KEY" '^[0-9a-f]{64}$'
  require_format JOIN_ENDPOINT "$JOIN_ENDPOINT" '^[A-Za-z0-9.-]+:[0-9]{1,5}$'
  # The four at once, beside kubeadm init (which has what it needs): each is an aws CLI run,
  # done long before the API server can answer a join. Waited for after init (JOIN_PUTS_DONE).
  JOIN_PUTS=()
  put_param join/token "$JOIN_TOKEN" & JOIN_PUTS+=($!)
  put_param join/ca-cert-hash "$CA_CERT_HASH" & JOIN_PUTS+=($!)
  put_param join/certificate-key "$CERTIFICATE_KEY" & JOIN_PUTS+=($!)
  put_param join/endpoint "$JOIN_ENDPOINT" & JOIN_PUTS+=($!)
HOPPER_TEMPLATE=$(cat <<'HOPPER_EOF'
apiVersion: "kubeadm.k8s.io/v1beta4"
kind: "InitConfiguration"
bootstrapTokens:
  - token: "__HOPPER_TOKEN__"
    groups:
      - "system:bootstrappers:kubeadm:default-node-token"
    ttl: "2h0m0s"
    usages:
      - "signing"
      - "authentication"
certificateKey: "__HOPPER_CERTIFICATE_KEY__"
localAPIEndpoint:
  advertiseAddress: "__HOPPER_NODE_IP__"
  bindPort: 6443
nodeRegistration:
  name: "__HOPPER_NODE_NAME__"
  criSocket: "unix:///var/run/containerd/containerd.sock"
  kubeletExtraArgs:
    - name: "cloud-provider"
      value: "external"
---
apiVersion: "kubeadm.k8s.io/v1beta4"
kind: "ClusterConfiguration"
clusterName: "demo"
kubernetesVersion: "v1.31.4"
controlPlaneEndpoint: "10.0.1.10:6443"
networking:
  podSubnet: "10.244.0.0/16"
  serviceSubnet: "10.96.0.0/12"
  dnsDomain: "cluster.local"
apiServer:
  certSANs:
    - "10.0.1.10"
etcd:
  local:
    dataDir: "/var/lib/etcd/data"
controllerManager:
  extraArgs:
    - name: "cloud-provider"
      value: "external"
HOPPER_EOF
)
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_NODE_NAME__/"$NODE_NAME"}
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_NODE_IP__/"$NODE_IP"}
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_TOKEN__/"$JOIN_TOKEN"}
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_CERTIFICATE_KEY__/"$CERTIFICATE_KEY"}
printf '%s\n' "$HOPPER_TEMPLATE" >/etc/kubernetes/kubeadm-init.yaml
  if ! run_logged kubeadm-init kubeadm init --config /etc/kubernetes/kubeadm-init.yaml --upload-certs "${INIT_FLAGS[@]}"; then
    # A half-initialised host fails the preflight checks of the next attempt; the reset
    # must not take the seat's etcd data with it, so the volume leaves first.
    if mountpoint -q /var/lib/etcd && [[ ${#INIT_FLAGS[@]} -gt 0 ]]; then umount /var/lib/etcd; fi
    run_logged kubeadm-reset kubeadm reset -f || true
    rm -f /etc/kubernetes/kubeadm-init.yaml
    for put in "${JOIN_PUTS[@]}"; do wait "$put" || true; done
    for stale in token certificate-key; do
      aws ssm delete-parameter --region "$REGION" --name "${PARAM_PREFIX}join/$stale" >/dev/null 2>&1 || true
    done
    exit 1
  fi
  for put in "${JOIN_PUTS[@]}"; do wait "$put"; done
  echo "hopper: join data for $JOIN_ENDPOINT stored under $PARAM_PREFIX (token, CA hash, certificate key, endpoint)"
  rm -f /etc/kubernetes/kubeadm-init.yaml
  echo "hopper: kubeadm init finished on $NODE_NAME"
fi

# The CA keys outlive this instance (Parameter Store, SecureString, control planes only).
for pki_file in ca.crt ca.key sa.key sa.pub front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key; do
  if [[ -f /etc/kubernetes/pki/$pki_file ]]; then
    put_param "pki/$pki_file" "$(base64 -w0 < "/etc/kubernetes/pki/$pki_file")"
  fi
done
echo "hopper: the cluster's CA keys are stored under ${PARAM_PREFIX}pki/"
