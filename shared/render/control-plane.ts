/**
 * SSM commands that bootstrap the control plane: `kubeadm init` on the first instance,
 * publishing the join data to Parameter Store, and `kubeadm join --control-plane` on the
 * others. Secrets (token, certificate key) go to Parameter Store as
 * SecureString and never to stdout, which SSM keeps in its command output and logs.
 */
import { resolveContext, type ResolvedContext } from './context';
import { joinConfigTemplate, PLACEHOLDERS, renderKubeadmInitConfig } from './kubeadm';
import {
  awsVariables,
  IMDS,
  JOIN_FORMATS,
  ALREADY_JOINED, NODE_IDENTITY,
  PARAMETERS,
  REQUIRE_FORMAT,
  REQUIRE_INITIALISED_CONTROL_PLANE,
  RUN_LOGGED,
  script,
  shellQuote,
  WAIT_FOR_DISCOVERY,
  writeTemplate,
} from './shell';
import type { RenderContext } from './types';
import { CRICTL, ETCD_DATA_DIR, ETCD_DATA_DIR_CHECK, ETCD_MOUNT, RESTORE_PKI, SAVE_PKI, mountEtcdVolume, removeDeadMembers, restoreSeatFromBackup, type SeatRestore } from './etcd';

/** Which instance a control-plane script runs on: its seat's etcd volume ('' for a cluster made before them). */
export interface SeatOptions {
  etcdVolumeId?: string;
  /**
   * This operation removed from etcd every member no running instance backs (the refresh
   * before the join, renderRefreshJoinDataScript with liveControlPlanes): data left on the
   * seat's volume is of a member etcd no longer has, and is moved aside so that the new
   * member starts empty.
   */
  staleMemberRemoved?: boolean;
  /** The seat's volume is new, its data lost with the only control plane: init starts from this backup. */
  restoreFrom?: SeatRestore;
  /**
   * Set when the script fills a seat whose instance was replaced: whether etcd still has the
   * seat's member at this instance's address (the seat's address, kept), whose data is on the
   * volume (renderRefreshJoinDataScript with keepAddress said so). Then the member starts again
   * from its data and catches up, rather than joining anew and copying everything.
   */
  keepMember?: boolean;
}

const INIT_CONFIG = '/etc/kubernetes/kubeadm-init.yaml';
const JOIN_CONFIG = '/etc/kubernetes/kubeadm-join.yaml';

/**
 * Creates a fresh bootstrap token and certificate key on a working control plane and
 * stores all join data. The certificate key dies with the uploaded certificates after two
 * hours, so a control-plane join later than that needs this run again first.
 */
function publishJoinData(r: ResolvedContext): string {
  const f = JOIN_FORMATS;
  return `# Join data for the other instances. The join command holds the token: parsed, never printed.
JOIN_COMMAND=$(kubeadm token create --ttl ${shellQuote(r.tokenTtl)} --print-join-command)
read -r -a JOIN_WORDS <<<"$JOIN_COMMAND"
JOIN_ENDPOINT=\${JOIN_WORDS[2]:-}
JOIN_TOKEN=""
CA_CERT_HASH=""
for ((i = 3; i + 1 < \${#JOIN_WORDS[@]}; i++)); do
  case \${JOIN_WORDS[i]} in
    --token) JOIN_TOKEN=\${JOIN_WORDS[i + 1]} ;;
    --discovery-token-ca-cert-hash) CA_CERT_HASH=\${JOIN_WORDS[i + 1]} ;;
  esac
done
# The last line of upload-certs' output is the key that decrypts the uploaded certificates.
CERTIFICATE_KEY=$(kubeadm init phase upload-certs --upload-certs | tail -n 1)
require_format JOIN_ENDPOINT "$JOIN_ENDPOINT" '${f.endpoint}'
require_format JOIN_TOKEN "$JOIN_TOKEN" '${f.token}'
require_format CA_CERT_HASH "$CA_CERT_HASH" '${f.caCertHash}'
require_format CERTIFICATE_KEY "$CERTIFICATE_KEY" '${f.certificateKey}'
put_param join/token "$JOIN_TOKEN"
put_param join/ca-cert-hash "$CA_CERT_HASH"
put_param join/certificate-key "$CERTIFICATE_KEY"
put_param join/endpoint "$JOIN_ENDPOINT"
# admin.conf stays here: users get short-lived certificates of their own (renderIssueClientCertificateScript).
echo "hopper: join data for $JOIN_ENDPOINT stored under $PARAM_PREFIX (token, CA hash, certificate key, endpoint)"`;
}

