/** The rendered files of each golden scenario, by file name. */
import {
  renderBakeScript,
  renderCertificateExpiryScript,
  renderCloudControllerManagerScript,
  renderCniInstallScript,
  renderControlPlaneInitScript,
  renderControlPlaneJoinScript,
  renderDeleteNodeScript,
  renderDrainScript,
  renderIssueClientCertificateScript,
  renderKubeadmInitConfig,
  renderKubeadmJoinConfig,
  renderNodesStatusScript,
  renderNodeUserData,
  renderRefreshJoinDataScript,
  renderRefreshJoinTokenScript,
  renderRenewCertificatesScript,
  renderEtcdSnapshotScript,
  renderRestoreScript,
  renderRestartKubeletScript,
  type RestoreTarget,
  renderUncordonScript,
  renderUpgradeScripts,
} from '../../shared/render';
import { haCalicoChina, singleCilium, TOKEN, CA_HASH, CERT_KEY } from './fixtures';

const node = { name: 'ip-10-0-1-10.ec2.internal', advertiseAddress: '10.0.1.10' };
const restore: RestoreTarget = {
  bucket: 'hopper-prod-backups-123456789012',
  key: 'prod/etcd/2026-12-05T01-45-00Z.db',
  backup: '2026-12-05T01-45-00Z',
  sha256: 'a'.repeat(64),
  token: 'hopper-restore-0123456789abcdef',
  members: [
    { name: 'ip-10-1-1-10.cn-north-1.compute.internal', address: '10.1.1.10' },
    { name: 'ip-10-1-2-10.cn-north-1.compute.internal', address: '10.1.2.10' },
    { name: 'ip-10-1-3-10.cn-north-1.compute.internal', address: '10.1.3.10' },
  ],
};

/** Scenario name → file name → rendered content. Files ending in .sh are shell scripts. */
export const SCENARIOS: Record<string, Record<string, string>> = {
  'single-cilium': {
    'bake.sh': renderBakeScript(singleCilium),
    'kubeadm-init.yaml': renderKubeadmInitConfig(singleCilium, node),
    'control-plane-init.sh': renderControlPlaneInitScript(singleCilium),
    'refresh-join-data.sh': renderRefreshJoinDataScript(singleCilium),
    'refresh-join-token.sh': renderRefreshJoinTokenScript(singleCilium),
    'issue-client-certificate.sh': renderIssueClientCertificateScript(singleCilium, {
      name: 'hopper-demo-0a1b2c3d4e',
      csrPem: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n',
      expirationSeconds: 3600,
    }),
    'cni.sh': renderCniInstallScript(singleCilium),
    'cloud-controller-manager.sh': renderCloudControllerManagerScript(singleCilium),
    'drain.sh': renderDrainScript(singleCilium, { node: node.name, timeoutSeconds: 300, force: false }),
    'drain-forced.sh': renderDrainScript(singleCilium, { node: node.name, timeoutSeconds: 120, force: true }),
    'uncordon.sh': renderUncordonScript(singleCilium, { node: node.name }),
    'delete-node.sh': renderDeleteNodeScript(singleCilium, { node: node.name }),
    'nodes-status.sh': renderNodesStatusScript(singleCilium),
    'renew-certificates.sh': renderRenewCertificatesScript(singleCilium),
    'certificate-expiry.sh': renderCertificateExpiryScript(singleCilium),
    'upgrade-first-kubeadm.sh': renderUpgradeScripts(singleCilium, { first: true, version: '1.32.0' }).kubeadm,
    'upgrade-first-kubelet.sh': renderUpgradeScripts(singleCilium, { first: true, version: '1.32.0' }).kubelet,
  },
  'ha-calico-china': {
    'bake.sh': renderBakeScript(haCalicoChina),
    'kubeadm-init.yaml': renderKubeadmInitConfig(haCalicoChina, { name: 'ip-10-1-1-10.cn-north-1.compute.internal', advertiseAddress: '10.1.1.10' }),
    'kubeadm-join-control-plane.yaml': renderKubeadmJoinConfig(
      haCalicoChina,
      { name: 'ip-10-1-2-10.cn-north-1.compute.internal', advertiseAddress: '10.1.2.10' },
      { apiServerEndpoint: haCalicoChina.controlPlaneEndpoint, token: TOKEN, caCertHash: CA_HASH, certificateKey: CERT_KEY },
    ),
    'control-plane-init.sh': renderControlPlaneInitScript(haCalicoChina),
    'control-plane-init-restore-seat.sh': renderControlPlaneInitScript(haCalicoChina, {
      etcdVolumeId: 'vol-0123456789abcdef0',
      restoreFrom: { bucket: restore.bucket, key: restore.key, backup: restore.backup, takenAt: '2026-12-05T01:45:00.000Z', sha256: restore.sha256 },
    }),
    'control-plane-join.sh': renderControlPlaneJoinScript(haCalicoChina),
    'control-plane-join-seat-removed-member.sh': renderControlPlaneJoinScript(haCalicoChina, { etcdVolumeId: 'vol-0123456789abcdef0', staleMemberRemoved: true }),
    'refresh-join-data-remove-lost-members.sh': renderRefreshJoinDataScript(haCalicoChina, { liveControlPlanes: ['10.1.1.10', '10.1.2.10', '10.1.3.11'] }),
    'cni.sh': renderCniInstallScript(haCalicoChina),
    'cloud-controller-manager.sh': renderCloudControllerManagerScript(haCalicoChina),
    'upgrade-other-full.sh': renderUpgradeScripts(haCalicoChina, { first: false, version: '1.33.0' }).full,
    'etcd-snapshot.sh': renderEtcdSnapshotScript(haCalicoChina, { bucket: restore.bucket, key: restore.key, cluster: 'prod', clusterUid: 'c0ffee', kubernetesVersion: '1.32.1' }),
    'restore-fetch.sh': renderRestoreScript(haCalicoChina, restore, 'fetch'),
    'restore-member.sh': renderRestoreScript(haCalicoChina, restore, 'restore'),
    'restore-start.sh': renderRestoreScript(haCalicoChina, restore, 'start'),
    'restore-resume.sh': renderRestoreScript(haCalicoChina, restore, 'resume'),
    'restore-restart-kubelet.sh': renderRestartKubeletScript(haCalicoChina, restore.backup),
  },
  'node-user-data': {
    'user-data-gpu.sh': renderNodeUserData(haCalicoChina, 'gpu'),
    'user-data-nodes.sh': renderNodeUserData(singleCilium, 'nodes'),
    'kubeadm-join-gpu.yaml': renderKubeadmJoinConfig(
      haCalicoChina,
      { name: 'ip-10-1-3-7.cn-north-1.compute.internal', advertiseAddress: '10.1.3.7' },
      { apiServerEndpoint: haCalicoChina.controlPlaneEndpoint, token: TOKEN, caCertHash: CA_HASH, group: haCalicoChina.instanceGroups![0] },
    ),
  },
};
