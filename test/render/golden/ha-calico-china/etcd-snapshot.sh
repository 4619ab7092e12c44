#!/bin/bash
# Hopper: take an etcd snapshot to the backups bucket
# Rendered for cluster prod.k8s.local, Kubernetes v1.32.1. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

REGION='cn-north-1'

ETCDCTL=(env ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key)
SNAPSHOT=/var/lib/etcd/hopper-snapshot.db
trap 'rm -f "$SNAPSHOT"' EXIT
"${ETCDCTL[@]}" snapshot save "$SNAPSHOT" >/dev/null
REVISION=$(ETCDCTL_API=3 etcdctl snapshot status "$SNAPSHOT" -w json | sed -n 's/.*"revision":\([0-9]*\).*/\1/p')
SHA256=$(sha256sum "$SNAPSHOT" | cut -d' ' -f1)
SIZE=$(stat -c %s "$SNAPSHOT")
aws s3 cp "$SNAPSHOT" 's3://hopper-prod-backups-123456789012/prod/etcd/2026-12-05T01-45-00Z.db' --region "$REGION" --metadata "revision=$REVISION,sha256=$SHA256,cluster=prod,cluster-uid=c0ffee,kubernetes-version=1.32.1" >/dev/null
echo "hopper: etcd snapshot at revision $REVISION ($SIZE bytes, sha256 $SHA256) stored at s3://hopper-prod-backups-123456789012/prod/etcd/2026-12-05T01-45-00Z.db"