/**
 * The SSM command for the first control-plane instance: writes the init config from its
 * instance metadata, runs `kubeadm init --upload-certs` unless `/etc/kubernetes/admin.conf`
 * already exists, and publishes the join data. A failed init is reset so a retry starts
 * from a clean host.
 */
export function renderControlPlaneInitScript(ctx: RenderContext, seat: SeatOptions = {}): string {
  const r = resolveContext(ctx);
  const template = renderKubeadmInitConfig(ctx, { name: PLACEHOLDERS.nodeName, advertiseAddress: PLACEHOLDERS.nodeIp }, { token: PLACEHOLDERS.token, certificateKey: PLACEHOLDERS.certificateKey });
  const fill = { [PLACEHOLDERS.nodeName]: 'NODE_NAME', [PLACEHOLDERS.nodeIp]: 'NODE_IP', [PLACEHOLDERS.token]: 'JOIN_TOKEN', [PLACEHOLDERS.certificateKey]: 'CERTIFICATE_KEY' };
  return script(r, 'initialise the first control-plane instance (kubeadm init)', [
    awsVariables(r),
    REQUIRE_FORMAT,
    IMDS,
    NODE_IDENTITY,
    PARAMETERS,
    RUN_LOGGED,
    ...(seat.etcdVolumeId ? [mountEtcdVolume(seat.etcdVolumeId)] : []),
    [
      'mkdir -p /etc/kubernetes',
      'INIT_FLAGS=()',
      'if [[ -f /etc/kubernetes/admin.conf ]]; then',
      '  echo "hopper: control plane already initialised on $NODE_NAME; skipping kubeadm init"',
      // A working control plane: fresh join data from it, as a refresh makes.
      indent(publishJoinData(r), 2),
      'else',
      ...(seat.etcdVolumeId && seat.restoreFrom ? [indent(restoreSeatFromBackup(seat.restoreFrom), 2)] : []),
      `  if [[ -e ${ETCD_DATA_DIR}/member ]]; then`,
      '    # The seat\'s volume holds the cluster\'s etcd data (its control plane was replaced):',
      '    # etcd starts from it, with the CA keys the cluster has always had.',
      '    echo "hopper: etcd data found on the seat\'s volume; restoring the control plane from it"',
      indent(RESTORE_PKI, 4),
      `    INIT_FLAGS+=(--ignore-preflight-errors=${ETCD_DATA_DIR_CHECK})`,
      '  fi',
      indent(publishJoinDataBeforeInit(ctx), 2),
      // The heredoc's end marker must start its line: the template is not indented.
      writeTemplate(INIT_CONFIG, template, fill),
      `  if ! run_logged kubeadm-init kubeadm init --config ${INIT_CONFIG} --upload-certs "\${INIT_FLAGS[@]}"; then`,
      '    # A half-initialised host fails the preflight checks of the next attempt; the reset',
      "    # must not take the seat's etcd data with it, so the volume leaves first.",
      `    if mountpoint -q ${ETCD_MOUNT} && [[ \${#INIT_FLAGS[@]} -gt 0 ]]; then umount ${ETCD_MOUNT}; fi`,
      '    run_logged kubeadm-reset kubeadm reset -f || true',
      `    rm -f ${INIT_CONFIG}`,
      // What was published before init names a token no cluster has (and a CA the reset took):
      // withdrawn, so nodes wait for the next attempt's data instead of joining nothing.
      '    for put in "${JOIN_PUTS[@]}"; do wait "$put" || true; done',
      '    for stale in token certificate-key; do',
      '      aws ssm delete-parameter --region "$REGION" --name "${PARAM_PREFIX}join/$stale" >/dev/null 2>&1 || true',
      '    done',
      '    exit 1',
      '  fi',
      indent(JOIN_PUTS_DONE, 2),
      // The config holds the token and the certificate key: nothing reads it again.
      `  rm -f ${INIT_CONFIG}`,
      '  echo "hopper: kubeadm init finished on $NODE_NAME"',
      ...(seat.etcdVolumeId ? ['  if [[ ${#INIT_FLAGS[@]} -gt 0 ]]; then', indent(UNCORDON_SEAT, 4), '  fi'] : []),
      'fi',
    ].join('\n'),
    SAVE_PKI,
    ...(ctx.serviceAccountIssuer ? [publishIssuer(ctx.serviceAccountIssuer)] : []),
  ]);
}

