/**
 * Parse a cluster spec and list every problem at once. zod checks each field; then, so the
 * semantic checks can run even when some fields are malformed, the malformed values are
 * pruned (deleted, so their defaults apply; array elements spliced out) and the rest is
 * parsed again. Semantic findings are mapped back to the paths the user sent and dropped
 * when they rest on a pruned value.
 */
import { checkCompute } from './checks-compute';
import { checkMetadata } from './checks-metadata';
import { checkNetwork } from './checks-network';
import { fillDefaults } from './defaults';
import type { Finding } from './finding';
import { describeIssue, issuePath } from './issues';
import { formatPath, isUnder, type PathSegments } from './paths';
import { clusterSpecInputSchema, type ClusterSpecInput } from './schema';
import type { ClusterSpec, Problem } from './types';

/** The result of `parseClusterSpec`: a full spec, or every problem found. */
export type ParseResult = { ok: true; spec: ClusterSpec } | { ok: false; problems: Problem[] };

// Rounds of prune-and-reparse; each removes at least one value, and specs are small.
const MAX_PRUNE_ROUNDS = 20;

// Required top-level fields get a stand-in rather than a deletion, so checks can go on;
// findings that depend on them are dropped.
const STAND_INS: Record<string, unknown> = { name: 'x', region: 'us-east-1' };

/** Run every semantic check on a filled spec (its input tells stated from defaulted values). */
export function semanticFindings(spec: ClusterSpec, input: ClusterSpecInput): Finding[] {
  return [...checkMetadata(spec, input), ...checkNetwork(spec, input), ...checkCompute(spec, input)];
}

/**
 * Largest spec, as JSON, with its defaults. A DynamoDB item holds at most 400 KB, and the
 * cluster item carries the spec beside its status, lock and instance-group states (the
 * operation record keeps the request too): a spec this size leaves room for all of them.
 * Real specs are a few KB.
 */
export const MAX_SPEC_BYTES = 64 * 1024;

/** Validate `input` and fill its defaults, or list every structural and semantic problem. */
export function parseClusterSpec(input: unknown): ParseResult {
  const result = parseFields(input);
  const bytes = new TextEncoder().encode(JSON.stringify(result.ok ? result.spec : (input ?? null))).length;
  if (bytes <= MAX_SPEC_BYTES) return result;
  const size: Problem = { path: '(root)', message: `the spec is ${Math.ceil(bytes / 1024)} KiB as JSON${result.ok ? ' with its defaults' : ''}; at most ${MAX_SPEC_BYTES / 1024} KiB can be stored` };
  return { ok: false, problems: [size, ...(result.ok ? [] : result.problems)] };
}

function parseFields(input: unknown): ParseResult {
  let result = clusterSpecInputSchema.safeParse(input, { reportInput: true });
  if (result.success) {
    const spec = fillDefaults(result.data);
    const problems = semanticFindings(spec, result.data).map(toProblem);
    return problems.length === 0 ? { ok: true, spec } : { ok: false, problems: dedupe(problems) };
  }

  const structural = result.error.issues.flatMap(describeIssue).map(toProblem);
  if (!isPlainObject(input)) return { ok: false, problems: structural };

  const working = new PrunableInput(input);
  for (let round = 0; round < MAX_PRUNE_ROUNDS && !result.success; round++) {
    const targets = result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issuePath(issue), key]) : [issuePath(issue)],
    );
    if (!working.prune(targets)) return { ok: false, problems: structural };
    result = clusterSpecInputSchema.safeParse(working.value, { reportInput: true });
  }
  if (!result.success) return { ok: false, problems: structural };

  const spec = fillDefaults(result.data);
  const semantic = semanticFindings(spec, result.data)
    .map((finding) => ({ ...finding, path: working.original(finding.path), dependsOn: (finding.dependsOn ?? []).map((p) => working.original(p)) }))
    .filter((finding) => ![finding.path, ...finding.dependsOn].some((p) => working.touches(p)))
    .map(toProblem);
  return { ok: false, problems: dedupe([...structural, ...semantic]) };
}

