/**
 * Validation of a {@link RenderContext} and the values derived from it. Every renderer
 * resolves its context first, so nothing is rendered from a value that could break out of
 * the place it is written to (a sed expression, an apt source line, a TOML string).
 * Shell quoting is the second line of defence, applied to every value regardless.
 */
import { ValidationError } from '../errors';
import type { NodeGroupContext, RenderContext, Taint } from './types';

/**
 * How long a bootstrap token lives: hours, not the day kubeadm defaults to. A token is
 * minted again before every workflow that adds nodes (SendRefreshJoinToken) and every hour
 * (functions/events/refresh-join-tokens.ts), so a valid one is always in Parameter Store
 * while a leaked one is soon worthless.
 */
export const JOIN_TOKEN_TTL = '2h0m0s';

/** A context that cannot be rendered; `details` lists every problem. Terminal. */
export class RenderError extends ValidationError {}

/** The names of the join parameters in SSM Parameter Store (all SecureString). */
export interface JoinParameterNames {
  token: string;
  caCertHash: string;
  certificateKey: string;
  endpoint: string;
}

/** A parsed Kubernetes version. */
export interface KubeVersion {
  major: number;
  minor: number;
  patch: number;
}

/** A validated context with its defaults and derived values filled in. */
export interface ResolvedContext {
  ctx: RenderContext;
  version: KubeVersion;
  /** `v1.31.4`, as kubeadm wants it. */
  versionTag: string;
  packageRevision: string;
  parameterPrefix: string;
  parameterKeyId: string;
  parameters: JoinParameterNames;
  tokenTtl: string;
  registryMirrors: string[];
  imageRepository: string | undefined;
  binaryBaseUrl: string | undefined;
}

const DEFAULT_PACKAGE_BASE = 'https://pkgs.k8s.io/core:/stable:/{minor}/deb/';
/** kubeadm config API v1beta4 first shipped with Kubernetes 1.31. */
const MIN_MINOR = 31;

const NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const VERSION_RE = /^v?(\d+)\.(\d+)\.(\d+)$/;
const CIDR_RE = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const ENDPOINT_RE = /^[A-Za-z0-9.-]+:\d{1,5}$/;
const SAN_RE = /^[A-Za-z0-9.*:-]+$/;
// URLs end up in apt source lines, sed expressions and TOML strings: a conservative set.
const URL_RE = /^https?:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~:/{}%+@-]*)?$/;
const IMAGE_REPO_RE = /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/;
const IMAGE_RE = /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+:[A-Za-z0-9._-]+$/;
const REVISION_RE = /^[0-9A-Za-z.+~]+$/;
const KMS_KEY_RE = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/;
const PREFIX_RE = /^\/[A-Za-z0-9_.\-/]+\/$/;
const DURATION_RE = /^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/;

