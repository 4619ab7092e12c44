#!/bin/bash
# Hopper: restore etcd from backup 2026-12-05T01-45-00Z on this member
# Rendered for cluster prod.k8s.local, Kubernetes v1.32.1. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

if [[ ! -f /etc/kubernetes/admin.conf ]]; then
  echo "hopper: this instance is not an initialised control plane" >&2
  exit 1
fi

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

INITIAL_CLUSTER='ip-10-1-1-10.cn-north-1.compute.internal=https://10.1.1.10:2380,ip-10-1-2-10.cn-north-1.compute.internal=https://10.1.2.10:2380,ip-10-1-3-10.cn-north-1.compute.internal=https://10.1.3.10:2380'
case ",$INITIAL_CLUSTER," in
  *",$NODE_NAME=https://$NODE_IP:2380,"*) ;;
  *) echo "hopper: this instance ($NODE_NAME) is not one of the members being restored" >&2; exit 1 ;;
esac

# Every control-plane static pod stops (the kubelet stops what leaves its manifest directory):
# the API server first (no more writes), etcd last; the controllers and the scheduler start
# again on the restored data rather than act on what they cached.
mkdir -p /etc/kubernetes/hopper-restore-held
for component in kube-apiserver kube-controller-manager kube-scheduler etcd; do
  if [[ -f /etc/kubernetes/manifests/$component.yaml ]]; then mv /etc/kubernetes/manifests/$component.yaml /etc/kubernetes/hopper-restore-held/; fi
done
STOPPED=""
for _ in $(seq 60); do
  # A plain assignment: crictl failing (no runtime socket) stops the script instead of reading as "stopped".
  RUNNING=$(crictl --runtime-endpoint unix:///run/containerd/containerd.sock ps --name '^(etcd|kube-apiserver)$' -q)
  if [[ -z $RUNNING ]]; then STOPPED=yes; break; fi
  sleep 2
done
if [[ -z $STOPPED ]]; then
  echo "hopper: etcd and the API server did not stop within two minutes" >&2
  exit 1
fi

if [[ ! -f /var/lib/etcd/hopper-restore-0123456789abcdef.done ]]; then
  if [[ ! -f '/var/lib/etcd/hopper-restore-0123456789abcdef.db' ]]; then
    echo "hopper: the verified backup is not on this instance (the fetch phase did not run here)" >&2
    exit 1
  fi
  rm -rf /var/lib/etcd/hopper-restore-0123456789abcdef
  ETCDCTL_API=3 etcdctl snapshot restore '/var/lib/etcd/hopper-restore-0123456789abcdef.db' --data-dir /var/lib/etcd/hopper-restore-0123456789abcdef --name "$NODE_NAME" \
    --initial-cluster "$INITIAL_CLUSTER" --initial-advertise-peer-urls "https://$NODE_IP:2380" --initial-cluster-token hopper-restore-0123456789abcdef >/dev/null
  # The data it replaces stays beside it, under this restore's name, until a later restore
  # has succeeded (the start phase prunes older ones): a failed attempt never costs the original.
  if [[ -d /var/lib/etcd/data ]]; then
    mv /var/lib/etcd/data /var/lib/etcd/data.before-hopper-restore-0123456789abcdef
  fi
  mv /var/lib/etcd/hopper-restore-0123456789abcdef /var/lib/etcd/data
  touch /var/lib/etcd/hopper-restore-0123456789abcdef.done
fi
rm -f '/var/lib/etcd/hopper-restore-0123456789abcdef.db'
echo "hopper: $NODE_NAME restored from backup 2026-12-05T01-45-00Z; its API server and etcd wait in /etc/kubernetes/hopper-restore-held"
