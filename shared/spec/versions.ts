/**
 * Kubernetes versions Hopper installs: the latest patch of each supported minor. The one
 * place to edit when a patch ships; images are baked per version, so an old patch would
 * mean an image nobody should run.
 */
export const SUPPORTED_KUBERNETES_VERSIONS: readonly string[] = ['1.31.13', '1.32.9', '1.33.5', '1.34.1'];

/** The version a cluster gets when the spec names none: the newest supported. */
export const DEFAULT_KUBERNETES_VERSION = SUPPORTED_KUBERNETES_VERSIONS[SUPPORTED_KUBERNETES_VERSIONS.length - 1];

interface ParsedVersion {
  major: number;
  minor: number;
  patch: number | undefined;
}

const VERSION_PATTERN = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/;

/** Parse `1.33.5`, `v1.33.5` or `1.33` (patch undefined); undefined when malformed. */
export function parseVersion(text: string): ParsedVersion | undefined {
  const match = VERSION_PATTERN.exec(text);
  if (match === null) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: match[3] === undefined ? undefined : Number(match[3]) };
}

/** Order two versions: negative when a < b, 0 when equal, positive when a > b. A missing patch counts as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = mustParse(a);
  const pb = mustParse(b);
  return pa.major - pb.major || pa.minor - pb.minor || (pa.patch ?? 0) - (pb.patch ?? 0);
}

/** `1.33.5` → `1.33`. */
export function minorOf(version: string): string {
  const parsed = mustParse(version);
  return `${parsed.major}.${parsed.minor}`;
}

/** Whether Hopper can install exactly this version (a leading `v` is allowed). */
export function isSupportedVersion(version: string): boolean {
  return SUPPORTED_KUBERNETES_VERSIONS.includes(version.replace(/^v/, ''));
}

/** The supported patch of a minor (`1.33` → `1.33.5`), or undefined when the minor is not supported. */
export function latestPatch(minor: string): string | undefined {
  const wanted = parseVersion(minor);
  if (wanted === undefined) return undefined;
  return SUPPORTED_KUBERNETES_VERSIONS.find((v) => {
    const p = mustParse(v);
    return p.major === wanted.major && p.minor === wanted.minor;
  });
}

/**
 * The version an upgrade from `version` goes to: the supported patch of the next minor
 * (Kubernetes upgrades one minor at a time), or undefined when none is supported.
 */
export function nextMinorVersion(version: string): string | undefined {
  const parsed = mustParse(version);
  return latestPatch(`${parsed.major}.${parsed.minor + 1}`);
}

/**
 * Resolve what a user wrote: `v1.33.5` → `1.33.5`, a bare minor `1.33` → its supported
 * patch. Returns the input unchanged when it cannot be resolved, for the checks to report.
 */
export function resolveVersion(text: string): string {
  const parsed = parseVersion(text);
  if (parsed === undefined) return text;
  if (parsed.patch === undefined) return latestPatch(text) ?? text;
  return text.replace(/^v/, '');
}

function mustParse(version: string): ParsedVersion {
  const parsed = parseVersion(version);
  if (parsed === undefined) throw new RangeError(`not a Kubernetes version: ${version}`);
  return parsed;
}
