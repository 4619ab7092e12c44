/**
 * Kubernetes naming rules, as apimachinery's validation states them, returning a reason
 * (a readable sentence fragment) or undefined when the value is fine.
 */

/** RFC 1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric. */
export const DNS_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

// The NodeRestriction admission plugin lets a kubelet set labels under kubernetes.io and
// k8s.io only in these namespaces; any other would make the node fail to register.
const KUBELET_ALLOWED_PREFIXES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

/** Why `key` is not a label key a node can carry, or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined) {
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      return `prefix "${prefix}" must be a DNS subdomain (lower-case, dots, at most 253 characters)`;
    }
    const reserved = prefix === 'kubernetes.io' || prefix.endsWith('.kubernetes.io') || prefix === 'k8s.io' || prefix.endsWith('.k8s.io');
    if (reserved && !KUBELET_ALLOWED_PREFIXES.includes(prefix)) {
      return `prefix "${prefix}" is reserved for Kubernetes; a kubelet may only set ${KUBELET_ALLOWED_PREFIXES.join(' or ')} labels there`;
    }
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return `name "${name}" must be 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Why `value` is not a label value, or undefined. Empty is allowed. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !QUALIFIED_NAME.test(value)) {
    return 'must be at most 63 characters of letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit';
  }
  return undefined;
}

/** The taint effects Kubernetes knows. */
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** A parsed taint, as `kubectl taint` writes it: `key=value:Effect` or `key:Effect`. */
export interface Taint {
  key: string;
  value: string;
  effect: (typeof TAINT_EFFECTS)[number];
}

/** Parse a taint, or say why it is not one. */
export function parseTaint(text: string): { taint: Taint } | { problem: string } {
  const colon = text.lastIndexOf(':');
  if (colon === -1) return { problem: `taint "${text}" must look like key=value:Effect or key:Effect` };
  const effect = text.slice(colon + 1);
  const keyValue = text.slice(0, colon);
  const equals = keyValue.indexOf('=');
  const key = equals === -1 ? keyValue : keyValue.slice(0, equals);
  const value = equals === -1 ? '' : keyValue.slice(equals + 1);
  if (!(TAINT_EFFECTS as readonly string[]).includes(effect)) {
    return { problem: `taint "${text}" has effect "${effect}"; it must be one of ${TAINT_EFFECTS.join(', ')}` };
  }
  const keyProblem = labelKeyProblem(key);
  if (keyProblem !== undefined) return { problem: `taint "${text}" has an invalid key: ${keyProblem}` };
  const valueProblem = labelValueProblem(value);
  if (valueProblem !== undefined) return { problem: `taint "${text}" has an invalid value: ${valueProblem}` };
  return { taint: { key, value, effect: effect as Taint['effect'] } };
}
