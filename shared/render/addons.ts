/**
 * Cluster add-ons applied from the first control-plane instance over SSM: the CNI and the
 * AWS cloud controller manager. `kubectl apply` makes both idempotent.
 */
import { mirroredUrl, resolveContext, type ResolvedContext } from './context';
import { renderCloudControllerManagerManifest } from './ccm-manifest';
import { KUBECTL, script, shellQuote, writeFile } from './shell';
import type { Networking, RenderContext } from './types';

/** Upstream versions of the CNI manifests (override with `addons.cniManifestUrl`). */
export const CNI_VERSIONS: Record<Networking, string> = {
  cilium: 'v1.16.5',
  calico: 'v3.29.1',
  'amazon-vpc-cni': 'v1.19.2',
};

const ADDONS_DIR = '/etc/kubernetes/addons';

/** The upstream manifest of the chosen CNI, before any mirror rewriting. */
export function upstreamCniManifestUrl(ctx: RenderContext): string {
  const version = CNI_VERSIONS[ctx.networking];
  switch (ctx.networking) {
    case 'cilium':
      return `https://raw.githubusercontent.com/cilium/cilium/${version}/install/kubernetes/quick-install.yaml`;
    case 'calico':
      return `https://raw.githubusercontent.com/projectcalico/calico/${version}/manifests/calico.yaml`;
    case 'amazon-vpc-cni':
      // China regions pull the plugin's images from their own ECR: a separate manifest.
      return `https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/${version}/config/master/aws-k8s-cni${ctx.region.startsWith('cn-') ? '-cn' : ''}.yaml`;
  }
}

/** Waits for the API server (it may still be starting right after init), then applies a file with retries. */
function applyWithRetries(file: string): string {
  return `for attempt in $(seq 1 30); do
  if kc get nodes -o json >/dev/null && kc apply -f ${file}; then
    break
  fi
  if [[ $attempt -eq 30 ]]; then
    echo "hopper: could not apply ${file}" >&2
    exit 1
  fi
  sleep 10
done`;
}

function requireAdmin(): string {
  return `if [[ ! -f /etc/kubernetes/admin.conf ]]; then
  echo "hopper: no /etc/kubernetes/admin.conf: run this on an initialised control plane" >&2
  exit 1
fi`;
}

function cniAdjustments(r: ResolvedContext, file: string): string {
  if (r.ctx.networking !== 'cilium') return '';
  // Cilium's pre-rendered manifest allocates pods from 10.0.0.0/8, which overlaps most VPCs.
  // (Calico reads the pod subnet from kubeadm's config by itself; the VPC CNI uses VPC addresses.)
  return `sed -i -E ${shellQuote(`s#^([[:space:]]*cluster-pool-ipv4-cidr:).*#\\1 "${r.ctx.podCidr}"#`)} ${file}`;
}

/** Downloads the chosen CNI's manifest (from the file mirror when configured) and applies it. */
export function renderCniInstallScript(ctx: RenderContext): string {
  const r = resolveContext(ctx);
  const url = ctx.addons?.cniManifestUrl ?? mirroredUrl(r, upstreamCniManifestUrl(ctx));
  const file = `${ADDONS_DIR}/cni-${ctx.networking}.yaml`;
  return script(r, `install the ${ctx.networking} CNI`, [
    KUBECTL,
    requireAdmin(),
    [
      `mkdir -p ${ADDONS_DIR}`,
      // Downloaded once per run, so the retries below do not fetch it again.
      `curl -fsSL --retry 5 ${shellQuote(url)} -o ${file}`,
      cniAdjustments(r, file),
    ]
      .filter((line) => line !== '')
      .join('\n'),
    applyWithRetries(file),
    vpcCniClusterName(r),
    `echo ${shellQuote(`hopper: ${ctx.networking} ${ctx.addons?.cniManifestUrl ? '(custom manifest)' : CNI_VERSIONS[ctx.networking]} applied`)}`,
  ]);
}

/**
 * The VPC CNI (aws-node) creates and attaches network interfaces with its node's role. With
 * CLUSTER_NAME set it tags each one `cluster.k8s.amazonaws.com/name=<cluster>` at creation,
 * and the host roles allow it only those (shared/aws/host-roles.ts): without it, no ENI.
 */
function vpcCniClusterName(r: ResolvedContext): string {
  if (r.ctx.networking !== 'amazon-vpc-cni') return '';
  return `kc -n kube-system set env daemonset/aws-node CLUSTER_NAME=${shellQuote(r.ctx.clusterName)}`;
}

/** Writes the AWS cloud controller manager's manifest and applies it. */
export function renderCloudControllerManagerScript(ctx: RenderContext): string {
  const r = resolveContext(ctx);
  const file = `${ADDONS_DIR}/aws-cloud-controller-manager.yaml`;
  return script(r, 'install the AWS cloud controller manager', [
    KUBECTL,
    requireAdmin(),
    [`mkdir -p ${ADDONS_DIR}`, writeFile(file, renderCloudControllerManagerManifest(r))].join('\n'),
    applyWithRetries(file),
    "echo 'hopper: AWS cloud controller manager applied'",
  ]);
}
