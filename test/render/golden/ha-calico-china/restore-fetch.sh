#!/bin/bash
# Hopper: fetch and verify etcd backup 2026-12-05T01-45-00Z
# Rendered for cluster prod.k8s.local, Kubernetes v1.32.1. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

if [[ ! -f /etc/kubernetes/admin.conf ]]; then
  echo "hopper: this instance is not an initialised control plane" >&2
  exit 1
fi

REGION='cn-north-1'

SNAPSHOT='/var/lib/etcd/hopper-restore-0123456789abcdef.db'
aws s3 cp 's3://hopper-prod-backups-123456789012/prod/etcd/2026-12-05T01-45-00Z.db' "$SNAPSHOT.part" --region "$REGION" >/dev/null
ACTUAL=$(sha256sum "$SNAPSHOT.part" | cut -d' ' -f1)
if [[ $ACTUAL != aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ]]; then
  rm -f "$SNAPSHOT.part"
  echo "hopper: backup 2026-12-05T01-45-00Z is damaged: its SHA-256 is $ACTUAL, not aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa as recorded when it was taken. Nothing was changed." >&2
  exit 1
fi
if ! ETCDCTL_API=3 etcdctl snapshot status "$SNAPSHOT.part" -w json >/dev/null; then
  rm -f "$SNAPSHOT.part"
  echo "hopper: backup 2026-12-05T01-45-00Z is not an etcd snapshot etcdctl can read. Nothing was changed." >&2
  exit 1
fi
# Room on the volume for the restored copy beside the snapshot (the old data is moved, not copied).
SIZE=$(stat -c %s "$SNAPSHOT.part")
FREE=$(df --output=avail -B1 /var/lib/etcd | tail -1)
if (( FREE < 2 * SIZE + 268435456 )); then
  rm -f "$SNAPSHOT.part"
  echo "hopper: /var/lib/etcd has $FREE bytes free; restoring backup 2026-12-05T01-45-00Z ($SIZE bytes) needs twice its size and 256 MiB. Nothing was changed." >&2
  exit 1
fi
mv "$SNAPSHOT.part" "$SNAPSHOT"
echo "hopper: backup 2026-12-05T01-45-00Z fetched and verified (sha256 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)"
