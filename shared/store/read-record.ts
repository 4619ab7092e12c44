/**
 * Cluster records are parsed when read, not trusted: an item written by an older Hopper,
 * edited by hand or cut short must not break every reader. A record that does not parse
 * is reported for that cluster only — `getCluster` throws UnreadableRecordError naming
 * what is wrong, and listings set it aside (`unreadable`) and go on with the others.
 *
 * The record's own fields are checked; the spec only for being there: it was validated
 * (and filled with defaults) by the API before it was stored, and the full spec schema is
 * too heavy to load in every Lambda.
 */
import * as z from 'zod';
import { UnreadableRecordError } from '../errors';
import { stripKeys } from './keys';
import type { ClusterRecord } from './types';

const lockSchema = z.looseObject({ operationId: z.string(), type: z.string(), owner: z.string(), since: z.string(), expiresAt: z.number() });

const recordSchema = z.looseObject({
  name: z.string().min(1),
  uid: z.string().min(1),
  status: z.string().min(1),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  instanceGroups: z.record(z.string(), z.unknown()),
  // The store keeps the spec as the API validated it (shared/spec); here it must only be there.
  spec: z.looseObject({}),
  lock: lockSchema.optional(),
});

/** A record that did not parse: its name (from the key when the item has none) and what is wrong. */
export interface UnreadableRecord {
  name: string;
  problems: string[];
}

/** Parse a stored cluster item; the problems, each `path: message`, when it is not a record. */
export function readClusterItem(item: Record<string, unknown>): { record: ClusterRecord } | { unreadable: UnreadableRecord } {
  const parsed = recordSchema.safeParse(stripKeys<Record<string, unknown>>(item));
  if (parsed.success) return { record: parsed.data as unknown as ClusterRecord };
  const keyName = typeof item.pk === 'string' ? item.pk.replace(/^CLUSTER#/, '') : 'unknown';
  const name = typeof item.name === 'string' ? item.name : keyName;
  const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'record'}: ${i.message}`);
  return { unreadable: { name, problems } };
}

/** The record, or UnreadableRecordError naming the cluster and its problems. */
export function requireReadable(item: Record<string, unknown>): ClusterRecord {
  const read = readClusterItem(item);
  if ('record' in read) return read.record;
  throw new UnreadableRecordError(
    `the stored record of cluster ${read.unreadable.name} cannot be read (${read.unreadable.problems.join('; ')}); restore it from a point-in-time backup (README: Restoring the table)`,
  );
}
