/**
 * Shell for a control plane's etcd volume and the cluster's CA keys.
 *
 * - The seat's EBS volume is found by its NVMe serial (the volume id without the dash, as
 *   Nitro instances present it), formatted only if it has no filesystem yet (a volume that
 *   served the seat before keeps its data), and mounted at /var/lib/etcd; etcd's data
 *   directory is /var/lib/etcd/data (mkfs leaves lost+found at the top, which kubeadm's
 *   empty-directory check would refuse).
 * - The CA keys kubeadm made (cluster CA, front proxy CA, etcd CA, service-account key) go
 *   to Parameter Store as SecureString under `pki/`, readable by this cluster's control
 *   planes only: a control plane restored from its volume alone needs them, or every kubelet
 *   and service-account token the cluster issued stops being trusted.
 */
import { resolveContext } from './context';
import { script, shellQuote } from './shell';
import type { RenderContext } from './types';

/** Where the volume is mounted, and etcd's data directory on it. */
export const ETCD_MOUNT = '/var/lib/etcd';
export const ETCD_DATA_DIR = `${ETCD_MOUNT}/data`;
/** kubeadm's preflight check that etcd's data directory is empty (skipped when restoring from it). */
export const ETCD_DATA_DIR_CHECK = `DirAvailable-${ETCD_DATA_DIR.replace(/\//g, '-')}`;
/** The keys and certificates under /etc/kubernetes/pki that outlive any one control plane. */
export const DURABLE_PKI_FILES = ['ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key'];

/** crictl against the container runtime kubeadm's kubelet uses. */
export const CRICTL = 'crictl --runtime-endpoint unix:///run/containerd/containerd.sock';
/** The control plane's static pods, in the order they stop (and the reverse of the one they start). */
export const STOP_ORDER = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'];

/** Waits for the seat's volume, formats it if new, mounts it at /var/lib/etcd (and in fstab, for reboots). */
export function mountEtcdVolume(volumeId: string): string {
  return `# etcd keeps its data on this seat's own EBS volume, which outlives the instance.
ETCD_VOLUME=${shellQuote(volumeId)}
ETCD_SERIAL=\${ETCD_VOLUME//-/}
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
mkdir -p ${ETCD_MOUNT}
if ! mountpoint -q ${ETCD_MOUNT}; then
  # A new volume has no filesystem yet; one that held this seat before keeps its data.
  blkid "$ETCD_DEVICE" >/dev/null || mkfs.ext4 -q -L etcd "$ETCD_DEVICE"
  mount -o noatime "$ETCD_DEVICE" ${ETCD_MOUNT}
fi
grep -q ' ${ETCD_MOUNT} ' /etc/fstab 2>/dev/null || echo "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$ETCD_SERIAL ${ETCD_MOUNT} ext4 defaults,noatime,nofail 0 2" >> /etc/fstab
echo "hopper: etcd volume $ETCD_VOLUME mounted at ${ETCD_MOUNT}"`;
}

/**
 * Stores the durable PKI files that exist in Parameter Store (base64: a PEM starts with dashes,
 * which the AWS CLI would take for an option). Needs PARAMETERS.
 */
export const SAVE_PKI = `# The CA keys outlive this instance (Parameter Store, SecureString, control planes only).
for pki_file in ${DURABLE_PKI_FILES.join(' ')}; do
  if [[ -f /etc/kubernetes/pki/$pki_file ]]; then
    put_param "pki/$pki_file" "$(base64 -w0 < "/etc/kubernetes/pki/$pki_file")"
  fi
done
echo "hopper: the cluster's CA keys are stored under \${PARAM_PREFIX}pki/"`;

/** Puts the stored PKI files back before kubeadm runs, so that it reuses them. Needs PARAMETERS. */
export const RESTORE_PKI = `mkdir -p /etc/kubernetes/pki/etcd
for pki_file in ${DURABLE_PKI_FILES.join(' ')}; do
  if pki_value=$(get_param "pki/$pki_file" 2>/dev/null); then
    printf '%s' "$pki_value" | base64 -d > "/etc/kubernetes/pki/$pki_file"
  fi
done`;

