#!/bin/bash
# Hopper: join a node of instance group gpu (kubeadm join)
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

if [[ -f /etc/kubernetes/kubelet.conf ]]; then
  echo "hopper: $NODE_NAME has joined already; nothing to do"
  exit 0
fi

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

wait_for_discovery() {
  local _ info deadline=$((SECONDS + 240))
  for _ in $(seq 1 480); do
    info=$(curl -ksf --connect-timeout 1 --max-time 2 "https://$1/api/v1/namespaces/kube-public/configmaps/cluster-info" 2>/dev/null) &&
      [[ $info == *"\"jws-kubeconfig-${2%%.*}\":"* ]] && return 0
    (( SECONDS < deadline )) || return 0
    sleep 0.5
  done
  return 0
}

mkdir -p /etc/kubernetes

# get_param fails while the parameters do not exist yet: retry those reads.
read_join_data() {
  JOIN_TOKEN=$(get_param join/token) || return 1
  CA_CERT_HASH=$(get_param join/ca-cert-hash) || return 1
  JOIN_ENDPOINT=$(get_param join/endpoint) || return 1
}

joined=false
for attempt in $(seq 1 120); do
  if read_join_data; then
    require_format JOIN_TOKEN "$JOIN_TOKEN" '^[a-z0-9]{6}[.][a-z0-9]{16}$'
    require_format CA_CERT_HASH "$CA_CERT_HASH" '^sha256:[0-9a-f]{64}$'
    require_format JOIN_ENDPOINT "$JOIN_ENDPOINT" '^[A-Za-z0-9.-]+:[0-9]{1,5}$'
HOPPER_TEMPLATE=$(cat <<'HOPPER_EOF'
apiVersion: "kubeadm.k8s.io/v1beta4"
kind: "JoinConfiguration"
discovery:
  bootstrapToken:
    apiServerEndpoint: "__HOPPER_ENDPOINT__"
    token: "__HOPPER_TOKEN__"
    caCertHashes:
      - "__HOPPER_CA_CERT_HASH__"
nodeRegistration:
  name: "__HOPPER_NODE_NAME__"
  criSocket: "unix:///var/run/containerd/containerd.sock"
  kubeletExtraArgs:
    - name: "cloud-provider"
      value: "external"
    - name: "node-labels"
      value: "hopper.io/accelerator=nvidia,hopper.io/instance-group=gpu,spot=true,team=ml"
  taints:
    - key: "nvidia.com/gpu"
      value: "present"
      effect: "NoSchedule"
    - key: "dedicated"
      effect: "NoExecute"
HOPPER_EOF
)
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_NODE_NAME__/"$NODE_NAME"}
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_ENDPOINT__/"$JOIN_ENDPOINT"}
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_TOKEN__/"$JOIN_TOKEN"}
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_CA_CERT_HASH__/"$CA_CERT_HASH"}
printf '%s\n' "$HOPPER_TEMPLATE" >/etc/kubernetes/kubeadm-join.yaml
    wait_for_discovery "$JOIN_ENDPOINT" "$JOIN_TOKEN"
    if run_logged kubeadm-join kubeadm join --config /etc/kubernetes/kubeadm-join.yaml; then
      joined=true
      break
    fi
    # Clean up the failed attempt, or the next one fails its preflight checks.
    run_logged kubeadm-reset kubeadm reset -f || true
  fi
  echo "hopper: join attempt $attempt of 120 failed; retrying in 5s" >&2
  sleep 5
done
if [[ $joined != true ]]; then
  echo "hopper: $NODE_NAME could not join the cluster" >&2
  exit 1
fi
echo "hopper: $NODE_NAME joined the cluster at $JOIN_ENDPOINT as a node of group gpu"
