/**
 * The one place where a cluster spec becomes the script renderer's {@link RenderContext}:
 * every step that renders a script (init, add-ons, joins, node user data, validation)
 * builds its context here, so they all agree on the endpoint, prefixes and groups.
 */
import { StepFailedError } from '../../shared/errors';
import type { NodeGroupContext, RenderContext, Taint } from '../../shared/render';
import { parseTaint } from '../../shared/spec/kubernetes-names';
import type { ClusterSpec } from '../../shared/spec';
import type { StepDeps } from '../lib/deps';
import { OIDC_PROVIDER_INVENTORY_TYPE } from '../../shared/aws/service-account-issuer';

/** The Kubernetes API port on the control-plane instances and the load balancer. */
export const API_PORT = 6443;

/** Inventory type and role of the control-plane instances (LaunchControlPlane records them). */
export const CONTROL_PLANE_ROLE = 'control-plane';

/**
 * The Parameter Store prefix of a cluster's join data: `<deps prefix>/<cluster>/`
 * (`/hopper/demo/`). The instance profiles' IAM policies are scoped to it.
 */
export function clusterParameterPrefix(deps: Pick<StepDeps, 'parameterPrefix'>, cluster: string): string {
  const base = deps.parameterPrefix.replace(/\/+$/, '');
  return `${base}/${cluster}/`;
}

/** The spec's instance groups as the renderer wants them (labels, parsed taints). */
export function groupContexts(spec: ClusterSpec): NodeGroupContext[] {
  return spec.instanceGroups.map((g) => ({
    name: g.name,
    labels: { ...g.labels },
    taints: g.taints.map((text): Taint => {
      const parsed = parseTaint(text);
      // The spec was validated when stored; a taint that no longer parses is a bug, not input.
      if ('problem' in parsed) throw new StepFailedError(`instance group ${g.name}: ${parsed.problem}`);
      return { key: parsed.taint.key, ...(parsed.taint.value ? { value: parsed.taint.value } : {}), effect: parsed.taint.effect };
    }),
  }));
}

/**
 * The render context of a cluster whose API is reached at `apiEndpoint` (`host:6443`). The
 * endpoint's host is also a certificate SAN (kubeadm adds the controlPlaneEndpoint itself,
 * but naming it keeps the certificate right if the endpoint is given as an address).
 */
export function renderContext(spec: ClusterSpec, apiEndpoint: string, deps: Pick<StepDeps, 'parameterPrefix' | 'parameterKey'>): RenderContext {
  const host = apiEndpoint.replace(/:\d+$/, '');
  return {
    clusterName: spec.name,
    region: spec.region,
    kubernetesVersion: spec.kubernetesVersion,
    architecture: spec.architecture,
    networking: spec.networking,
    podCidr: spec.podCidr,
    serviceCidr: spec.serviceCidr,
    controlPlaneEndpoint: apiEndpoint,
    apiServerCertSANs: [host],
    assets: {
      ...(spec.assets.packageBaseUrl ? { packageBaseUrl: spec.assets.packageBaseUrl } : {}),
      ...(spec.assets.binaryBaseUrl ? { binaryBaseUrl: spec.assets.binaryBaseUrl } : {}),
      ...(spec.assets.registryMirrors.length ? { registryMirrors: [...spec.assets.registryMirrors] } : {}),
    },
    parameterPrefix: clusterParameterPrefix(deps, spec.name),
    parameterKeyId: deps.parameterKey,
    instanceGroups: groupContexts(spec),
  };
}

/**
 * The API endpoint LaunchControlPlane recorded on the first seat's inventory entry. Steps
 * whose input does not carry the endpoint (InstallAddons, SendJoin, EnsureLaunchTemplate)
 * read it here, so they render with the same context as InitControlPlane did.
 */
export async function recordedApiEndpoint(deps: Pick<StepDeps, 'store'>, cluster: string): Promise<string> {
  const resources = await deps.store.listResources(cluster);
  // On the seats' instances, or — while a single control plane is replaced — its etcd volume.
  const seats = resources
    .filter((r) => (r.type === 'instance' && r.attrs?.role === CONTROL_PLANE_ROLE) || (r.type === 'volume' && r.attrs?.role === 'etcd'))
    .filter((r) => typeof r.attrs?.apiEndpoint === 'string')
    .sort((a, b) => Number(a.type === 'volume') - Number(b.type === 'volume') || Number(a.attrs?.seat ?? 0) - Number(b.attrs?.seat ?? 0));
  const endpoint = seats[0]?.attrs?.apiEndpoint;
  if (typeof endpoint !== 'string') {
    throw new StepFailedError(`cluster ${cluster} has no recorded API endpoint: LaunchControlPlane has not run`);
  }
  return endpoint;
}

/** The render context with the recorded API endpoint. */
export async function loadRenderContext(deps: StepDeps, spec: ClusterSpec): Promise<RenderContext> {
  return renderContext(spec, await recordedApiEndpoint(deps, spec.name), deps);
}

/**
 * `ctx` with the cluster's service-account issuer, if EnsureServiceAccountIssuer recorded one
 * (clusters made before issuers were published keep the API server's default issuer).
 */
export async function withServiceAccountIssuer(deps: Pick<StepDeps, 'store'>, cluster: string, ctx: RenderContext): Promise<RenderContext> {
  const recorded = (await deps.store.listResources(cluster)).find((r) => r.type === OIDC_PROVIDER_INVENTORY_TYPE)?.attrs;
  const text = (key: string) => (typeof recorded?.[key] === 'string' ? (recorded[key] as string) : undefined);
  const [url, bucket, region, prefix] = ['url', 'bucket', 'region', 'prefix'].map(text);
  return url && bucket && region && prefix ? { ...ctx, serviceAccountIssuer: { url, bucket, region, prefix } } : ctx;
}