/**
 * The backup a seat's new, empty volume is filled from: its only control plane was lost together
 * with its etcd volume, and nothing else holds the cluster's data (AttachEtcdVolumes decides).
 */
export interface SeatRestore {
  bucket: string;
  key: string;
  /** The backup's id, as `hopper get backups` lists it. */
  backup: string;
  /** When it was taken: what changed after is lost, and the scripts say so. */
  takenAt: string;
  /** Its SHA-256, from the object's metadata when it was taken. */
  sha256: string;
}

/**
 * etcd's data directory made from a backup, on a seat volume that has none (kubeadm's documented
 * restore of a single control plane: `etcdctl snapshot restore` into the data directory, then
 * `kubeadm init` over it). The snapshot is fetched onto the volume, checked against the SHA-256
 * recorded when it was taken, and restored as the only member of a new etcd cluster at this
 * instance's name and address, which are the ones kubeadm's etcd manifest gives it. A rerun finds
 * the data directory and does nothing; data restored once and gone again is not restored from
 * the same (by then old) backup without a person. Needs NODE_IDENTITY and REGION.
 */
export function restoreSeatFromBackup(target: SeatRestore): string {
  if (!/^[0-9a-f]{64}$/.test(target.sha256)) throw new Error(`not a SHA-256: ${target.sha256}`);
  const snapshot = `${ETCD_MOUNT}/hopper-seat-restore.db`;
  const staging = `${ETCD_MOUNT}/hopper-seat-restore`;
  const stamp = `${ETCD_MOUNT}/hopper-restored-${target.sha256.slice(0, 16)}`;
  return `if [[ ! -e ${ETCD_DATA_DIR}/member ]]; then
  if [[ -e ${stamp} ]]; then
    # Restored here once already, and the data is gone again: not silently from that (old) backup.
    echo "hopper: the data restored from backup ${target.backup} onto this volume is gone; restore the cluster from the backup you choose (hopper restore cluster)" >&2
    exit 1
  fi
  # The seat's volume was lost with the only control plane: etcd starts again from the newest
  # backup (taken ${target.takenAt}); what changed after it is lost.
  aws s3 cp ${shellQuote(`s3://${target.bucket}/${target.key}`)} ${snapshot} --region "$REGION" >/dev/null
  RESTORE_SHA256=$(sha256sum ${snapshot} | cut -d' ' -f1)
  if [[ $RESTORE_SHA256 != ${target.sha256} ]]; then
    rm -f ${snapshot}
    echo "hopper: backup ${target.backup} is damaged: its SHA-256 is $RESTORE_SHA256, not ${target.sha256} as recorded when it was taken" >&2
    exit 1
  fi
  rm -rf ${staging}
  ETCDCTL_API=3 etcdctl snapshot restore ${snapshot} --data-dir ${staging} --name "$NODE_NAME" \\
    --initial-cluster "$NODE_NAME=https://$NODE_IP:2380" --initial-advertise-peer-urls "https://$NODE_IP:2380" \\
    --initial-cluster-token ${shellQuote(`hopper-seat-${target.sha256.slice(0, 16)}`)} >/dev/null
  mv ${staging} ${ETCD_DATA_DIR}
  touch ${stamp}
  rm -f ${snapshot}
  echo "hopper: etcd's data restored from backup ${target.backup} (taken ${target.takenAt}) onto the seat's new volume"
fi`;
}

/** `"${ETCDCTL[@]}" …`: etcdctl (API v3) against the local member, with the client certificates kubeadm made. */
const ETCDCTL_LOCAL =
  'ETCDCTL=(env ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key)';

/** What a snapshot run needs: where it goes, and whose it is (the restore checks). */
export interface SnapshotTarget {
  bucket: string;
  key: string;
  cluster: string;
  clusterUid: string;
  /** The version the control plane runs: a restore puts back the configuration of this version. */
  kubernetesVersion: string;
}

/**
 * An etcd snapshot of the local member (etcdctl with the etcd client certificates kubeadm
 * made), on the seat's volume while it is written, then to `s3://bucket/key` with its
 * revision, SHA-256, the cluster's uid and the Kubernetes version as metadata. A run that fails leaves nothing in the
 * bucket: the object is written whole or not at all.
 */
export function renderEtcdSnapshotScript(ctx: RenderContext, target: SnapshotTarget): string {
  const r = resolveContext(ctx);
  return script(r, 'take an etcd snapshot to the backups bucket', [
    `REGION=${shellQuote(r.ctx.region)}`,
    `${ETCDCTL_LOCAL}
SNAPSHOT=${ETCD_MOUNT}/hopper-snapshot.db
trap 'rm -f "$SNAPSHOT"' EXIT
"\${ETCDCTL[@]}" snapshot save "$SNAPSHOT" >/dev/null
REVISION=$(ETCDCTL_API=3 etcdctl snapshot status "$SNAPSHOT" -w json | sed -n 's/.*"revision":\\([0-9]*\\).*/\\1/p')
SHA256=$(sha256sum "$SNAPSHOT" | cut -d' ' -f1)
SIZE=$(stat -c %s "$SNAPSHOT")
aws s3 cp "$SNAPSHOT" ${shellQuote(`s3://${target.bucket}/${target.key}`)} --region "$REGION" --metadata "revision=$REVISION,sha256=$SHA256,cluster=${target.cluster},cluster-uid=${target.clusterUid},kubernetes-version=${target.kubernetesVersion}" >/dev/null
echo "hopper: etcd snapshot at revision $REVISION ($SIZE bytes, sha256 $SHA256) stored at s3://${target.bucket}/${target.key}"`,
  ]);
}

/**
 * On a working control plane: removes every etcd member that no running control-plane
 * instance backs — one whose instance was terminated behind Hopper's back never ran `kubeadm
 * reset`, so its member lingers, counting towards etcd's quorum — and its Node object. Members
 * are matched by the address of their peer URL; `liveAddresses` are the private addresses of
 * the cluster's control-plane instances that are not terminated (a stopped one may start
 * again), less the replacement about to join (a member at its address can only be a lost
 * predecessor's, when AWS gave it the same address). A rerun finds nothing more to remove.
 *
 * With `keepAddress` (the replacement took its seat's address, and the seat's volume holds that
 * address's member's data) the member there stays, to start again from its data, and the
 * script says whether etcd still has one there (SEAT_MEMBER_OUTPUT): the join keeps it only then.
 * Needs KUBECONFIG.
 */
export function removeDeadMembers(liveAddresses: string[], keepAddress?: string): string {
  for (const a of [...liveAddresses, ...(keepAddress ? [keepAddress] : [])]) if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(a)) throw new Error(`not an IPv4 address: ${a}`);
  const live = keepAddress ? [...liveAddresses, keepAddress] : liveAddresses;
  return `# etcd members no control-plane instance backs any more (lost instances) leave etcd, and their Nodes go.
${ETCDCTL_LOCAL}
LIVE_ADDRESSES=${shellQuote(` ${live.join(' ')} `)}
# id|address|name: a member that never started has no name yet, so the fields are split on "|".
MEMBERS=$("\${ETCDCTL[@]}" member list | awk -F', ' '{ split($4, url, "[/:]"); print $1 "|" url[4] "|" $3 }')
while IFS='|' read -r MEMBER_ID MEMBER_ADDRESS MEMBER_NAME; do
  [[ -z $MEMBER_ID || -z $MEMBER_ADDRESS || $LIVE_ADDRESSES == *" $MEMBER_ADDRESS "* ]] && continue
  "\${ETCDCTL[@]}" member remove "$MEMBER_ID" >/dev/null
  if [[ -n $MEMBER_NAME ]] && kubectl get node "$MEMBER_NAME" -o name >/dev/null 2>&1; then kubectl delete node "$MEMBER_NAME" >/dev/null; fi
  echo "hopper: etcd member \${MEMBER_NAME:-(never started)} ($MEMBER_ID) at $MEMBER_ADDRESS had no instance any more: removed, and its Node"
done <<<"$MEMBERS"${
    keepAddress
      ? `
# The seat's member at ${keepAddress} stays: its replacement starts it again from the data on its volume.
KEPT_NAME=$(awk -F'|' -v address=${shellQuote(keepAddress)} '$2 == address { print $3 "."; exit }' <<<"$MEMBERS")
if [[ -n $KEPT_NAME ]]; then
  KEPT_NAME=\${KEPT_NAME%.}
  # The predecessor's Node goes: the replacement registers its own (a new instance, a new provider ID).
  if [[ -n $KEPT_NAME ]] && kubectl get node "$KEPT_NAME" -o name >/dev/null 2>&1; then kubectl delete node "$KEPT_NAME" >/dev/null; fi
  echo "${SEAT_MEMBER_OUTPUT}kept"
else
  echo "${SEAT_MEMBER_OUTPUT}none"
fi`
      : ''
  }`;
}

/** The line the refresh prints about the seat's member at the kept address: `…kept` or `…none`. */
export const SEAT_MEMBER_OUTPUT = 'hopper-seat-member: ';

/**
 * Before a control plane is replaced by one at its own address: it stops in place, and its etcd
 * member stays in the cluster with its data on the seat's volume (etcd-manager keeps members
 * so, kOps' way). The static pods stop as the kubelet finds their manifests gone — the API
 * server first, etcd last, each shut down cleanly — then the kubelet, and the volume is
 * unmounted with everything written. The replacement, at the same address, starts the same
 * member from that data and catches up on what it missed from the others, instead of joining
 * as a new member that copies everything. If the pods do not stop, the manifests go back and
 * nothing has changed. Safe to run twice.
 */
export const LEAVE_IN_PLACE_SCRIPT = `#!/bin/bash
# Hopper: stop this control plane for its replacement; its etcd member and data stay on the seat's volume.
set -euo pipefail
MANIFESTS=/etc/kubernetes/manifests
HELD=/etc/kubernetes/hopper-leaving
mkdir -p "$HELD"
for component in ${STOP_ORDER.join(' ')}; do
  if [[ -f $MANIFESTS/$component.yaml ]]; then mv "$MANIFESTS/$component.yaml" "$HELD/"; fi
done
STOPPED=""
for _ in $(seq 60); do
  # A plain assignment: crictl failing (no runtime socket) stops the script instead of reading as "stopped".
  RUNNING=$(${CRICTL} ps --name '^(etcd|kube-apiserver)$' -q)
  if [[ -z $RUNNING ]]; then STOPPED=yes; break; fi
  sleep 2
done
if [[ -z $STOPPED ]]; then
  for component in ${[...STOP_ORDER].reverse().join(' ')}; do
    if [[ -f $HELD/$component.yaml ]]; then mv "$HELD/$component.yaml" "$MANIFESTS/"; fi
  done
  echo "hopper: etcd and the API server did not stop within two minutes; they were started again" >&2
  exit 1
fi
systemctl stop kubelet
sync
if mountpoint -q ${ETCD_MOUNT} && ! umount ${ETCD_MOUNT}; then
  # Not left half-stopped: the control plane starts again, and the replacement waits for a retry.
  systemctl start kubelet
  for component in ${[...STOP_ORDER].reverse().join(' ')}; do
    if [[ -f $HELD/$component.yaml ]]; then mv "$HELD/$component.yaml" "$MANIFESTS/"; fi
  done
  echo "hopper: the seat's etcd volume could not be unmounted; the control plane was started again" >&2
  exit 1
fi
echo "hopper: stopped in place; its etcd member and data stay on the seat's volume for the replacement"
`;