/**
 * The join data, published as `kubeadm init` starts: the CA first (`kubeadm init phase certs
 * ca`, or the cluster's own, put back from Parameter Store), its public key's hash, a token and
 * a certificate key chosen now and given to init in its config, and the endpoint. Nodes and the
 * other control-plane instances read it while init runs and join the moment the API server
 * has the token and the certificates (kubeadm's discovery retries until then), instead of
 * waiting for the whole of init and the script after it. The writes run beside init: the
 * script waits for them after it (JOIN_PUTS_DONE), and fails if one failed. Needs PARAMETERS
 * and REQUIRE_FORMAT.
 */
function publishJoinDataBeforeInit(ctx: RenderContext): string {
  const f = JOIN_FORMATS;
  const r = resolveContext(ctx);
  // The version given: without it kubeadm asks dl.k8s.io for stable-1 first (a private host waits out the timeout).
  return `# Join data before kubeadm init: secrets to Parameter Store, never printed.
[[ -f /etc/kubernetes/pki/ca.crt && -f /etc/kubernetes/pki/ca.key ]] || run_logged kubeadm-certs-ca kubeadm init phase certs ca --kubernetes-version ${shellQuote(r.versionTag)}
CA_CERT_HASH="sha256:$(openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)"
JOIN_TOKEN=$(kubeadm token generate)
CERTIFICATE_KEY=$(kubeadm certs certificate-key)
JOIN_ENDPOINT=${shellQuote(ctx.controlPlaneEndpoint)}
require_format CA_CERT_HASH "$CA_CERT_HASH" '${f.caCertHash}'
require_format JOIN_TOKEN "$JOIN_TOKEN" '${f.token}'
require_format CERTIFICATE_KEY "$CERTIFICATE_KEY" '${f.certificateKey}'
require_format JOIN_ENDPOINT "$JOIN_ENDPOINT" '${f.endpoint}'
# The four at once, beside kubeadm init (which has what it needs): each is an aws CLI run,
# done long before the API server can answer a join. Waited for after init (JOIN_PUTS_DONE).
JOIN_PUTS=()
put_param join/token "$JOIN_TOKEN" & JOIN_PUTS+=($!)
put_param join/ca-cert-hash "$CA_CERT_HASH" & JOIN_PUTS+=($!)
put_param join/certificate-key "$CERTIFICATE_KEY" & JOIN_PUTS+=($!)
put_param join/endpoint "$JOIN_ENDPOINT" & JOIN_PUTS+=($!)`;
}

/** After kubeadm init: the join data written beside it is stored (a failed write fails the script, and a rerun publishes fresh data). */
const JOIN_PUTS_DONE = `for put in "\${JOIN_PUTS[@]}"; do wait "$put"; done
echo "hopper: join data for $JOIN_ENDPOINT stored under $PARAM_PREFIX (token, CA hash, certificate key, endpoint)"`;

