/** AWS tag rules for the extra tags a user puts on every resource of a cluster. */

/**
 * At most this many user tags. AWS allows 50 per resource and Hopper sets its own (Name,
 * kubernetes.io/cluster/<name>, kubernetes.io/role/*, hopper:*, cluster-autoscaler's
 * k8s.io/cluster-autoscaler/*), so 40 leaves them room.
 */
export const MAX_USER_TAGS = 40;

// Characters EC2 accepts in tag keys and values across services (the strictest common set).
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

// Prefixes Hopper or Kubernetes own: a user tag there could make the cloud controller or
// Hopper's look-up-by-tag adopt or ignore the wrong resources. `aws:` is AWS's own.
const RESERVED_PREFIXES = ['kubernetes.io/', 'k8s.io/', 'hopper:', 'aws:'];

/** Why `key` cannot be a user tag key, or undefined. */
export function tagKeyProblem(key: string): string | undefined {
  if (key.length === 0 || key.length > 128) return `tag key "${key}" must be 1-128 characters long`;
  if (!TAG_CHARACTERS.test(key)) return `tag key "${key}" may only contain letters, digits, spaces and _ . : / = + - @`;
  const reserved = RESERVED_PREFIXES.find((prefix) => key.toLowerCase().startsWith(prefix));
  if (reserved !== undefined) return `tag key "${key}" uses the reserved prefix "${reserved}"`;
  return undefined;
}

/** Why `value` cannot be a tag value, or undefined. */
export function tagValueProblem(key: string, value: string): string | undefined {
  if (value.length > 256) return `tag "${key}" has a value of ${value.length} characters; at most 256 are allowed`;
  if (!TAG_CHARACTERS.test(value)) return `tag "${key}" has a value with characters outside letters, digits, spaces and _ . : / = + - @`;
  return undefined;
}
