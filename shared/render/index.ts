/**
 * Script and config rendering: pure, deterministic functions from a {@link RenderContext}
 * to the bash scripts Hopper runs over SSM or as user data, and the kubeadm configs they write.
 */
export type { AddonsContext, Architecture, AssetsContext, Networking, NodeGroupContext, RenderContext, Taint } from './types';
export { joinParameterNames, parseKubeVersion, RenderError, resolveContext, type JoinParameterNames, type ResolvedContext } from './context';
export { shellQuote } from './shell';
export { INSTANCE_GROUP_LABEL, PLACEHOLDERS, renderKubeadmInitConfig, renderKubeadmJoinConfig, type JoinData, type NodeIdentity } from './kubeadm';
export { renderBakeScript } from './bake';
export { LEAVE_IN_PLACE_SCRIPT, SEAT_MEMBER_OUTPUT, renderEtcdSnapshotScript, type SeatRestore, type SnapshotTarget } from './etcd';
export { renderRestartKubeletScript, renderRestoreScript, type RestorePhase, type RestoreTarget } from './restore';
export {
  CLIENT_CERTIFICATE_OUTPUT,
  renderControlPlaneInitScript,
  renderControlPlaneJoinScript,
  renderIssueClientCertificateScript,
  renderRefreshJoinDataScript,
  renderRefreshJoinTokenScript,
  type ClientCertificateRequest,
} from './control-plane';
export { parseCertificateExpiry, readCertificateExpiry, renderCertificateExpiryScript, renderRenewCertificatesScript, type CertificateExpiry } from './certificates';
export { CNI_VERSIONS, renderCloudControllerManagerScript, renderCniInstallScript, upstreamCniManifestUrl } from './addons';
export { renderNodeUserData, renderNodeUserDataBase64, USER_DATA_LIMIT } from './user-data';
export {
  parseNodesStatusOutput,
  renderDeleteNodeScript,
  renderDrainScript,
  renderNodesStatusScript,
  renderUncordonScript,
  STATUS_MARKERS,
  type DrainOptions,
  type NodesStatus,
} from './node-ops';
export { renderUpgradeScripts, type UpgradeOptions, type UpgradeScripts } from './upgrade';