/**
 * The API server's issuer discovery document and public keys, copied where STS reads them
 * (the control-plane role may write these two objects of its own cluster only). Public keys:
 * printed nowhere, secret nowhere. Run again on every init: a rerun (or a control plane that
 * came back with the cluster's key) publishes the same keys.
 */
function publishIssuer(issuer: NonNullable<RenderContext['serviceAccountIssuer']>): string {
  const target = (doc: string) => shellQuote(`s3://${issuer.bucket}/${issuer.prefix}/${doc}`);
  return `# The service-account issuer, for IAM roles of pods.
ISSUER_DIR=/etc/kubernetes/issuer
mkdir -p "$ISSUER_DIR"
for attempt in 1 2 3 4 5; do
  if kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /.well-known/openid-configuration > "$ISSUER_DIR/openid-configuration" &&
    kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /openid/v1/jwks > "$ISSUER_DIR/jwks"; then
    break
  fi
  [[ $attempt -lt 5 ]] || { echo "hopper: the API server did not give its issuer documents" >&2; exit 1; }
  sleep 5
done
aws s3 cp "$ISSUER_DIR/openid-configuration" ${target('.well-known/openid-configuration')} --region ${shellQuote(issuer.region)} --content-type application/json >/dev/null
aws s3 cp "$ISSUER_DIR/jwks" ${target('openid/v1/jwks')} --region ${shellQuote(issuer.region)} --content-type application/json >/dev/null
echo "hopper: service-account issuer published at ${issuer.url}"`;
}

/**
 * A joining member needs an empty data directory. Data on the seat's volume means the seat's
 * last member never left etcd (its instance was lost, not replaced): it still counts towards
 * the quorum, and joining beside it would make things worse. Said plainly, nothing changed.
 */
const STALE_MEMBER = `if [[ -e ${ETCD_DATA_DIR}/member ]]; then
  echo "hopper: the seat's etcd volume holds the data of a member that never left the cluster (its instance was lost, not replaced)." >&2
  echo "hopper: remove that member on a working control plane (etcdctl member remove), empty ${ETCD_DATA_DIR} on this instance, then run the replacement again." >&2
  exit 1
fi`;

/** The seat's lost member was removed from etcd: what it left on the volume goes aside (kept until the next time). */
const REMOVED_MEMBER = `if [[ -e ${ETCD_DATA_DIR}/member ]]; then
  rm -rf ${ETCD_MOUNT}/data.removed-member
  mv ${ETCD_DATA_DIR} ${ETCD_MOUNT}/data.removed-member
  echo "hopper: the data of the seat's removed etcd member moved aside to ${ETCD_MOUNT}/data.removed-member"
fi`;

const indent = (text: string, spaces: number) => text.split('\n').map((l) => (l ? `${' '.repeat(spaces)}${l}` : l)).join('\n');

/** A script for a working control-plane instance that publishes `body`'s join data to Parameter Store. */
function onInitialisedControlPlane(r: ResolvedContext, purpose: string, body: string): string {
  return script(r, purpose, [
    awsVariables(r),
    REQUIRE_FORMAT,
    PARAMETERS,
    REQUIRE_INITIALISED_CONTROL_PLANE,
    body,
  ]);
}

/**
 * An SSM command for any working control-plane instance: a new token and certificate key
 * in Parameter Store, before joins that come after the old ones expired (the rolling
 * update, scale-up of the control plane). With `liveControlPlanes` (the addresses of the
 * running control-plane instances), etcd members none of them backs are removed first: a
 * replacement joins a cluster that no longer counts its seat's lost member.
 */
export function renderRefreshJoinDataScript(ctx: RenderContext, options: { liveControlPlanes?: string[]; keepAddress?: string } = {}): string {
  const r = resolveContext(ctx);
  const body = publishJoinData(r);
  if (!options.liveControlPlanes) return onInitialisedControlPlane(r, 'refresh the join data in Parameter Store', body);
  return onInitialisedControlPlane(r, 'remove lost etcd members and refresh the join data in Parameter Store', `export KUBECONFIG=/etc/kubernetes/admin.conf\n${removeDeadMembers(options.liveControlPlanes, options.keepAddress)}\n\n${body}`);
}

