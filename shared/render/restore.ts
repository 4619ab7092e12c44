/**
 * Restoring a cluster's etcd from a backup, on every control plane at once, in three scripts
 * the restore workflow sends one phase after the other (kubeadm's documented procedure for a
 * stacked etcd):
 *
 * 1. `fetch`: the backup copied from S3 onto the etcd volume and checked — its SHA-256 must be
 *    the one recorded when it was taken, and etcdctl must read it. Nothing is stopped yet: a
 *    damaged backup changes nothing.
 * 2. `restore`: the control plane's static pods stopped (their manifests moved aside), the
 *    snapshot restored into a new data directory for this member of a new etcd cluster made of
 *    all the members (its own `--initial-cluster-token`: members still on the old data cannot
 *    join it by mistake), put in place of the old one, which is kept beside it until a later
 *    restore succeeds.
 * 3. `start`: the manifests put back; done once the API server answers, which needs a quorum
 *    of restored members — hence the phases run on every member at once.
 * Then every kubelet of the cluster restarts (renderRestartKubeletScript).
 *
 * Each is safe to run twice: a member restored already (its stamp on the volume) is not
 * restored again, and manifests are moved only from where they are.
 */
import { resolveContext } from './context';
import { CRICTL, ETCD_DATA_DIR, ETCD_MOUNT, STOP_ORDER } from './etcd';
import { IMDS, NODE_IDENTITY, REQUIRE_FORMAT, REQUIRE_INITIALISED_CONTROL_PLANE, script, shellQuote } from './shell';
import type { RenderContext } from './types';

export interface RestoreTarget {
  bucket: string;
  key: string;
  /** The backup's id, as the user named it. */
  backup: string;
  /** Its SHA-256, from the object's metadata. */
  sha256: string;
  /** The new etcd cluster's `--initial-cluster-token` (one per restore operation). */
  token: string;
  /** Every member of the restored etcd: node name and address. */
  members: { name: string; address: string }[];
}

export type RestorePhase = 'fetch' | 'restore' | 'start' | 'resume';

const MANIFESTS = '/etc/kubernetes/manifests';
/** Where the stopped static pods' manifests wait while etcd is restored. */
const HELD = '/etc/kubernetes/hopper-restore-held';
const ETCDCTL_OFFLINE = 'ETCDCTL_API=3 etcdctl';

const snapshotFile = (t: RestoreTarget) => `${ETCD_MOUNT}/${t.token}.db`;

