/**
 * The store keeps a cluster's spec as it is given (shared/spec defines and validates it);
 * its tests store small made-up objects to see them come back unchanged.
 */
import type { ClusterSpec } from '../../shared/spec';

export function opaque(value: Record<string, unknown>): ClusterSpec {
  return value as unknown as ClusterSpec;
}

/** A stored made-up spec, read back as the object it was. */
export function asObject(spec: ClusterSpec): Record<string, unknown> {
  return spec as unknown as Record<string, unknown>;
}