/**
 * A fresh bootstrap token in Parameter Store (`join/token`), and nothing else: what nodes
 * joining from now on need (the CA hash and endpoint do not change; control-plane joins
 * refresh the certificate key with `renderRefreshJoinDataScript`). Older tokens expire by
 * themselves.
 */
export function renderRefreshJoinTokenScript(ctx: RenderContext): string {
  const r = resolveContext(ctx);
  return onInitialisedControlPlane(
    r,
    'refresh the join token in Parameter Store',
    `# The token is stored, never printed.
JOIN_TOKEN=$(kubeadm token create --ttl ${shellQuote(r.tokenTtl)})
require_format JOIN_TOKEN "$JOIN_TOKEN" '${JOIN_FORMATS.token}'
put_param join/token "$JOIN_TOKEN"
echo "hopper: a join token valid for ${r.tokenTtl} stored under $PARAM_PREFIX"`,
  );
}

/** Reads the join data from Parameter Store into shell variables and checks their format. */
export function readJoinData(options: { controlPlane: boolean }): string {
  const f = JOIN_FORMATS;
  const lines = [
    'JOIN_TOKEN=$(get_param join/token)',
    'CA_CERT_HASH=$(get_param join/ca-cert-hash)',
    'JOIN_ENDPOINT=$(get_param join/endpoint)',
    `require_format JOIN_TOKEN "$JOIN_TOKEN" '${f.token}'`,
    `require_format CA_CERT_HASH "$CA_CERT_HASH" '${f.caCertHash}'`,
    `require_format JOIN_ENDPOINT "$JOIN_ENDPOINT" '${f.endpoint}'`,
  ];
  if (options.controlPlane) {
    lines.splice(3, 0, 'CERTIFICATE_KEY=$(get_param join/certificate-key)');
    lines.push(`require_format CERTIFICATE_KEY "$CERTIFICATE_KEY" '${f.certificateKey}'`);
  }
  return lines.join('\n');
}

/** Placeholder → shell variable map of the join config templates. */
export function joinFill(controlPlane: boolean): Record<string, string> {
  return {
    [PLACEHOLDERS.nodeName]: 'NODE_NAME',
    [PLACEHOLDERS.nodeIp]: 'NODE_IP',
    [PLACEHOLDERS.endpoint]: 'JOIN_ENDPOINT',
    [PLACEHOLDERS.token]: 'JOIN_TOKEN',
    [PLACEHOLDERS.caCertHash]: 'CA_CERT_HASH',
    ...(controlPlane ? { [PLACEHOLDERS.certificateKey]: 'CERTIFICATE_KEY' } : {}),
  };
}

/** Seconds a control-plane join waits for the join data, and between its reads. */
const JOIN_DATA_WAIT = { attempts: 60, pause: 5 } as const;

/**
 * A create sends the joins as kubeadm init starts, and the first control plane publishes the
 * join data moments later: wait (five minutes at most) until all four parameters are there.
 */
const WAIT_FOR_CONTROL_PLANE_JOIN_DATA = `# The first control plane publishes the join data as its kubeadm init starts.
for attempt in $(seq 1 ${JOIN_DATA_WAIT.attempts}); do
  if get_param join/token >/dev/null 2>&1 && get_param join/ca-cert-hash >/dev/null 2>&1 && get_param join/certificate-key >/dev/null 2>&1 && get_param join/endpoint >/dev/null 2>&1; then
    break
  fi
  if [[ $attempt -eq ${JOIN_DATA_WAIT.attempts} ]]; then
    echo "hopper: no join data under $PARAM_PREFIX after $((${JOIN_DATA_WAIT.attempts} * ${JOIN_DATA_WAIT.pause}))s" >&2
    exit 1
  fi
  sleep ${JOIN_DATA_WAIT.pause}
done`;