export function renderRestoreScript(ctx: RenderContext, target: RestoreTarget, phase: RestorePhase): string {
  const r = resolveContext(ctx);
  if (!/^[0-9a-f]{64}$/.test(target.sha256)) throw new Error(`not a SHA-256: ${target.sha256}`);
  if (!/^[a-z0-9-]{1,64}$/.test(target.token)) throw new Error(`not a restore token: ${target.token}`);
  const snapshot = snapshotFile(target);
  if (phase === 'fetch') {
    return script(r, `fetch and verify etcd backup ${target.backup}`, [
      REQUIRE_INITIALISED_CONTROL_PLANE,
      `REGION=${shellQuote(r.ctx.region)}`,
      `SNAPSHOT=${shellQuote(snapshot)}
aws s3 cp ${shellQuote(`s3://${target.bucket}/${target.key}`)} "$SNAPSHOT.part" --region "$REGION" >/dev/null
ACTUAL=$(sha256sum "$SNAPSHOT.part" | cut -d' ' -f1)
if [[ $ACTUAL != ${target.sha256} ]]; then
  rm -f "$SNAPSHOT.part"
  echo "hopper: backup ${target.backup} is damaged: its SHA-256 is $ACTUAL, not ${target.sha256} as recorded when it was taken. Nothing was changed." >&2
  exit 1
fi
if ! ${ETCDCTL_OFFLINE} snapshot status "$SNAPSHOT.part" -w json >/dev/null; then
  rm -f "$SNAPSHOT.part"
  echo "hopper: backup ${target.backup} is not an etcd snapshot etcdctl can read. Nothing was changed." >&2
  exit 1
fi
# Room on the volume for the restored copy beside the snapshot (the old data is moved, not copied).
SIZE=$(stat -c %s "$SNAPSHOT.part")
FREE=$(df --output=avail -B1 ${ETCD_MOUNT} | tail -1)
if (( FREE < 2 * SIZE + 268435456 )); then
  rm -f "$SNAPSHOT.part"
  echo "hopper: ${ETCD_MOUNT} has $FREE bytes free; restoring backup ${target.backup} ($SIZE bytes) needs twice its size and 256 MiB. Nothing was changed." >&2
  exit 1
fi
mv "$SNAPSHOT.part" "$SNAPSHOT"
echo "hopper: backup ${target.backup} fetched and verified (sha256 ${target.sha256})"`,
    ]);
  }
  if (phase === 'restore') {
    const initialCluster = target.members.map((m) => `${m.name}=https://${m.address}:2380`).join(',');
    const restoreDir = `${ETCD_MOUNT}/${target.token}`;
    const stamp = `${ETCD_MOUNT}/${target.token}.done`;
    return script(r, `restore etcd from backup ${target.backup} on this member`, [
      REQUIRE_INITIALISED_CONTROL_PLANE,
      REQUIRE_FORMAT,
      IMDS,
      NODE_IDENTITY,
      `INITIAL_CLUSTER=${shellQuote(initialCluster)}
case ",$INITIAL_CLUSTER," in
  *",$NODE_NAME=https://$NODE_IP:2380,"*) ;;
  *) echo "hopper: this instance ($NODE_NAME) is not one of the members being restored" >&2; exit 1 ;;
esac`,
      `# Every control-plane static pod stops (the kubelet stops what leaves its manifest directory):
# the API server first (no more writes), etcd last; the controllers and the scheduler start
# again on the restored data rather than act on what they cached.
mkdir -p ${HELD}
for component in ${STOP_ORDER.join(' ')}; do
  if [[ -f ${MANIFESTS}/$component.yaml ]]; then mv ${MANIFESTS}/$component.yaml ${HELD}/; fi
done
STOPPED=""
for _ in $(seq 60); do
  # A plain assignment: crictl failing (no runtime socket) stops the script instead of reading as "stopped".
  RUNNING=$(${CRICTL} ps --name '^(etcd|kube-apiserver)$' -q)
  if [[ -z $RUNNING ]]; then STOPPED=yes; break; fi
  sleep 2
done
if [[ -z $STOPPED ]]; then
  echo "hopper: etcd and the API server did not stop within two minutes" >&2
  exit 1
fi`,
      `if [[ ! -f ${stamp} ]]; then
  if [[ ! -f ${shellQuote(snapshot)} ]]; then
    echo "hopper: the verified backup is not on this instance (the fetch phase did not run here)" >&2
    exit 1
  fi
  rm -rf ${restoreDir}
  ${ETCDCTL_OFFLINE} snapshot restore ${shellQuote(snapshot)} --data-dir ${restoreDir} --name "$NODE_NAME" \\
    --initial-cluster "$INITIAL_CLUSTER" --initial-advertise-peer-urls "https://$NODE_IP:2380" --initial-cluster-token ${target.token} >/dev/null
  # The data it replaces stays beside it, under this restore's name, until a later restore
  # has succeeded (the start phase prunes older ones): a failed attempt never costs the original.
  if [[ -d ${ETCD_DATA_DIR} ]]; then
    mv ${ETCD_DATA_DIR} ${ETCD_MOUNT}/data.before-${target.token}
  fi
  mv ${restoreDir} ${ETCD_DATA_DIR}
  touch ${stamp}
fi
rm -f ${shellQuote(snapshot)}
echo "hopper: $NODE_NAME restored from backup ${target.backup}; its API server and etcd wait in ${HELD}"`,
    ]);
  }
  if (phase === 'resume') {
    // A restore that failed part-way: no control plane stays stopped. Each member starts on the
    // data it has; the lineage with a quorum — the restored one where enough members got it,
    // else the old one — serves.
    return script(r, `start the control plane again after the failed restore of backup ${target.backup}`, [
      `for component in ${[...STOP_ORDER].reverse().join(' ')}; do
  if [[ -f ${HELD}/$component.yaml ]]; then mv ${HELD}/$component.yaml ${MANIFESTS}/; fi
done
rm -f ${shellQuote(snapshot)}
echo "hopper: the control plane's static pods are back in ${MANIFESTS}"`,
    ]);
  }
  return script(r, `start the control plane again on the data of backup ${target.backup}`, [
    `${REQUIRE_INITIALISED_CONTROL_PLANE}\nexport KUBECONFIG=/etc/kubernetes/admin.conf`,
    `# etcd first, then the API server that needs it, then the controllers.
for component in ${[...STOP_ORDER].reverse().join(' ')}; do
  if [[ -f ${HELD}/$component.yaml ]]; then mv ${HELD}/$component.yaml ${MANIFESTS}/; fi
done`,
    `# Back once a quorum of members runs on the restored data (the others start at the same time).
for _ in $(seq 90); do
  if kubectl get nodes -o name >/dev/null 2>&1; then break; fi
  sleep 2
done
kubectl get nodes -o name >/dev/null
# The restore succeeded here: what earlier restores set aside goes, this one's stays.
find ${ETCD_MOUNT} -maxdepth 1 -name 'data.before-*' ! -name 'data.before-${target.token}' -exec rm -rf {} +
echo "hopper: the API server answers on the restored data"`,
  ]);
}

/**
 * On every instance of the cluster after a restore: the kubelet restarted, so that it
 * registers its Node again if the backup predates it and lists what it runs afresh rather
 * than from watches whose versions the restore made meaningless.
 */
export function renderRestartKubeletScript(ctx: RenderContext, backup: string): string {
  const r = resolveContext(ctx);
  return script(r, `restart the kubelet after the restore of backup ${backup}`, [
    `systemctl restart kubelet
for _ in $(seq 30); do
  if systemctl is-active --quiet kubelet; then break; fi
  sleep 2
done
systemctl is-active --quiet kubelet
echo "hopper: kubelet restarted on the restored cluster"`,
  ]);
}