/** Parses `1.31.4` or `v1.31.4`; undefined for anything else. */
export function parseKubeVersion(text: string): KubeVersion | undefined {
  const m = VERSION_RE.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

/** The parameter names under a prefix such as `/hopper/demo/`. */
export function joinParameterNames(prefix: string): JoinParameterNames {
  return {
    token: `${prefix}join/token`,
    caCertHash: `${prefix}join/ca-cert-hash`,
    certificateKey: `${prefix}join/certificate-key`,
    endpoint: `${prefix}join/endpoint`,
  };
}

type Problem = { path: string; message: string };

function describe(problems: Problem[]): string {
  return problems.map((p) => `${p.path} ${p.message}`).join('; ');
}

function check(problems: Problem[], ok: boolean, path: string, message: string): void {
  if (!ok) problems.push({ path, message });
}

/**
 * Label and taint keys/values are not held to Kubernetes syntax here (the spec does that);
 * they are only kept from breaking the kubelet's `k=v,k=v` flag format or a YAML line.
 */
function checkGroup(problems: Problem[], group: NodeGroupContext, path: string): void {
  check(problems, NAME_RE.test(group.name), `${path}.name`, 'must be a DNS label');
  for (const [key, value] of Object.entries(group.labels ?? {})) {
    check(problems, !kubeletForbidsLabel(key), `${path}.labels`, `the kubelet refuses to set ${key} (kubernetes.io and k8s.io labels other than kubelet.kubernetes.io/ and node.kubernetes.io/)`);
    check(problems, /^[^,=\s]+$/.test(key), `${path}.labels`, `label key ${JSON.stringify(key)} must not contain ',', '=' or whitespace`);
    check(problems, !/[,\n\r]/.test(value), `${path}.labels.${key}`, "label value must not contain ',' or a line break");
  }
  (group.taints ?? []).forEach((taint: Taint, i) => {
    check(problems, /^[^\s]+$/.test(taint.key), `${path}.taints[${i}].key`, 'must not be empty or contain whitespace');
    check(problems, !/[\n\r]/.test(taint.value ?? ''), `${path}.taints[${i}].value`, 'must not contain a line break');
    check(problems, ['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(taint.effect), `${path}.taints[${i}].effect`, 'must be NoSchedule, PreferNoSchedule or NoExecute');
  });
}

/**
 * The kubelet will not start with `--node-labels` in the kubernetes.io or k8s.io
 * namespaces, except under kubelet.kubernetes.io/ and node.kubernetes.io/ (node-role
 * labels are the control plane's to set).
 */
function kubeletForbidsLabel(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const domain = key.slice(0, slash);
  const inNamespace = (ns: string): boolean => domain === ns || domain.endsWith(`.${ns}`);
  if (!inNamespace('kubernetes.io') && !inNamespace('k8s.io')) return false;
  return !inNamespace('kubelet.kubernetes.io') && !inNamespace('node.kubernetes.io');
}

/** Checks a node group on its own (the node renderers accept groups outside the context). */
export function validateGroup(group: NodeGroupContext): void {
  const problems: Problem[] = [];
  checkGroup(problems, group, 'group');
  if (problems.length > 0) throw new RenderError(`invalid instance group ${group.name}: ${describe(problems)}`, problems);
}

/**
 * Validates a context and fills in its defaults. Throws {@link RenderError} listing every
 * problem at once.
 */
export function resolveContext(ctx: RenderContext): ResolvedContext {
  const problems: Problem[] = [];
  const assets = ctx.assets ?? {};
  check(problems, NAME_RE.test(ctx.clusterName), 'clusterName', 'must be lower-case letters, digits, dots and dashes');
  check(problems, REGION_RE.test(ctx.region), 'region', 'must be an AWS region name');
  const version = parseKubeVersion(ctx.kubernetesVersion);
  check(problems, version !== undefined, 'kubernetesVersion', 'must look like 1.31.4');
  if (version) check(problems, version.major === 1 && version.minor >= MIN_MINOR, 'kubernetesVersion', `must be 1.${MIN_MINOR} or later (kubeadm config v1beta4)`);
  check(problems, ['amd64', 'arm64'].includes(ctx.architecture), 'architecture', 'must be amd64 or arm64');
  check(problems, ['cilium', 'calico', 'amazon-vpc-cni'].includes(ctx.networking), 'networking', 'must be cilium, calico or amazon-vpc-cni');
  check(problems, CIDR_RE.test(ctx.podCidr), 'podCidr', 'must be an IPv4 CIDR');
  check(problems, CIDR_RE.test(ctx.serviceCidr), 'serviceCidr', 'must be an IPv4 CIDR');
  check(problems, ENDPOINT_RE.test(ctx.controlPlaneEndpoint), 'controlPlaneEndpoint', 'must be host:port');
  ctx.apiServerCertSANs.forEach((san, i) => check(problems, SAN_RE.test(san), `apiServerCertSANs[${i}]`, 'must be a DNS name or IP address'));
  for (const key of ['packageBaseUrl', 'binaryBaseUrl'] as const) {
    const url = assets[key];
    if (url !== undefined) check(problems, URL_RE.test(url), `assets.${key}`, 'must be an http(s) URL');
  }
  (assets.registryMirrors ?? []).forEach((url, i) => check(problems, URL_RE.test(url) && !url.includes('{'), `assets.registryMirrors[${i}]`, 'must be an http(s) URL'));
  if (assets.packageRevision !== undefined) check(problems, REVISION_RE.test(assets.packageRevision), 'assets.packageRevision', 'must be a Debian revision such as 1.1');
  const imageRepository = assets.imageRepository ?? assets.registryMirrors?.[0]?.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (imageRepository !== undefined) check(problems, IMAGE_REPO_RE.test(imageRepository), 'assets.imageRepository', 'must be a registry host and path without scheme');
  if (ctx.addons?.cniManifestUrl !== undefined) check(problems, URL_RE.test(ctx.addons.cniManifestUrl), 'addons.cniManifestUrl', 'must be an http(s) URL');
  if (ctx.addons?.cloudControllerManagerImage !== undefined) check(problems, IMAGE_RE.test(ctx.addons.cloudControllerManagerImage), 'addons.cloudControllerManagerImage', 'must be an image reference with a tag');
  const parameterPrefix = ctx.parameterPrefix ?? `/hopper/${ctx.clusterName}/`;
  check(problems, PREFIX_RE.test(parameterPrefix), 'parameterPrefix', 'must start and end with /');
  check(problems, KMS_KEY_RE.test(ctx.parameterKeyId ?? ''), 'parameterKeyId', 'must be a KMS key ARN (the deployment\'s HOPPER_PARAMETER_KEY)');
  const tokenTtl = ctx.tokenTtl ?? JOIN_TOKEN_TTL;
  check(problems, DURATION_RE.test(tokenTtl), 'tokenTtl', 'must be a Go duration such as 24h0m0s');
  (ctx.instanceGroups ?? []).forEach((group, i) => checkGroup(problems, group, `instanceGroups[${i}]`));
  if (problems.length > 0 || !version) {
    throw new RenderError(`cannot render cluster ${ctx.clusterName}: ${describe(problems)}`, problems);
  }
  return {
    ctx,
    version,
    versionTag: `v${version.major}.${version.minor}.${version.patch}`,
    packageRevision: assets.packageRevision ?? '1.1',
    parameterPrefix,
    parameterKeyId: ctx.parameterKeyId,
    parameters: joinParameterNames(parameterPrefix),
    tokenTtl,
    registryMirrors: assets.registryMirrors ?? [],
    imageRepository,
    binaryBaseUrl: assets.binaryBaseUrl?.replace(/\/+$/, ''),
  };
}

/** The Debian repository base (ending in `/`) holding packages of `version`'s minor. */
export function packageBaseUrl(r: ResolvedContext, version: KubeVersion = r.version): string {
  const template = r.ctx.assets?.packageBaseUrl ?? DEFAULT_PACKAGE_BASE;
  const url = template.replaceAll('{minor}', `v${version.major}.${version.minor}`);
  return url.endsWith('/') ? url : `${url}/`;
}

/** `1.31.4-1.1`: the pinned Debian version of kubeadm, kubelet and kubectl. */
export function packageVersion(r: ResolvedContext, version: KubeVersion = r.version): string {
  return `${version.major}.${version.minor}.${version.patch}-${r.packageRevision}`;
}

/** An upstream download URL, rewritten to the file mirror when one is configured. */
export function mirroredUrl(r: ResolvedContext, upstream: string): string {
  return r.binaryBaseUrl ? `${r.binaryBaseUrl}/${upstream.replace(/^https?:\/\//, '')}` : upstream;
}

/** Finds an instance group by name in the context, or throws {@link RenderError}. */
export function findGroup(ctx: RenderContext, name: string): NodeGroupContext {
  const group = ctx.instanceGroups?.find((g) => g.name === name);
  if (!group) throw new RenderError(`no instance group ${name}`, [{ path: 'instanceGroups', message: `no group named ${name}` }]);
  return group;
}