/**
 * The SSM command for an additional control-plane instance: reads the join data, writes a
 * JoinConfiguration with `controlPlane.certificateKey` and runs `kubeadm join`. Does
 * nothing on an instance that has joined already (`/etc/kubernetes/kubelet.conf` exists).
 */
export function renderControlPlaneJoinScript(ctx: RenderContext, seat: SeatOptions = {}): string {
  const r = resolveContext(ctx);
  return script(r, 'join a control-plane instance (kubeadm join, control plane)', [
    awsVariables(r),
    REQUIRE_FORMAT,
    IMDS,
    NODE_IDENTITY,
    ALREADY_JOINED,
    PARAMETERS,
    RUN_LOGGED,
    WAIT_FOR_DISCOVERY,
    'JOIN_FLAGS=()',
    ...(seat.etcdVolumeId ? [mountEtcdVolume(seat.etcdVolumeId), seat.keepMember ? KEPT_MEMBER : seat.staleMemberRemoved ? REMOVED_MEMBER : STALE_MEMBER] : []),
    WAIT_FOR_CONTROL_PLANE_JOIN_DATA,
    readJoinData({ controlPlane: true }),
    [
      'mkdir -p /etc/kubernetes',
      writeTemplate(JOIN_CONFIG, joinConfigTemplate(ctx, { controlPlane: true }), joinFill(true)),
      'wait_for_discovery "$JOIN_ENDPOINT" "$JOIN_TOKEN"',
      `if ! run_logged kubeadm-join kubeadm join --config ${JOIN_CONFIG} "\${JOIN_FLAGS[@]}"; then`,
      ...(seat.keepMember ? [indent(KEPT_MEMBER_FAILED, 2)] : ['  run_logged kubeadm-reset kubeadm reset -f || true']),
      '  exit 1',
      'fi',
      'echo "hopper: $NODE_NAME joined the control plane at $JOIN_ENDPOINT"',
    ].join('\n'),
    ...(seat.keepMember !== undefined ? [UNCORDON_SEAT] : []),
  ]);
}

/**
 * The seat's member stays in etcd and its data is on the volume: etcd starts from it as that
 * member (kubeadm's member add finds it at its peer URL) and catches up on what it missed.
 * kubeadm's check that every member answers is skipped: the one that does not is this one.
 * A member with no data on the volume cannot start again (it would have forgotten what it
 * acknowledged): the join stops and says so.
 */
const KEPT_MEMBER = `if [[ ! -e ${ETCD_DATA_DIR}/member ]]; then
  echo "hopper: etcd still has this seat's member at $NODE_IP, but the seat's volume holds no data for it: remove the member (etcdctl member remove on a working control plane) and replace the seat again" >&2
  exit 1
fi
echo "hopper: the seat's etcd member starts again from its data on the volume and catches up from the others"
JOIN_FLAGS+=(--ignore-preflight-errors=${ETCD_DATA_DIR_CHECK} --skip-phases=check-etcd)`;

/**
 * A join that failed with the seat's member kept: the member stays in etcd and its data on the
 * volume, for the next try. etcd stops first (its manifest gone), then the kubelet; the volume
 * is unmounted before kubeadm reset, which would empty the data directory, and the reset leaves
 * the member in etcd. A volume that stays busy is not reset under: kubelet.conf goes, so that
 * the next try joins again instead of taking this host for joined.
 */
const KEPT_MEMBER_FAILED = `rm -f /etc/kubernetes/manifests/etcd.yaml
for _ in $(seq 30); do
  [[ -z $(${CRICTL} ps --name '^etcd$' -q 2>/dev/null) ]] && break
  sleep 2
done
systemctl stop kubelet || true
for _ in $(seq 10); do
  mountpoint -q ${ETCD_MOUNT} || break
  umount ${ETCD_MOUNT} 2>/dev/null || sleep 2
done
if mountpoint -q ${ETCD_MOUNT}; then
  rm -f /etc/kubernetes/kubelet.conf
  echo "hopper: the seat's etcd volume is still busy; the host is not reset, so that the member's data stays" >&2
  exit 1
fi
run_logged kubeadm-reset kubeadm reset -f --skip-phases=remove-etcd-member || true`;

