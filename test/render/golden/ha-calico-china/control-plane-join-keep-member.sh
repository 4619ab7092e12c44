#!/bin/bash
# Hopper: join a control-plane instance (kubeadm join, control plane)
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

JOIN_FLAGS=()

# etcd keeps its data on this seat's own EBS volume, which outlives the instance.
ETCD_VOLUME='vol-0123456789abcdef0'
ETCD_SERIAL=${ETCD_VOLUME//-/}
ETCD_DEVICE=""
for ((attempt = 0; attempt < 60; attempt++)); do
  ETCD_DEVICE=$(lsblk -dnpo NAME,SERIAL | awk -v serial="$ETCD_SERIAL" '$2 == serial {print $1}')
  [[ -n $ETCD_DEVICE ]] && break
  sleep 5
done
if [[ -z $ETCD_DEVICE ]]; then
  echo "hopper: the etcd volume $ETCD_VOLUME is not attached to this instance" >&2
  exit 1
fi
mkdir -p /var/lib/etcd
if ! mountpoint -q /var/lib/etcd; then
  # A new volume has no filesystem yet; one that held this seat before keeps its data.
  blkid "$ETCD_DEVICE" >/dev/null || mkfs.ext4 -q -L etcd "$ETCD_DEVICE"
  mount -o noatime "$ETCD_DEVICE" /var/lib/etcd
fi
grep -q ' /var/lib/etcd ' /etc/fstab 2>/dev/null || echo "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$ETCD_SERIAL /var/lib/etcd ext4 defaults,noatime,nofail 0 2" >> /etc/fstab
echo "hopper: etcd volume $ETCD_VOLUME mounted at /var/lib/etcd"

if [[ ! -e /var/lib/etcd/data/member ]]; then
  echo "hopper: etcd still has this seat's member at $NODE_IP, but the seat's volume holds no data for it: remove the member (etcdctl member remove on a working control plane) and replace the seat again" >&2
  exit 1
fi
echo "hopper: the seat's etcd member starts again from its data on the volume and catches up from the others"
JOIN_FLAGS+=(--ignore-preflight-errors=DirAvailable--var-lib-etcd-data --skip-phases=check-etcd)

# The first control plane publishes the join data as its kubeadm init starts.
for attempt in $(seq 1 60); do
  if get_param join/token >/dev/null 2>&1 && get_param join/ca-cert-hash >/dev/null 2>&1 && get_param join/certificate-key >/dev/null 2>&1 && get_param join/endpoint >/dev/null 2>&1; then
    break
  fi
  if [[ $attempt -eq 60 ]]; then
    echo "hopper: no join data under $PARAM_PREFIX after $((60 * 5))s" >&2
    exit 1
  fi
  sleep 5
done

JOIN_TOKEN=$(get_param join/token)
CA_CERT_HASH=$(get_param join/ca-cert-hash)
JOIN_ENDPOINT=$(get_param join/endpoint)
CERTIFICATE_KEY=$(get_param join/certificate-key)
require_format JOIN_TOKEN "$JOIN_TOKEN" '^[a-z0-9]{6}[.][a-z0-9]{16}$'
require_format CA_CERT_HASH "$CA_CERT_HASH" '^sha256:[0-9a-f]{64}$'
require_format JOIN_ENDPOINT "$JOIN_ENDPOINT" '^[A-Za-z0-9.-]+:[0-9]{1,5}$'
require_format CERTIFICATE_KEY "$CERTIFICATE_KEY" '^[0-9a-f]{64}$'

mkdir -p /etc/kubernetes
HOPPER_TEMPLATE=$(cat <<'HOPPER_EOF'
apiVersion: "kubeadm.k8s.io/v1beta4"
kind: "JoinConfiguration"
discovery:
  bootstrapToken:
    apiServerEndpoint: "__HOPPER_ENDPOINT__"
    token: "__HOPPER_TOKEN__"
    caCertHashes:
      - "__HOPPER_CA_CERT_HASH__"
controlPlane:
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
HOPPER_EOF
)
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_NODE_NAME__/"$NODE_NAME"}
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_NODE_IP__/"$NODE_IP"}
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_ENDPOINT__/"$JOIN_ENDPOINT"}
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_TOKEN__/"$JOIN_TOKEN"}
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_CA_CERT_HASH__/"$CA_CERT_HASH"}
HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_CERTIFICATE_KEY__/"$CERTIFICATE_KEY"}
printf '%s\n' "$HOPPER_TEMPLATE" >/etc/kubernetes/kubeadm-join.yaml
wait_for_discovery "$JOIN_ENDPOINT" "$JOIN_TOKEN"
if ! run_logged kubeadm-join kubeadm join --config /etc/kubernetes/kubeadm-join.yaml "${JOIN_FLAGS[@]}"; then
  rm -f /etc/kubernetes/manifests/etcd.yaml
  for _ in $(seq 30); do
    [[ -z $(crictl --runtime-endpoint unix:///run/containerd/containerd.sock ps --name '^etcd$' -q 2>/dev/null) ]] && break
    sleep 2
  done
  systemctl stop kubelet || true
  for _ in $(seq 10); do
    mountpoint -q /var/lib/etcd || break
    umount /var/lib/etcd 2>/dev/null || sleep 2
  done
  if mountpoint -q /var/lib/etcd; then
    rm -f /etc/kubernetes/kubelet.conf
    echo "hopper: the seat's etcd volume is still busy; the host is not reset, so that the member's data stays" >&2
    exit 1
  fi
  run_logged kubeadm-reset kubeadm reset -f --skip-phases=remove-etcd-member || true
  exit 1
fi
echo "hopper: $NODE_NAME joined the control plane at $JOIN_ENDPOINT"

if [[ $(kubectl --kubeconfig /etc/kubernetes/admin.conf get node "$NODE_NAME" -o 'jsonpath={.spec.unschedulable}') == true ]]; then
  kubectl --kubeconfig /etc/kubernetes/admin.conf uncordon "$NODE_NAME" >/dev/null
  echo "hopper: $NODE_NAME took over its predecessor's Node, cordoned for the replacement: uncordoned"
fi
