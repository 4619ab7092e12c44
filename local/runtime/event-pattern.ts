/**
 * EventBridge event pattern matching: exact values, `prefix`, `suffix`,
 * `equals-ignore-case`, `anything-but` (value, list or prefix), `exists`, `numeric`,
 * `wildcard`, nested objects (`detail.…`) and `$or`. An event field that is an array
 * matches when any of its elements does, as in EventBridge.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** True when `event` matches `pattern`. */
export function matchesPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(rule) || !rule.some((alt) => matchesPattern(alt as Record<string, unknown>, event))) return false;
      continue;
    }
    const present = Object.prototype.hasOwnProperty.call(event, key);
    const value = event[key] as Json | undefined;
    if (Array.isArray(rule)) {
      if (!rule.some((matcher) => matchesValue(matcher, present, value))) return false;
    } else if (rule !== null && typeof rule === 'object') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
      if (!matchesPattern(rule as Record<string, unknown>, value as Record<string, unknown>)) return false;
    } else {
      // Patterns must use arrays for leaves; accept a bare value as a one-element list anyway.
      if (!matchesValue(rule, present, value)) return false;
    }
  }
  return true;
}

function matchesValue(matcher: unknown, present: boolean, value: Json | undefined): boolean {
  if (matcher !== null && typeof matcher === 'object' && !Array.isArray(matcher)) {
    const m = matcher as Record<string, unknown>;
    if ('exists' in m) return m.exists === present;
    if (!present) return false;
    return anyElement(value, (v) => matchesOperator(m, v));
  }
  if (!present) return false;
  return anyElement(value, (v) => v === matcher);
}

function anyElement(value: Json | undefined, test: (v: Json) => boolean): boolean {
  if (Array.isArray(value)) return value.some((v) => test(v));
  return value !== undefined && test(value);
}

function matchesOperator(m: Record<string, unknown>, v: Json): boolean {
  if ('prefix' in m) return typeof v === 'string' && prefixMatch(m.prefix, v);
  if ('suffix' in m) return typeof v === 'string' && typeof m.suffix === 'string' && v.endsWith(m.suffix);
  if ('equals-ignore-case' in m) return typeof v === 'string' && String(m['equals-ignore-case']).toLowerCase() === v.toLowerCase();
  if ('wildcard' in m) return typeof v === 'string' && wildcard(String(m.wildcard)).test(v);
  if ('numeric' in m) return typeof v === 'number' && numeric(m.numeric as unknown[], v);
  if ('anything-but' in m) {
    const but = m['anything-but'];
    if (but !== null && typeof but === 'object' && !Array.isArray(but)) {
      const inner = but as Record<string, unknown>;
      if ('prefix' in inner) return !(typeof v === 'string' && prefixMatch(inner.prefix, v));
      if ('suffix' in inner) return !(typeof v === 'string' && v.endsWith(String(inner.suffix)));
      return true;
    }
    const excluded = Array.isArray(but) ? but : [but];
    return !excluded.includes(v);
  }
  return false;
}

/** `{prefix: "x"}` or `{prefix: {"equals-ignore-case": "x"}}`. */
function prefixMatch(prefix: unknown, v: string): boolean {
  if (typeof prefix === 'string') return v.startsWith(prefix);
  const ci = (prefix as Record<string, unknown> | null)?.['equals-ignore-case'];
  return typeof ci === 'string' && v.toLowerCase().startsWith(ci.toLowerCase());
}

function numeric(conditions: unknown[], v: number): boolean {
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const [op, bound] = [String(conditions[i]), Number(conditions[i + 1])];
    const ok = op === '=' ? v === bound : op === '<' ? v < bound : op === '<=' ? v <= bound : op === '>' ? v > bound : op === '>=' ? v >= bound : false;
    if (!ok) return false;
  }
  return true;
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