/**
 * A replacement at the seat's own address registers as the Node its predecessor had (same
 * name), which the rolling update cordoned before taking it down: schedulable again.
 */
const UNCORDON_SEAT = `if [[ $(kubectl --kubeconfig /etc/kubernetes/admin.conf get node "$NODE_NAME" -o 'jsonpath={.spec.unschedulable}') == true ]]; then
  kubectl --kubeconfig /etc/kubernetes/admin.conf uncordon "$NODE_NAME" >/dev/null
  echo "hopper: $NODE_NAME took over its predecessor's Node, cordoned for the replacement: uncordoned"
fi`;

/** What `renderIssueClientCertificateScript` needs: the request and how long the certificate lives. */
export interface ClientCertificateRequest {
  /** The CertificateSigningRequest object's name (DNS-1123: lower case, digits, `-`). */
  name: string;
  /** PKCS#10 PEM; its subject names the user (CN) and groups (O). */
  csrPem: string;
  /** At least 600 (the API server's minimum). */
  expirationSeconds: number;
}

/** The prefixes of the lines `renderIssueClientCertificateScript` prints its results on. */
export const CLIENT_CERTIFICATE_OUTPUT = { server: 'hopper-server: ', ca: 'hopper-ca: ', certificate: 'hopper-certificate: ' } as const;

/**
 * An SSM command for a working control-plane instance: has the cluster's own signer
 * (kube-controller-manager, `kubernetes.io/kube-apiserver-client`) sign a client
 * certificate for a CSR made elsewhere, for `expirationSeconds`, and prints only public
 * data — the API server URL, the CA certificate and the signed certificate. The private
 * key stays with whoever made the CSR; the CA key and admin.conf stay on the instance.
 * The CSR object is deleted whatever happens.
 */
export function renderIssueClientCertificateScript(ctx: RenderContext, request: ClientCertificateRequest): string {
  const r = resolveContext(ctx);
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(request.name)) throw new Error(`not a CertificateSigningRequest name: ${request.name}`);
  if (!Number.isInteger(request.expirationSeconds) || request.expirationSeconds < 600) throw new Error(`expirationSeconds must be a whole number of seconds, at least 600: ${request.expirationSeconds}`);
  const requestB64 = Buffer.from(request.csrPem).toString('base64');
  const o = CLIENT_CERTIFICATE_OUTPUT;
  return script(r, 'sign a short-lived client certificate with the cluster CA (CertificateSigningRequest)', [
    [
      REQUIRE_INITIALISED_CONTROL_PLANE,
      'export KUBECONFIG=/etc/kubernetes/admin.conf',
      `CSR_NAME=${shellQuote(request.name)}`,
    ].join('\n'),
    `kubectl create -f - >/dev/null <<'CSR'
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: ${request.name}
spec:
  request: ${requestB64}
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: ${request.expirationSeconds}
  usages:
  - client auth
CSR
trap 'kubectl delete csr "$CSR_NAME" >/dev/null 2>&1 || true' EXIT
kubectl certificate approve "$CSR_NAME" >/dev/null
# The signer issues within moments of the approval.
CERTIFICATE=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  CERTIFICATE=$(kubectl get csr "$CSR_NAME" -o 'jsonpath={.status.certificate}')
  [[ -n $CERTIFICATE ]] && break
  sleep 1
done
if [[ -z $CERTIFICATE ]]; then
  echo "hopper: the cluster's signer did not issue a certificate for $CSR_NAME" >&2
  exit 1
fi
SERVER=$(awk '$1 == "server:" { print $2; exit }' /etc/kubernetes/admin.conf)
echo "${o.server}$SERVER"
echo "${o.ca}$(base64 -w0 /etc/kubernetes/pki/ca.crt)"
echo "${o.certificate}$CERTIFICATE"`,
  ]);
}
