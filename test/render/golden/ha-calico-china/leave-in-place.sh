#!/bin/bash
# Hopper: stop this control plane for its replacement; its etcd member and data stay on the seat's volume.
set -euo pipefail
MANIFESTS=/etc/kubernetes/manifests
HELD=/etc/kubernetes/hopper-leaving
mkdir -p "$HELD"
for component in kube-apiserver kube-controller-manager kube-scheduler etcd; do
  if [[ -f $MANIFESTS/$component.yaml ]]; then mv "$MANIFESTS/$component.yaml" "$HELD/"; fi
done
STOPPED=""
for _ in $(seq 60); do
  # A plain assignment: crictl failing (no runtime socket) stops the script instead of reading as "stopped".
  RUNNING=$(crictl --runtime-endpoint unix:///run/containerd/containerd.sock ps --name '^(etcd|kube-apiserver)$' -q)
  if [[ -z $RUNNING ]]; then STOPPED=yes; break; fi
  sleep 2
done
if [[ -z $STOPPED ]]; then
  for component in etcd kube-scheduler kube-controller-manager kube-apiserver; do
    if [[ -f $HELD/$component.yaml ]]; then mv "$HELD/$component.yaml" "$MANIFESTS/"; fi
  done
  echo "hopper: etcd and the API server did not stop within two minutes; they were started again" >&2
  exit 1
fi
systemctl stop kubelet
sync
if mountpoint -q /var/lib/etcd && ! umount /var/lib/etcd; then
  # Not left half-stopped: the control plane starts again, and the replacement waits for a retry.
  systemctl start kubelet
  for component in etcd kube-scheduler kube-controller-manager kube-apiserver; do
    if [[ -f $HELD/$component.yaml ]]; then mv "$HELD/$component.yaml" "$MANIFESTS/"; fi
  done
  echo "hopper: the seat's etcd volume could not be unmounted; the control plane was started again" >&2
  exit 1
fi
echo "hopper: stopped in place; its etcd member and data stay on the seat's volume for the replacement"
