/**
 * `labelSelector` and `fieldSelector` as list and watch take them. Label selectors have the
 * full syntax (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`); field
 * selectors are `path=value` / `path!=value` on the object's fields (`metadata.name`,
 * `spec.nodeName`, `status.phase`, …), which the server's per-type field sets allow.
 */
import type { Obj } from './derived';
import { badRequest } from './errors';

export type Selector = (o: Obj) => boolean;

/** Splits on commas outside parentheses. */
function terms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function labelSelector(text: string | null): Selector {
  if (!text) return () => true;
  const tests = terms(text).map((term): Selector => {
    const labels = (o: Obj) => (o.metadata?.labels ?? {}) as Record<string, string>;
    let m = /^(!?)([A-Za-z0-9./_-]+)$/.exec(term);
    if (m) {
      const [, not, key] = m;
      return (o) => (key in labels(o)) !== (not === '!');
    }
    m = /^([A-Za-z0-9./_-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/.exec(term);
    if (m) {
      const [, key, op, value] = m;
      return (o) => (labels(o)[key] === value) === (op !== '!=');
    }
    m = /^([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const [, key, op, list] = m;
      const values = list.split(',').map((v) => v.trim());
      return (o) => (op === 'in' ? key in labels(o) && values.includes(labels(o)[key]) : !(key in labels(o)) || !values.includes(labels(o)[key]));
    }
    throw badRequest(`unable to parse requirement: ${JSON.stringify(term)}`);
  });
  return (o) => tests.every((t) => t(o));
}

export function fieldSelector(text: string | null): Selector {
  if (!text) return () => true;
  const tests = terms(text).map((term): Selector => {
    const m = /^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
    const [, path, op, value] = m;
    return (o) => {
      let at: unknown = o;
      for (const p of path.split('.')) at = typeof at === 'object' && at !== null ? (at as Obj)[p] : undefined;
      const actual = at === undefined || at === null ? '' : String(at);
      return (actual === value) === (op !== '!=');
    };
  });
  return (o) => tests.every((t) => t(o));
}