/**
 * A copy of the input that values can be pruned from, remembering for each array which
 * original index each remaining element had, to map paths back.
 */
class PrunableInput {
  readonly value: Record<string, unknown>;
  private readonly origins = new WeakMap<unknown[], { indices: number[]; length: number }>();
  private readonly pruned: PathSegments[] = [];

  constructor(input: Record<string, unknown>) {
    this.value = this.copy(input) as Record<string, unknown>;
  }

  /** Prune the values at `targets` (current paths). False when nothing more can be pruned. */
  prune(targets: PathSegments[]): boolean {
    const resolved: PathSegments[] = [];
    for (const target of targets) {
      let path = target;
      // A value already pruned, or missing (a required field), cannot be pruned again:
      // prune its parent instead.
      while (path.length > 0 && (this.isPruned(this.original(path)) || !this.exists(path)) && !(path.length === 1 && String(path[0]) in STAND_INS)) {
        path = path.slice(0, -1);
      }
      if (path.length === 0) return false;
      if (!resolved.some((p) => isUnder(path, p))) resolved.push(path);
    }
    for (const path of resolved) this.pruned.push(this.original(path));
    // Deepest and highest index first, so splicing one element does not move another target.
    resolved.sort(comparePathsDescending);
    for (const path of resolved) this.remove(path);
    return true;
  }

  /** Map a path in the pruned value to the path in the input the user sent. */
  original(path: PathSegments): PathSegments {
    const out: (string | number)[] = [];
    let node: unknown = this.value;
    for (const segment of path) {
      if (Array.isArray(node) && typeof segment === 'number') {
        const origin = this.origins.get(node);
        // Elements past the user's (defaults appended by fillDefaults) keep their offset.
        out.push(origin === undefined ? segment : (origin.indices[segment] ?? origin.length + segment - origin.indices.length));
      } else {
        out.push(segment);
      }
      node = isPlainObject(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[segment] : undefined;
    }
    return out;
  }

  /** Whether an original path was pruned, lies under a pruned value, or holds one. */
  touches(path: PathSegments): boolean {
    return this.pruned.some((p) => isUnder(path, p) || isUnder(p, path));
  }

  private isPruned(original: PathSegments): boolean {
    return this.pruned.some((p) => isUnder(original, p));
  }

  private exists(path: PathSegments): boolean {
    const parent = this.at(path.slice(0, -1));
    const key = path.at(-1) as string | number;
    return (isPlainObject(parent) || Array.isArray(parent)) && Object.hasOwn(parent as object, key);
  }

  private at(path: PathSegments): unknown {
    let node: unknown = this.value;
    for (const segment of path) node = isPlainObject(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[segment] : undefined;
    return node;
  }

  private remove(path: PathSegments): void {
    const parent = this.at(path.slice(0, -1));
    const key = path.at(-1) as string | number;
    if (path.length === 1 && String(key) in STAND_INS) {
      this.value[String(key)] = STAND_INS[String(key)];
    } else if (Array.isArray(parent) && typeof key === 'number') {
      parent.splice(key, 1);
      this.origins.get(parent)?.indices.splice(key, 1);
    } else if (isPlainObject(parent)) {
      delete parent[String(key)];
    }
  }

  private copy(node: unknown): unknown {
    if (Array.isArray(node)) {
      const copied = node.map((item) => this.copy(item));
      this.origins.set(copied, { indices: copied.map((_, i) => i), length: copied.length });
      return copied;
    }
    if (isPlainObject(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, this.copy(v)]));
    return node;
  }
}

function comparePathsDescending(a: PathSegments, b: PathSegments): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    if (typeof a[i] === 'number' && typeof b[i] === 'number') return (b[i] as number) - (a[i] as number);
    return String(b[i]).localeCompare(String(a[i]));
  }
  return b.length - a.length;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toProblem(finding: { path: PathSegments; message: string }): Problem {
  return { path: formatPath(finding.path), message: finding.message };
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
